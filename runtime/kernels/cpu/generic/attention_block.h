// One task of the attention kernel (attention.h): a block of queries of one kv head against every
// key it sees, tile by tile, with the online softmax. The driver is shared; each variant supplies
// the work on the block's buffers as a Kernel (plain loops below, intrinsics for x86) and
// instantiates the driver in a function built for its instruction set, as qw8a8_rows.h is shared.
//
// Queries sit in the lanes of every buffer, so the softmax's per-query max, sum and rescaling are
// vertical and need no horizontal reductions:
//   qt [D][Lanes]    the block's queries, transposed and multiplied by the scale,
//   st [Keys][Lanes] one tile's scores, then its probabilities,
//   ot [D][Lanes]    the output accumulator, transposed.
// Both products are then the same shape, rows of `out` from scalars of `a` times rows of `b`:
//   scores  st[c] = sum_d k[j0 + c][d] qt[d]                 (rows: keys, x: d)
//   output  ot[d] = alpha ot[d] + sum_c v[j0 + c][d] st[c]   (rows: d, x: keys)
#ifndef LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_BLOCK_H
#define LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_BLOCK_H

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/cpu/generic/attention.h"

namespace llmopt::kernels::cpu {

// Keys per tile.
constexpr int64_t kAttentionKeys = 64;

// A Kernel for Lanes queries per block has these static functions:
//   rows(rows, a, row_stride, x_stride, b, n, alpha, out): for i < rows,
//     out[i][0, Lanes) = (alpha ? out[i] * alpha : 0) + sum_{x < n} a[i row_stride + x x_stride]
//     * b[x][0, Lanes), b and out rows Lanes floats apart, alpha Lanes floats.
//   pack(q, n, dim, scale, qt): qt[d][t] = scale q[t][d] for t < n, 0 for n <= t < Lanes.
//   store(ot, inv, n, dim, y): y[t][d] = ot[d][t] inv[t] for t < n.
//   softmax(st, keys, visible, m, l, alpha, exp): one tile's step of the online softmax, below.
// AttentionLoops is the plain-loop Kernel but for rows (the scalar variant's).
template <int64_t Lanes>
struct AttentionLoops {
  static void pack(const float* const* q, int64_t n, int64_t dim, float scale, float* qt) {
    for (int64_t t = 0; t < n; ++t)
      for (int64_t d = 0; d < dim; ++d) qt[d * Lanes + t] = scale * q[t][d];
    for (int64_t d = 0; d < dim; ++d) std::fill(qt + d * Lanes + n, qt + (d + 1) * Lanes, 0.0f);
  }

  static void store(const float* ot, const float* inv, int64_t n, int64_t dim, float* const* y) {
    for (int64_t t = 0; t < n; ++t)
      for (int64_t d = 0; d < dim; ++d) y[t][d] = ot[d * Lanes + t] * inv[t];
  }

  // The scores st[keys][Lanes] become probabilities relative to the new running max m, the old
  // sums l are rescaled by alpha (returned, for the output accumulator) and take the tile's.
  // Query t sees the tile's first visible[t] keys (every key when visible is null). A query that
  // has seen no key yet keeps max -inf; it is shifted by 0 instead, so exp gives 0s (not the NaN
  // of -inf - -inf) and alpha 0.
  static void softmax(float* st, int64_t keys, const int32_t* visible, float* m, float* l,
                      float* alpha, VMathFn exp) {
    constexpr float kNegInf = -std::numeric_limits<float>::infinity();
    float mt[Lanes], shift[Lanes], sum[Lanes];
    if (visible)
      for (int64_t c = 0; c < keys; ++c)
        for (int64_t t = 0; t < Lanes; ++t)
          if (c >= visible[t]) st[c * Lanes + t] = kNegInf;
    std::memcpy(mt, m, sizeof(mt));
    for (int64_t c = 0; c < keys; ++c)
      for (int64_t t = 0; t < Lanes; ++t) {
        const float s = st[c * Lanes + t];
        mt[t] = s > mt[t] ? s : mt[t];
      }
    for (int64_t t = 0; t < Lanes; ++t) {
      shift[t] = mt[t] == kNegInf ? 0.0f : mt[t];
      alpha[t] = m[t] - shift[t];
      m[t] = mt[t];
    }
    exp(alpha, alpha, Lanes);
    for (int64_t c = 0; c < keys; ++c)
      for (int64_t t = 0; t < Lanes; ++t) st[c * Lanes + t] -= shift[t];
    exp(st, st, keys * Lanes);
    std::fill(sum, sum + Lanes, 0.0f);
    for (int64_t c = 0; c < keys; ++c)
      for (int64_t t = 0; t < Lanes; ++t) sum[t] += st[c * Lanes + t];
    for (int64_t t = 0; t < Lanes; ++t) l[t] = l[t] * alpha[t] + sum[t];
  }
};

// The task's buffers: (2 MaxDim + kAttentionKeys) Lanes floats, 72 KB for MaxDim 256 and 32 lanes,
// 80 KB for MaxDim 128 and 64 lanes; dim <= MaxDim.
template <int64_t Lanes, class Kernel, int64_t MaxDim = kAttentionMaxDim>
__attribute__((always_inline)) inline void attentionBlockImpl(const AttentionArgs& a, int64_t b,
                                                              int64_t kv_head, int64_t lane_begin,
                                                              VMathFn exp) {
  constexpr int64_t kKeys = kAttentionKeys;
  const int64_t dim = a.dim, group = a.heads / a.kv_heads;
  const int64_t n = std::min(Lanes, a.q_len * group - lane_begin);
  alignas(64) float qt[MaxDim * Lanes];
  alignas(64) float ot[MaxDim * Lanes];
  alignas(64) float st[kKeys * Lanes];
  alignas(64) float m[Lanes], l[Lanes], alpha[Lanes];
  alignas(64) int32_t visible[Lanes];
  int64_t last[Lanes];  // the last key each query sees; below 0: none
  const float* q[Lanes];
  float* y[Lanes];

  for (int64_t t = 0; t < n; ++t) {
    const int64_t lane = lane_begin + t, i = lane / group;
    const int64_t position = b * a.q_len + i, head = kv_head * group + lane % group;
    q[t] = a.q + position * a.qStride() + head * dim;
    y[t] = a.y + (position * a.heads + head) * dim;
    last[t] = a.causal ? i + (a.kv_len - a.q_len) : a.kv_len - 1;
  }
  // Padding lanes repeat the last query's visibility (and compute on zeros, never stored), so
  // they neither add key tiles nor masking.
  std::fill(last + n, last + Lanes, last[n - 1]);
  // Queries come in row order: lane 0 sees the fewest keys, lane n - 1 the most.
  const int64_t end = last[n - 1] + 1;
  if (end <= 0) {
    for (int64_t t = 0; t < n; ++t) std::fill(y[t], y[t] + dim, 0.0f);
    return;
  }
  Kernel::pack(q, n, dim, a.scale, qt);

  const int64_t k_stride = a.kStride(), v_stride = a.vStride();
  const float* k = a.k + b * a.kv_len * k_stride + kv_head * a.dim;
  const float* v = a.v + b * a.kv_len * v_stride + kv_head * a.dim;
  const float* key_bias = a.key_bias ? a.key_bias + b * a.key_bias_batch_stride : nullptr;
  std::fill(m, m + Lanes, -std::numeric_limits<float>::infinity());
  std::fill(l, l + Lanes, 0.0f);
  for (int64_t j0 = 0; j0 < end; j0 += kKeys) {
    const int64_t keys = std::min(kKeys, end - j0);
    Kernel::rows(keys, k + j0 * k_stride, k_stride, 1, qt, dim, nullptr, st);
    if (key_bias)
      for (int64_t c = 0; c < keys; ++c)
        for (int64_t t = 0; t < Lanes; ++t) st[c * Lanes + t] += key_bias[j0 + c];
    const bool diagonal = j0 + keys - 1 > last[0];  // some query sees only part of the tile
    if (diagonal)
      for (int64_t t = 0; t < Lanes; ++t)
        visible[t] = static_cast<int32_t>(std::clamp<int64_t>(last[t] + 1 - j0, 0, keys));
    Kernel::softmax(st, keys, diagonal ? visible : nullptr, m, l, alpha, exp);
    Kernel::rows(dim, v + j0 * v_stride, 1, v_stride, st, keys, j0 == 0 ? nullptr : alpha, ot);
  }

  // l = 0: the query saw no key (its outputs are 0s too).
  for (int64_t t = 0; t < Lanes; ++t) alpha[t] = l[t] > 0.0f ? 1.0f / l[t] : 0.0f;
  Kernel::store(ot, alpha, n, dim, y);
}

// The scalar variant's block kernel: AttentionLoops with plain loops for rows
// (attention_block_scalar.cpp).
constexpr int64_t kAttentionLanesScalar = 16;
void attentionBlockScalar(const AttentionArgs& a, int64_t b, int64_t kv_head, int64_t lane_begin,
                          VMathFn exp);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_BLOCK_H
