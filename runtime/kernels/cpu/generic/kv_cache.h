// The KV cache's storage for one attention layer, laid out for decoding steps.
//
// Positions come in chunks of kKvChunk; per batch, chunk-major: [chunk][kv head], each (chunk,
// kv head) one contiguous block of
//   keys   in tiles of kKvKeyTile positions, each tile [dim][kKvKeyTile] (position fastest), so
//          that a query's scores against a tile's keys are `dim` vector multiply-adds with no
//          horizontal sum (a key per row costs one horizontal sum per key, the decode kernel's
//          main overhead once the keys stream from memory);
//   values in rows [kKvChunk][dim]: a query's output is a sum of value rows.
// A decoding step, which reads every kv head's first positions, so reads one dense stretch of
// memory per chunk, in order. A block per kv head of max_seq positions left them scattered in
// short runs (12 KB each for GPT-2 small at 192 positions in an int8 cache) that the hardware
// prefetcher picked up late: on one thread, attention over such a cache evicted from the caches
// took 2.3 times as long (bench/RESULTS.md).
// Elements are fp32; IEEE fp16: half the bytes a decoding step streams, the cached keys and
// values rounded to 11 significant bits; or int8: a quarter of the bytes, each position's key
// (and value) of a kv head rounded symmetrically to 255 levels of its largest magnitude, whose
// fp32 scales follow the block's elements ([kKvChunk] floats after its keys, and after its
// values). llmopt compile --kv-cache-type.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_KV_CACHE_H
#define LLMOPT_KERNELS_CPU_GENERIC_KV_CACHE_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/qfloat16.h"

namespace llmopt::kernels::cpu {

enum class KvCacheType : uint8_t { F32 = 0, F16 = 1, I8 = 2 };

constexpr int64_t kKvKeyTile = 16;  // positions per key tile
constexpr int64_t kKvChunk = 64;    // positions per block: whole key tiles
static_assert(kKvChunk % kKvKeyTile == 0, "whole key tiles per chunk");

inline size_t kvCacheElementBytes(KvCacheType type) {
  return type == KvCacheType::F32 ? 4 : type == KvCacheType::F16 ? 2 : 1;
}

// A cached element's value (kernels read fp16 elements as uint16_t); an int8 element's before
// its position's scale.
inline float kvCacheToFloat(float x) { return x; }
inline float kvCacheToFloat(uint16_t h) { return halfToFloat(h); }
inline float kvCacheToFloat(int8_t q) { return q; }

// max_seq rounded up to whole chunks: the positions a (batch, kv head) has room for.
inline int64_t kvCachePositions(int64_t max_seq) {
  return (max_seq + kKvChunk - 1) / kKvChunk * kKvChunk;
}

struct KvCacheLayer {
  void* keys = nullptr;    // [batch][positions / kKvChunk][kv_heads] blocks of keys
  void* values = nullptr;  // the same of values
  KvCacheType type = KvCacheType::F32;
  int64_t kv_heads = 0, dim = 0;
  int64_t positions = 0;  // kvCachePositions(max_seq)

  // Elements of one block (chunk, kv head) of keys or values; for int8, whose elements are
  // bytes, with the block's fp32 scales (4 bytes a position, at kKvChunk * dim bytes from the
  // block's start: 4-byte aligned).
  int64_t blockElements() const {
    return kKvChunk * dim + (type == KvCacheType::I8 ? kKvChunk * int64_t{sizeof(float)} : 0);
  }
  int64_t batchElements() const { return positions / kKvChunk * kv_heads * blockElements(); }
  // Where the block of chunk `chunk`, kv head g, batch b begins, in elements.
  int64_t blockOffset(int64_t b, int64_t g, int64_t chunk) const {
    return b * batchElements() + (chunk * kv_heads + g) * blockElements();
  }
};

// The bytes of one layer's keys (or values) for `batch` sequences: its block of the cache.
inline size_t kvCacheBlockBytes(const KvCacheLayer& layer, int64_t batch) {
  return static_cast<size_t>(batch * layer.batchElements()) * kvCacheElementBytes(layer.type);
}

// A block's int8 scales, one per position of its chunk: `block` is where it begins.
inline const float* kvCacheScales(const int8_t* block, int64_t dim) {
  return reinterpret_cast<const float*>(block + kKvChunk * dim);
}
inline float* kvCacheScales(int8_t* block, int64_t dim) {
  return reinterpret_cast<float*>(block + kKvChunk * dim);
}

// Stores positions [past, past + len) of every batch: k and v are [batch][len][kv_heads][dim],
// one position k_stride (v_stride) floats from the next. A key tile's positions past the last
// stored are zeroed when the tile is begun, so that the decode kernel's full-tile reads only
// ever see written memory.
void kvCacheAppend(const KvCacheLayer& cache, int64_t batch, int64_t past, int64_t len,
                   const float* k, int64_t k_stride, const float* v, int64_t v_stride);

// The fp32 value of key `position`, element d, of (batch b, kv head g); for tests.
float kvCacheKey(const KvCacheLayer& cache, int64_t b, int64_t g, int64_t position, int64_t d);
float kvCacheValue(const KvCacheLayer& cache, int64_t b, int64_t g, int64_t position, int64_t d);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_KV_CACHE_H
