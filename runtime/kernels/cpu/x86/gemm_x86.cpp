#include "kernels/cpu/x86/gemm_x86.h"

#ifdef LLMOPT_QKERNELS_X86
#include <immintrin.h>

#define LLMOPT_AVX512 __attribute__((target("avx512f,avx2,fma"), always_inline)) inline

namespace llmopt::kernels::cpu {
namespace {

// Columns [16p, 16p + 16) of a tile `cols` wide: the lanes that exist.
LLMOPT_AVX512 __mmask16 laneMask(int cols, int p) {
  const int left = cols - 16 * p;
  return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1);
}

template <int Rows, int Panels>
LLMOPT_AVX512 void tile(int64_t kc, const float* a, const float* panel, int64_t panel_stride,
                        float* c, int64_t ldc, int cols, bool load_c, const float* bias) {
  __mmask16 mask[Panels];
  for (int p = 0; p < Panels; ++p) mask[p] = laneMask(cols, p);
  __m512 acc[Rows][Panels];
  for (int r = 0; r < Rows; ++r)
    for (int p = 0; p < Panels; ++p)
      acc[r][p] = load_c ? _mm512_maskz_loadu_ps(mask[p], c + r * ldc + 16 * p)
                         : _mm512_setzero_ps();

  const float* b0 = panel;
  const float* b1 = panel + panel_stride;
  for (int64_t k = 0; k < kc; ++k) {
    __m512 b[Panels];
    b[0] = _mm512_loadu_ps(b0 + 16 * k);
    if (Panels == 2) b[Panels - 1] = _mm512_loadu_ps(b1 + 16 * k);
    for (int r = 0; r < Rows; ++r) {
      const __m512 av = _mm512_set1_ps(a[k * Rows + r]);
      for (int p = 0; p < Panels; ++p) acc[r][p] = _mm512_fmadd_ps(av, b[p], acc[r][p]);
    }
  }

  if (bias) {
    for (int p = 0; p < Panels; ++p) {
      const __m512 bv = _mm512_maskz_loadu_ps(mask[p], bias + 16 * p);
      for (int r = 0; r < Rows; ++r) acc[r][p] = _mm512_add_ps(acc[r][p], bv);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int p = 0; p < Panels; ++p)
      _mm512_mask_storeu_ps(c + r * ldc + 16 * p, mask[p], acc[r][p]);
}

template <int Panels>
LLMOPT_AVX512 void anyRows(int64_t kc, const float* a, const float* panel,
                           int64_t panel_stride, float* c, int64_t ldc, int rows, int cols,
                           bool load_c, const float* bias) {
  static_assert(kGemmAvx512Mr == 12, "update the row dispatch below");
#define LLMOPT_GEMM_ROWS(R) \
  case R: return tile<R, Panels>(kc, a, panel, panel_stride, c, ldc, cols, load_c, bias);
  switch (rows) {
    LLMOPT_GEMM_ROWS(12) LLMOPT_GEMM_ROWS(11) LLMOPT_GEMM_ROWS(10) LLMOPT_GEMM_ROWS(9)
    LLMOPT_GEMM_ROWS(8) LLMOPT_GEMM_ROWS(7) LLMOPT_GEMM_ROWS(6) LLMOPT_GEMM_ROWS(5)
    LLMOPT_GEMM_ROWS(4) LLMOPT_GEMM_ROWS(3) LLMOPT_GEMM_ROWS(2)
    default: return tile<1, Panels>(kc, a, panel, panel_stride, c, ldc, cols, load_c, bias);
  }
#undef LLMOPT_GEMM_ROWS
}

}  // namespace

__attribute__((target("avx512f,avx2,fma"))) void gemmAvx512(
    int64_t kc, const float* a, const float* panel, int64_t panel_stride, int panels, float* c,
    int64_t ldc, int rows, int cols, bool load_c, const float* bias) {
  if (panels == 2)
    anyRows<2>(kc, a, panel, panel_stride, c, ldc, rows, cols, load_c, bias);
  else
    anyRows<1>(kc, a, panel, panel_stride, c, ldc, rows, cols, load_c, bias);
}

bool cpuHasAvx512F() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma");
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_QKERNELS_X86
