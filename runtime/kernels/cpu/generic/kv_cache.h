// The KV cache's storage for one attention layer, laid out for decoding steps.
//
// Per (batch, kv head), room for max_seq positions:
//   keys   in tiles of kKvKeyTile positions, each tile [dim][kKvKeyTile] (position fastest), so
//          that a query's scores against a tile's keys are `dim` vector multiply-adds with no
//          horizontal sum (a key per row costs one horizontal sum per key, the decode kernel's
//          main overhead once the keys stream from memory);
//   values in rows [max_seq][dim]: a query's output is a sum of value rows.
// Elements are fp32; IEEE fp16: half the bytes a decoding step streams, the cached keys and
// values rounded to 11 significant bits; or int8: a quarter of the bytes, each position's key
// (and value) of a kv head rounded symmetrically to 255 levels of its largest magnitude, whose
// fp32 scales follow the head's elements ([positions] floats after its keys, and after its
// values). llmopt compile --kv-cache-type.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_KV_CACHE_H
#define LLMOPT_KERNELS_CPU_GENERIC_KV_CACHE_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/qfloat16.h"

namespace llmopt::kernels::cpu {

enum class KvCacheType : uint8_t { F32 = 0, F16 = 1, I8 = 2 };

constexpr int64_t kKvKeyTile = 16;  // positions per key tile

inline size_t kvCacheElementBytes(KvCacheType type) {
  return type == KvCacheType::F32 ? 4 : type == KvCacheType::F16 ? 2 : 1;
}

// A cached element's value (kernels read fp16 elements as uint16_t); an int8 element's before
// its position's scale.
inline float kvCacheToFloat(float x) { return x; }
inline float kvCacheToFloat(uint16_t h) { return halfToFloat(h); }
inline float kvCacheToFloat(int8_t q) { return q; }

// max_seq rounded up to whole key tiles: the positions a (batch, kv head) has room for.
inline int64_t kvCachePositions(int64_t max_seq) {
  return (max_seq + kKvKeyTile - 1) / kKvKeyTile * kKvKeyTile;
}

struct KvCacheLayer {
  void* keys = nullptr;    // [batch][kv_heads]: [positions / 16][dim][16], int8: then [positions]
  void* values = nullptr;  // [batch][kv_heads]: [positions][dim], int8: then [positions] scales
  KvCacheType type = KvCacheType::F32;
  int64_t kv_heads = 0, dim = 0;
  int64_t positions = 0;  // kvCachePositions(max_seq)

  // Elements from one kv head's keys (or values) to the next, and from one batch to the next;
  // for int8, whose elements are bytes, with the head's fp32 scales (4 bytes a position; at
  // positions * dim bytes from the head's start, 4-byte aligned since positions is a multiple
  // of 16).
  int64_t headElements() const {
    return positions * dim + (type == KvCacheType::I8 ? positions * int64_t{sizeof(float)} : 0);
  }
  int64_t batchElements() const { return kv_heads * headElements(); }
};

// The bytes of one layer's keys (or values) for `batch` sequences: its block of the cache.
inline size_t kvCacheBlockBytes(const KvCacheLayer& layer, int64_t batch) {
  return static_cast<size_t>(batch * layer.batchElements()) * kvCacheElementBytes(layer.type);
}

// A kv head's int8 scales: `head` is where its keys (or values) begin.
inline const float* kvCacheScales(const int8_t* head, int64_t positions, int64_t dim) {
  return reinterpret_cast<const float*>(head + positions * dim);
}
inline float* kvCacheScales(int8_t* head, int64_t positions, int64_t dim) {
  return reinterpret_cast<float*>(head + positions * dim);
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
