// The per-row work of the W8A8 GEMM around its microkernel: quantizing an activation row and the
// epilogue that dequantizes a tile. Plain loops that compilers vectorize: each ISA variant
// (qgemm_microkernel.h) instantiates them in a function built for its instruction set, so the
// results are identical in every variant.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QW8A8_ROWS_H
#define LLMOPT_KERNELS_CPU_GENERIC_QW8A8_ROWS_H

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/generic/qfloat16.h"
#include "kernels/cpu/generic/qgemm_microkernel.h"

namespace llmopt::kernels::cpu {

// u[0, padded) = round_half_even(x · (1 / s)) + 128 (128 past k), s = max|x| / 127 (x / s
// where 1 / s overflows): a multiply by the reciprocal, as FBGEMM and llama.cpp quantize (a division per element took longer than
// the AMX GEMM itself at K = 1024). A row of zeros (or one whose s underflows to 0) gets s = 0, a
// row holding inf or NaN s = NaN: all u are 128 then, and the epilogue gives bias or NaN.
__attribute__((always_inline)) inline void quantizeW8A8RowImpl(const float* x, int64_t k,
                                                               int64_t padded, uint8_t* u,
                                                               float* scale) {
  // Finite floats order as their magnitude bits do, and every NaN lies above inf.
  uint32_t max_bits = 0;
  for (int64_t kk = 0; kk < k; ++kk) {
    const uint32_t bits = floatBits(x[kk]) & 0x7fffffffu;
    max_bits = bits > max_bits ? bits : max_bits;
  }
  const float s = floatFromBits(max_bits) / 127.0f;
  if (max_bits >= 0x7f800000u || s == 0.0f) {
    *scale = max_bits >= 0x7f800000u ? floatFromBits(0x7fc00000u) : 0.0f;
    std::memset(u, 128, padded);
    return;
  }
  *scale = s;
  // |x / s| stays below 191 (127 but for the rounding of a subnormal s). nearbyint rounds half to
  // even (the default rounding mode) and, unlike adding and removing 1.5 · 2^23, leaves no
  // a · b + c for FMA variants to contract; integer clamping keeps the loop free of float
  // compares, which GCC does not vectorise. Below s = 2^-128 the reciprocal overflows: such a
  // row (max|x| under 3e-37) divides.
  // One loop per case: a select per element would make vectorised variants divide anyway.
  const auto store = [&](auto scaled) __attribute__((always_inline)) {
    for (int64_t kk = 0; kk < k; ++kk) {
      int32_t q = static_cast<int32_t>(std::nearbyint(scaled(x[kk])));
      q = q < -127 ? -127 : (q > 127 ? 127 : q);
      u[kk] = static_cast<uint8_t>(q + 128);
    }
  };
  const float inv = 1.0f / s;
  if (inv <= 3.4028234e38f)
    store([inv](float v) { return v * inv; });
  else
    store([s](float v) { return v / s; });
  std::memset(u + k, 128, padded - k);
}

// y[r][j] = (acc[r][j] - 128 colsum[j]) * row_scale[r] * w_scale[j] (+ bias[j]) for r < rows,
// j < cols; acc rows are kQGemmAccStride apart, y rows ldy apart; colsum, w_scale and bias start
// at the tile's first column.
__attribute__((always_inline)) inline void storeW8A8TileImpl(
    const int32_t* acc, int rows, int64_t cols, const float* row_scales, const int32_t* colsum,
    const float* w_scale, const float* bias, float* y, int64_t ldy) {
  for (int r = 0; r < rows; ++r) {
    const float s = row_scales[r];
    const int32_t* sums = acc + r * kQGemmAccStride;
    float* out = y + r * ldy;
    for (int64_t j = 0; j < cols; ++j)
      out[j] = static_cast<float>(sums[j] - 128 * colsum[j]) * (s * w_scale[j]);
    // A second pass: in one expression, variants built with FMA would contract it and round
    // differently from the baseline build.
    if (bias)
      for (int64_t j = 0; j < cols; ++j) out[j] += bias[j];
  }
}

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QW8A8_ROWS_H
