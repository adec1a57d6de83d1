// The KV cache's storage for one attention layer, laid out for decoding steps.
//
// Per (batch, kv head), room for max_seq positions:
//   keys   in tiles of kKvKeyTile positions, each tile [dim][kKvKeyTile] (position fastest), so
//          that a query's scores against a tile's keys are `dim` vector multiply-adds with no
//          horizontal sum (a key per row costs one horizontal sum per key, the decode kernel's
//          main overhead once the keys stream from memory);
//   values in rows [max_seq][dim]: a query's output is a sum of value rows.
// Elements are fp32, or IEEE fp16: half the bytes a decoding step streams, the cached keys and
// values rounded to 11 significant bits (llmopt compile --kv-cache-type).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_KV_CACHE_H
#define LLMOPT_KERNELS_CPU_GENERIC_KV_CACHE_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/qfloat16.h"

namespace llmopt::kernels::cpu {

enum class KvCacheType : uint8_t { F32 = 0, F16 = 1 };

constexpr int64_t kKvKeyTile = 16;  // positions per key tile

inline size_t kvCacheElementBytes(KvCacheType type) { return type == KvCacheType::F16 ? 2 : 4; }

// A cached element's value (kernels read fp16 elements as uint16_t).
inline float kvCacheToFloat(float x) { return x; }
inline float kvCacheToFloat(uint16_t h) { return halfToFloat(h); }

// max_seq rounded up to whole key tiles: the positions a (batch, kv head) has room for.
inline int64_t kvCachePositions(int64_t max_seq) {
  return (max_seq + kKvKeyTile - 1) / kKvKeyTile * kKvKeyTile;
}

struct KvCacheLayer {
  void* keys = nullptr;    // [batch][kv_heads][positions / 16][dim][16]
  void* values = nullptr;  // [batch][kv_heads][positions][dim]
  KvCacheType type = KvCacheType::F32;
  int64_t kv_heads = 0, dim = 0;
  int64_t positions = 0;  // kvCachePositions(max_seq)

  // Elements from one kv head's keys (or values) to the next, and from one batch to the next.
  int64_t headElements() const { return positions * dim; }
  int64_t batchElements() const { return kv_heads * positions * dim; }
};

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
