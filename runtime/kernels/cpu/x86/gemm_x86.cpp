#include "kernels/cpu/x86/gemm_x86.h"

#ifdef LLMOPT_QKERNELS_X86
// GCC 12's AVX-512 intrinsics (the unpacks) start from _mm512_undefined_*(), which
// -W(maybe-)uninitialized reports once inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
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

// Columns of 12 rows: rows[0, 12) hold 16 columns each; out[j] gets column j (rows 0-11 in lanes
// 0-11, zeros above). Two in-lane unpack stages gather 4 rows of one column in each 128-bit
// lane; two lane shuffles stack the three 4-row groups.
LLMOPT_AVX512 void transpose12x16(const __m512 (&rows)[12], __m512 (&out)[16]) {
  __m512 t[12], u[16];
  for (int i = 0; i < 6; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
  }
  // u[4g + c], 128-bit lane L: column 4L + c of rows 4g .. 4g + 3.
  for (int g = 0; g < 3; ++g) {
    const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * g + 2]), d = _mm512_castps_pd(t[4 * g + 3]);
    u[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int c = 0; c < 4; ++c) u[12 + c] = _mm512_setzero_ps();
  // out[4L + c] = lane L of u[c], u[4 + c], u[8 + c], u[12 + c].
  for (int c = 0; c < 4; ++c) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44);  // L0, L1 of each
    const __m512 v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);  // L2, L3
    const __m512 w0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
    const __m512 w1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
    out[c] = _mm512_shuffle_f32x4(v0, w0, 0x88);
    out[4 + c] = _mm512_shuffle_f32x4(v0, w0, 0xDD);
    out[8 + c] = _mm512_shuffle_f32x4(v1, w1, 0x88);
    out[12 + c] = _mm512_shuffle_f32x4(v1, w1, 0xDD);
  }
}

}  // namespace

__attribute__((target("avx512f,avx2,fma"))) void packA12Avx512(const float* a, int64_t lda,
                                                               int64_t k, float* dst) {
  static_assert(kGemmAvx512Mr == 12, "packA12Avx512 packs blocks of 12 rows");
  constexpr __mmask16 kTwelve = 0x0FFF;
  for (int64_t p = 0; p < k; p += 16) {
    const int columns = static_cast<int>(k - p < 16 ? k - p : 16);
    const __mmask16 load = columns == 16 ? static_cast<__mmask16>(0xFFFF)
                                         : static_cast<__mmask16>((1u << columns) - 1);
    __m512 rows[12], cols[16];
    for (int r = 0; r < 12; ++r) rows[r] = _mm512_maskz_loadu_ps(load, a + r * lda + p);
    transpose12x16(rows, cols);
    for (int j = 0; j < columns; ++j) _mm512_mask_storeu_ps(dst + (p + j) * 12, kTwelve, cols[j]);
  }
}

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
