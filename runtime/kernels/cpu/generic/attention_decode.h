// Attention of a few queries against the KV cache (kv_cache.h): decoding steps, and the runs
// that extend a cached sequence. The block kernel (attention_block.h) puts queries in vector
// lanes, which one query per head leaves 15/16 empty; here a task is one (batch, query) and a
// range of heads, and the vectors run along the cache's key tiles (16 keys' scores per vector, no
// horizontal sums) and along the value rows, chunk by chunk of keys with the online softmax. Keys
// and values stream once per query head (for grouped heads once per head of the group: the group
// is small and the rows are then in cache).
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

// One chunk's scores s[0, n) of a head into its softmax weights, against the head's running max m
// and sum l (online softmax): s[c] times `scale` (and key_scales[c]), plus bias[c], minus the new
// max, exponentiated, added into l, then times value_scales[c]. Sets alpha to the factor the
// head's output so far takes (1: none). Returns false, changing nothing else, when every key is
// masked out. Not inlined into each instruction set's driver: on at most kKvChunk scores it is a
// small part of the work, and compiled once it keeps nine copies out of the library.
bool decodeChunkWeights(float* s, int64_t n, float scale, const float* key_scales,
                        const float* bias, const float* value_scales, float* m, float* l,
                        float* alpha, VMathFn exp);

// Query heads one call of the driver keeps the running softmax state of (on the stack); calls
// with more run them in passes.
constexpr int64_t kAttentionDecodeHeads = 32;

// Query `i` of batch `b` for query heads [h_begin, h_end) (attentionCachedF32's semantics), on a
// cache of element type T: chunk by chunk, every head's keys and values of the chunk, so that the
// reads run through the cache's blocks in memory order (kv_cache.h); each head keeps its running
// max and sum across chunks (online softmax) and its output in y. Always inlined, so that it is
// compiled for the instruction set of the function instantiating it (and its Ops inline into it).
template <class Ops, class T>
__attribute__((always_inline)) inline void attentionCachedHeads(const CachedAttentionArgs& a,
                                                                int64_t b, int64_t i,
                                                                int64_t h_begin, int64_t h_end,
                                                                VMathFn exp) {
  constexpr bool kInt8 = std::is_same_v<T, int8_t>;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const KvCacheLayer& cache = a.cache;
  const int64_t dim = cache.dim, group = a.heads / cache.kv_heads;
  const T* keys = static_cast<const T*>(cache.keys);
  const T* values = static_cast<const T*>(cache.values);
  const float* bias = a.key_bias ? a.key_bias + b * a.key_bias_batch_stride : nullptr;
  const int64_t visible =
      a.causal ? std::clamp<int64_t>(i + a.kv_len - a.q_len + 1, 0, a.kv_len) : a.kv_len;
  for (int64_t pass = h_begin; pass < h_end; pass += kAttentionDecodeHeads) {
    const int64_t heads = std::min(kAttentionDecodeHeads, h_end - pass);
    const float* q = a.q + (b * a.q_len + i) * a.qStride() + pass * dim;
    float* y = a.y + ((b * a.q_len + i) * a.heads + pass) * dim;
    std::fill(y, y + heads * dim, 0.0f);  // a query that sees no key gets 0 (attention.h)
    float m[kAttentionDecodeHeads], l[kAttentionDecodeHeads];
    std::fill(m, m + heads, kNegInf);
    std::fill(l, l + heads, 0.0f);
    alignas(64) float s[kKvChunk];
    for (int64_t j0 = 0; j0 < visible; j0 += kKvChunk) {
      const int64_t n = std::min(kKvChunk, visible - j0), chunk = j0 / kKvChunk;
      for (int64_t x = 0; x < heads; ++x) {
        const int64_t block = cache.blockOffset(b, (pass + x) / group, chunk);
        const T* k = keys + block;
        const T* v = values + block;
        // Whole key tiles: the scores past n are computed from the tile's zeroed or later lanes
        // and never read.
        for (int64_t t = 0; t < n; t += kKvKeyTile)
          Ops::scoreTile(q + x * dim, k + t * dim, dim, s + t);
        const float* key_scales = nullptr;
        const float* value_scales = nullptr;
        if constexpr (kInt8) {
          key_scales = kvCacheScales(k, dim);
          value_scales = kvCacheScales(v, dim);
        }
        float alpha = 1.0f;
        if (!decodeChunkWeights(s, n, a.scale, key_scales, bias ? bias + j0 : nullptr, value_scales,
                                &m[x], &l[x], &alpha, exp))
          continue;  // all masked out
        float* yx = y + x * dim;
        if (alpha != 1.0f) Ops::scale(yx, alpha, dim);
        Ops::accumulate(s, n, v, dim, yx);
      }
    }
    for (int64_t x = 0; x < heads; ++x)
      if (l[x] > 0.0f) Ops::scale(y + x * dim, 1.0f / l[x], dim);
  }
}

// The driver for the cache's element type.
template <class Ops>
__attribute__((always_inline)) inline void attentionCachedHeadsAnyType(const CachedAttentionArgs& a,
                                                                       int64_t b, int64_t i,
                                                                       int64_t h_begin,
                                                                       int64_t h_end, VMathFn exp) {
  switch (a.cache.type) {
    case KvCacheType::F32: return attentionCachedHeads<Ops, float>(a, b, i, h_begin, h_end, exp);
    case KvCacheType::F16: return attentionCachedHeads<Ops, uint16_t>(a, b, i, h_begin, h_end, exp);
    case KvCacheType::I8: return attentionCachedHeads<Ops, int8_t>(a, b, i, h_begin, h_end, exp);
  }
}

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_DECODE_H
