#include "kernels/cpu/generic/qgemv_w4a8.h"

#include <cmath>

#include "kernels/cpu/generic/qgemv_w4a8_loops.h"
#include "kernels/cpu/x86/qx86.h"

namespace llmopt::kernels::cpu {

namespace {

// The scratch holds the int8 rows, padded to 4 bytes, then the group scales, then the sums.
int64_t quantizedBytes(int64_t m, int64_t k) { return (m * k + 3) / 4 * 4; }

}  // namespace

size_t w4a8ScratchBytes(int64_t m, int64_t k) {
  const int64_t groups = (k + kW4A8Step - 1) / kW4A8Step;  // the most: groups of kW4A8Step
  return static_cast<size_t>(quantizedBytes(m, k) +
                             2 * m * groups * static_cast<int64_t>(sizeof(float)));
}

W4A8Rows quantizeW4A8Rows(const float* x, int64_t ldx, int64_t m, int64_t k, int64_t group_size,
                          void* scratch) {
  W4A8Rows rows;
  rows.k = k;
  rows.groups = (k + group_size - 1) / group_size;
  int8_t* q = static_cast<int8_t*>(scratch);
  float* scale = reinterpret_cast<float*>(static_cast<uint8_t*>(scratch) + quantizedBytes(m, k));
  float* sum = scale + m * rows.groups;
  for (int64_t r = 0; r < m; ++r)
    for (int64_t g = 0; g < rows.groups; ++g) {
      const int64_t k0 = g * group_size, k1 = k0 + group_size < k ? k0 + group_size : k;
      const float* xr = x + r * ldx;
      float max_abs = 0.0f, total = 0.0f;
      for (int64_t kk = k0; kk < k1; ++kk) {
        const float a = std::fabs(xr[kk]);
        max_abs = a > max_abs ? a : max_abs;
        total += xr[kk];
      }
      const float s = max_abs / 127.0f;
      const float inverse = s > 0.0f ? 1.0f / s : 0.0f;
      for (int64_t kk = k0; kk < k1; ++kk) {
        // Round half to even by adding and removing 1.5 * 2^23 (|v| <= 127 here), which the
        // compiler vectorises; nearbyint is a library call per value.
        constexpr float kRound = 12582912.0f;
        const float v = (xr[kk] * inverse + kRound) - kRound;
        q[r * k + kk] = static_cast<int8_t>(v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v);
      }
      scale[r * rows.groups + g] = s;
      sum[r * rows.groups + g] = total;
    }
  rows.q = q;
  rows.scale = scale;
  rows.sum = sum;
  return rows;
}

#ifdef LLMOPT_QKERNELS_X86
// The portable loops (qgemv_w4a8_loops.h), vectorised by the compiler for AVX2 (16 channels of
// int32 sums).
__attribute__((target("avx2,fma,f16c"))) void gemvW4A8PanelAvx2(
    const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0, int rows,
    const float* bias, float* y, int64_t ldy, int cols) {
  gemvW4A8Panel(s, p, x, row0, rows, bias, y, ldy, cols);
}
#endif

}  // namespace llmopt::kernels::cpu
