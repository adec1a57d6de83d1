// Attention of a few queries against the KV cache (kv_cache.h): decoding steps, and the runs
// that extend a cached sequence. The block kernel (attention_block.h) puts queries in vector
// lanes, which one query per head leaves 15/16 empty; here a task is one (batch, head, query)
// and the vectors run along the cache's key tiles (16 keys' scores per vector, no horizontal
// sums) and along the value rows, tile by tile of keys with the online softmax. Keys and values
// stream once per query head (for grouped heads once per head of the group: the group is small
// and the rows are then in cache).
//
// An int8 cache's scales enter the driver's loop, so that Ops only widen elements: a key's
// scale multiplies its score, a value's its softmax weight before accumulate.
//
// The driver is shared; each instruction set supplies Ops, for T = float, uint16_t (fp16) and
// int8_t:
//   scoreTile(q, tile, dim, s)           s[l] = q . key l of the tile, l < kKvKeyTile
//   accumulate(p, n, v, dim, y)          y += sum_{c < n} p[c] * v[c * dim ..]
//   scale(y, s, dim)                     y *= s
#ifndef LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_DECODE_H
#define LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_DECODE_H

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/cpu/generic/attention.h"

namespace llmopt::kernels::cpu {

// Keys per tile of the decode driver (its scores buffer lives on the stack); a multiple of
// kKvKeyTile.
constexpr int64_t kAttentionDecodeKeys = 256;
static_assert(kAttentionDecodeKeys % kKvKeyTile == 0, "whole key tiles per driver tile");

// One task: query `i` of head `h` in batch `b` (attentionCachedF32's semantics), on a cache of
// element type T. Always inlined, so that it is compiled for the instruction set of the function
// instantiating it (and its Ops inline into it).
template <class Ops, class T>
__attribute__((always_inline)) inline void attentionCachedTask(const CachedAttentionArgs& a,
                                                               int64_t b, int64_t h, int64_t i,
                                                               VMathFn exp) {
  const KvCacheLayer& cache = a.cache;
  const int64_t dim = cache.dim, group = a.heads / cache.kv_heads;
  const int64_t head = b * cache.batchElements() + (h / group) * cache.headElements();
  const T* k = static_cast<const T*>(cache.keys) + head;
  const T* v = static_cast<const T*>(cache.values) + head;
  constexpr bool kInt8 = std::is_same_v<T, int8_t>;
  const float* key_scales = nullptr;
  const float* value_scales = nullptr;
  if constexpr (kInt8) {
    key_scales = kvCacheScales(k, cache.positions, dim);
    value_scales = kvCacheScales(v, cache.positions, dim);
  }
  const float* q = a.q + (b * a.q_len + i) * a.qStride() + h * dim;
  const float* bias = a.key_bias ? a.key_bias + b * a.key_bias_batch_stride : nullptr;
  float* y = a.y + ((b * a.q_len + i) * a.heads + h) * dim;
  const int64_t visible =
      a.causal ? std::clamp<int64_t>(i + a.kv_len - a.q_len + 1, 0, a.kv_len) : a.kv_len;
  std::fill(y, y + dim, 0.0f);
  if (visible == 0) return;  // sees no key: 0 (attention.h)

  alignas(64) float s[kAttentionDecodeKeys];
  float m = -std::numeric_limits<float>::infinity(), l = 0.0f;
  for (int64_t j0 = 0; j0 < visible; j0 += kAttentionDecodeKeys) {
    const int64_t n = std::min(kAttentionDecodeKeys, visible - j0);
    // Whole key tiles: the scores past n are computed from the tile's zeroed or later lanes
    // and never read.
    for (int64_t t = 0; t < n; t += kKvKeyTile) Ops::scoreTile(q, k + (j0 + t) * dim, dim, s + t);
    float tile_max = -std::numeric_limits<float>::infinity();
    for (int64_t c = 0; c < n; ++c) {
      s[c] *= kInt8 ? a.scale * key_scales[j0 + c] : a.scale;
      if (bias) s[c] += bias[j0 + c];
      tile_max = std::max(tile_max, s[c]);
    }
    if (tile_max == -std::numeric_limits<float>::infinity()) continue;  // all masked out
    if (tile_max > m) {
      if (l > 0.0f) {
        float alpha = m - tile_max;
        exp(&alpha, &alpha, 1);
        Ops::scale(y, alpha, dim);
        l *= alpha;
      }
      m = tile_max;
    }
    for (int64_t c = 0; c < n; ++c) s[c] -= m;
    exp(s, s, n);
    for (int64_t c = 0; c < n; ++c) l += s[c];
    if constexpr (kInt8)
      for (int64_t c = 0; c < n; ++c) s[c] *= value_scales[j0 + c];
    Ops::accumulate(s, n, v + j0 * dim, dim, y);
  }
  if (l > 0.0f) Ops::scale(y, 1.0f / l, dim);
}

// The task for the cache's element type.
template <class Ops>
__attribute__((always_inline)) inline void attentionCachedTaskAnyType(const CachedAttentionArgs& a,
                                                                      int64_t b, int64_t h,
                                                                      int64_t i, VMathFn exp) {
  switch (a.cache.type) {
    case KvCacheType::F32: return attentionCachedTask<Ops, float>(a, b, h, i, exp);
    case KvCacheType::F16: return attentionCachedTask<Ops, uint16_t>(a, b, h, i, exp);
    case KvCacheType::I8: return attentionCachedTask<Ops, int8_t>(a, b, h, i, exp);
  }
}

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_DECODE_H
