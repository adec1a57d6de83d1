// The W4A8 panel product (qgemv_w4a8.h) as plain loops, always inlined: the portable variant
// instantiates it (qdecode.cpp, with the other portable decoding kernels) and x86 builds again
// for AVX2 (qgemv_w4a8.cpp), where the compiler vectorises it.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QGEMV_W4A8_LOOPS_H
#define LLMOPT_KERNELS_CPU_GENERIC_QGEMV_W4A8_LOOPS_H

#include <cstdint>

#include "kernels/cpu/generic/qfloat16.h"
#include "kernels/cpu/generic/qgemv_w4a8.h"

namespace llmopt::kernels::cpu {

__attribute__((always_inline)) inline void gemvW4A8Panel(const QPanelSource& s, int64_t p,
                                                         const W4A8Rows& x, int64_t row0, int rows,
                                                         const float* bias, float* y, int64_t ldy,
                                                         int cols) {
  const uint8_t* w = static_cast<const uint8_t*>(s.w) + p * s.k * 8;
  for (int r = 0; r < rows; ++r) {
    const int64_t row = row0 + r;
    float acc[16] = {};
    for (int64_t g = 0; g < x.groups; ++g) {
      const int64_t k0 = g * s.group_size, k1 = k0 + s.group_size < s.k ? k0 + s.group_size : s.k;
      int32_t dot[16] = {};
      for (int64_t kk = k0; kk < k1; ++kk) {
        const int32_t xq = x.q[row * x.k + kk];
        for (int j = 0; j < 16; ++j) {
          const uint8_t byte = w[kk * 8 + j / 2];
          dot[j] += xq * ((j & 1) ? byte >> 4 : byte & 0xf);
        }
      }
      const int64_t at = (p * x.groups + g) * 16;
      const float xs = x.scale[row * x.groups + g], sum = x.sum[row * x.groups + g];
      for (int j = 0; j < 16; ++j)
        acc[j] += static_cast<float>(dot[j]) * (halfToFloat(s.group_scale[at + j]) * xs) +
                  sum * halfToFloat(s.group_offset[at + j]);
    }
    for (int j = 0; j < cols; ++j) y[r * ldy + j] = acc[j] + (bias ? bias[j] : 0.0f);
  }
}

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QGEMV_W4A8_LOOPS_H
