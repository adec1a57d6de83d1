// Fused scaled dot-product attention (plan.fbs AttentionParams, a plain run: the KV cache is not
// on the GPU). One warp per query row (b, i, h): the lanes split the head dim D, each key's score
// is a warp sum, and an online softmax (running max and sum) accumulates the values, so no score
// matrix is formed. The numerics follow runtime/kernels/cpu/generic/attention_block.h: the
// scale multiplies q before the dot products, the key bias is added after, a query that sees no
// key (or only keys of bias -inf) gets 0, and rope rotates q (query row i at position
// i + Sk - Sq) and k (key j at position j) as the unfused graph does. A query that sees keys but
// sits before the tables' first row (not causal, Sq > Sk, rope) has no rotation: it stores 1 to
// *a.fault and gets 0s (the CPU reads before its tables there).
#ifndef LLMOPT_KERNELS_CUDA_ATTENTION_CUH
#define LLMOPT_KERNELS_CUDA_ATTENTION_CUH

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/op_args.h"
#include "kernels/cuda/team.cuh"

namespace llmopt::cuda {

// The largest head size: the CPU's kAttentionMaxDim, which the runtime's shape checks enforce.
constexpr int kAttentionMaxDim = 256;

// Element d of row x (D values) rotated by the rope tables' row (rotate-half):
// x[d] cos[d] + r[d] sin[d], r = -x[d + D/2] below D/2, x[d - D/2] from there; two products,
// then their sum, each rounded (ropeRotateHalfF32).
LLMOPT_HD inline float ropeAt(const float* x, const float* cos, const float* sin, int64_t d,
                              int64_t half) {
  const float direct = mulRn(x[d], cos[d]);
  const float rotated = d < half ? mulRn(-x[d + half], sin[d]) : mulRn(x[d - half], sin[d]);
  return addRn(direct, rotated);
}

// inputs: [q [B, Sq, H, D], k [B, Sk, Hkv, D], v [B, Sk, Hkv, D]] or, with packed_kv_heads > 0,
// [qkv [B, S, H + 2 Hkv, D]]; then cos and sin [Sk, D] when kRope; then key_bias [B or 1, Sk]
// when kKeyBias. out [B, Sq, H, D]. Head h reads key/value head h / (H / Hkv).
template <bool kCausal, bool kRope, bool kKeyBias, class Exec>
LLMOPT_DEV void attention(const Exec& ex, const OpArgs& a, float scale, int32_t packed_kv_heads) {
  const TensorArg& q0 = a.in[0];
  const int64_t batch = q0.dims[0], q_len = q0.dims[1], dim = q0.dims[3];
  const float* qp = static_cast<const float*>(q0.data);
  const float *kp, *vp;
  int64_t heads, kv_heads, kv_len, q_stride, kv_stride;
  int next;
  if (packed_kv_heads > 0) {
    kv_heads = packed_kv_heads;
    heads = q0.dims[2] - 2 * kv_heads;
    kv_len = q_len;
    kp = qp + heads * dim;
    vp = kp + kv_heads * dim;
    q_stride = kv_stride = q0.dims[2] * dim;
    next = 1;
  } else {
    heads = q0.dims[2];
    kv_len = a.in[1].dims[1];
    kv_heads = a.in[1].dims[2];
    kp = static_cast<const float*>(a.in[1].data);
    vp = static_cast<const float*>(a.in[2].data);
    q_stride = heads * dim;
    kv_stride = kv_heads * dim;
    next = 3;
  }
  const float* cos_table = kRope ? static_cast<const float*>(a.in[next].data) : nullptr;
  const float* sin_table = kRope ? static_cast<const float*>(a.in[next + 1].data) : nullptr;
  if (kRope) next += 2;
  const float* key_bias = kKeyBias ? static_cast<const float*>(a.in[next].data) : nullptr;
  const int64_t bias_stride = kKeyBias && a.in[next].dims[0] != 1 ? kv_len : 0;
  float* y = static_cast<float*>(a.out.data);
  if (batch == 0 || q_len == 0 || heads <= 0 || kv_heads <= 0 || dim == 0) return;
  if (dim > kAttentionMaxDim) {  // refused by the runtime's shape checks before any kernel
    if (a.fault) *a.fault = 1;
    return;
  }
  const int64_t group = heads / kv_heads, half = dim / 2;
  ex.forEachTeam(batch * q_len * heads, [&](const auto& t, int64_t item) {
    constexpr int kSize = std::remove_reference_t<decltype(t)>::kSize;
    constexpr int kPerLane = (kAttentionMaxDim + kSize - 1) / kSize;
    const int64_t h = item % heads, bi = item / heads, i = bi % q_len, b = bi / q_len;
    const int64_t position = i + kv_len - q_len;  // of this query among the keys
    const int64_t end = kCausal ? (position + 1 < kv_len ? position + 1 : kv_len) : kv_len;
    float* yr = y + ((b * q_len + i) * heads + h) * dim;
    // A query that sees no key gets 0s; one that would (not causal, Sq > Sk) at a position
    // before the rope tables' first row has no rotation: a fault, and 0s.
    if (end <= 0 || (kRope && position < 0)) {
      if (end > 0 && a.fault) *a.fault = 1;
      for (int64_t d = t.lane(); d < dim; d += t.size()) yr[d] = 0.0f;
      return;
    }
    const float* q = qp + (b * q_len + i) * q_stride + h * dim;
    float qs[kPerLane], o[kPerLane];
    LLMOPT_UNROLL
    for (int u = 0; u < kPerLane; ++u) {
      const int64_t d = t.lane() + static_cast<int64_t>(u) * kSize;
      o[u] = 0.0f;
      qs[u] = 0.0f;
      if (d < dim)
        qs[u] = scale *
                (kRope ? ropeAt(q, cos_table + position * dim, sin_table + position * dim, d, half)
                       : q[d]);
    }
    const int64_t kv_head = h / group;
    float m = negInf(), l = 0.0f;
    for (int64_t j = 0; j < end; ++j) {
      const float* kr = kp + (b * kv_len + j) * kv_stride + kv_head * dim;
      float partial = 0.0f;
      LLMOPT_UNROLL
      for (int u = 0; u < kPerLane; ++u) {
        const int64_t d = t.lane() + static_cast<int64_t>(u) * kSize;
        if (d < dim)
          partial += qs[u] * (kRope ? ropeAt(kr, cos_table + j * dim, sin_table + j * dim, d, half)
                                    : kr[d]);
      }
      float s = t.sum(partial);
      if (kKeyBias) s += key_bias[b * bias_stride + j];
      // While no key has a finite score the shift is 0, so exp gives 0s (not -inf - -inf).
      const float m_new = s > m ? s : m;
      const float shift = m_new == negInf() ? 0.0f : m_new;
      const float alpha = ::expf(m - shift), p = ::expf(s - shift);
      l = l * alpha + p;
      m = m_new;
      const float* vr = vp + (b * kv_len + j) * kv_stride + kv_head * dim;
      LLMOPT_UNROLL
      for (int u = 0; u < kPerLane; ++u) {
        const int64_t d = t.lane() + static_cast<int64_t>(u) * kSize;
        if (d < dim) o[u] = o[u] * alpha + p * vr[d];
      }
    }
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;  // every key at bias -inf: 0s
    LLMOPT_UNROLL
    for (int u = 0; u < kPerLane; ++u) {
      const int64_t d = t.lane() + static_cast<int64_t>(u) * kSize;
      if (d < dim) yr[d] = o[u] * inv;
    }
  });
}

}  // namespace llmopt::cuda

#endif  // LLMOPT_KERNELS_CUDA_ATTENTION_CUH
