// Attention for a decoding step: one query per head (or a few) against every cached key. The
// block kernel (attention_block.h) puts queries in vector lanes, which a single query leaves
// 15/16 empty; here a task is one (batch, head, query) and the vectors run along the head
// dimension instead: a key's score is a dot product of q with its row, the output a sum of value
// rows weighted by the probabilities, tile by tile of keys with the online softmax. Keys and
// values stream once per query head (for grouped heads, once per head of the group: the group is
// small and the rows are then in cache).
//
// The driver is shared; each instruction set supplies Ops:
//   dot(q, k, dim) -> float            q . k
//   accumulate(p, n, v, v_stride, dim, y)   y += sum_{c < n} p[c] * v[c * v_stride ..]
//   scale(y, s, dim)                   y *= s
#ifndef LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_DECODE_H
#define LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_DECODE_H

#include <algorithm>
#include <cstdint>
#include <limits>

#include "kernels/cpu/generic/attention.h"

namespace llmopt::kernels::cpu {

// Keys per tile of the decode driver (its scores buffer lives on the stack).
constexpr int64_t kAttentionDecodeKeys = 256;

// One task: query `i` of head `h` in batch `b` (attention.h's semantics, causal included).
// Always inlined, so that it is compiled for the instruction set of the function instantiating it
// (and its Ops inline into it).
template <class Ops>
__attribute__((always_inline)) inline void attentionDecodeTask(const AttentionArgs& a, int64_t b, int64_t h, int64_t i,
                                VMathFn exp) {
  const int64_t group = a.heads / a.kv_heads, kv_head = h / group, dim = a.dim;
  const float* q = a.q + (b * a.q_len + i) * a.qStride() + h * dim;
  const float* k = a.k + b * a.kv_len * a.kStride() + kv_head * a.kvHeadStride();
  const float* v = a.v + b * a.kv_len * a.vStride() + kv_head * a.kvHeadStride();
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
    float tile_max = -std::numeric_limits<float>::infinity();
    for (int64_t c = 0; c < n; ++c) {
      s[c] = a.scale * Ops::dot(q, k + (j0 + c) * a.kStride(), dim);
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
    Ops::accumulate(s, n, v + j0 * a.vStride(), a.vStride(), dim, y);
  }
  if (l > 0.0f) Ops::scale(y, 1.0f / l, dim);
}

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_DECODE_H
