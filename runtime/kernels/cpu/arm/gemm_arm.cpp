#include "kernels/cpu/arm/gemm_arm.h"

#ifdef LLMOPT_KERNELS_ARM
#include <arm_neon.h>

#include "kernels/cpu/generic/gemm_microkernel.h"

namespace llmopt::kernels::cpu {
namespace {

// Rows 4G to 4G + 3 of a full block: acc[r] += a[lane r - 4G] * b.
template <int G>
LLMOPT_INLINE void fmaGroup(float32x4_t a, float32x4_t b0, float32x4_t b1,
                            float32x4_t (&acc)[12][2]) {
  acc[4 * G][0] = vfmaq_laneq_f32(acc[4 * G][0], b0, a, 0);
  acc[4 * G][1] = vfmaq_laneq_f32(acc[4 * G][1], b1, a, 0);
  acc[4 * G + 1][0] = vfmaq_laneq_f32(acc[4 * G + 1][0], b0, a, 1);
  acc[4 * G + 1][1] = vfmaq_laneq_f32(acc[4 * G + 1][1], b1, a, 1);
  acc[4 * G + 2][0] = vfmaq_laneq_f32(acc[4 * G + 2][0], b0, a, 2);
  acc[4 * G + 2][1] = vfmaq_laneq_f32(acc[4 * G + 2][1], b1, a, 2);
  acc[4 * G + 3][0] = vfmaq_laneq_f32(acc[4 * G + 3][0], b0, a, 3);
  acc[4 * G + 3][1] = vfmaq_laneq_f32(acc[4 * G + 3][1], b1, a, 3);
}

// acc[r] += A[r] * b for the Rows values of one packed step of A. A full block of 12 is three
// vectors, multiplied by lane; a shorter one (the last rows of a matrix) by scalar.
template <int Rows>
LLMOPT_INLINE void fmaStep(const float* a, float32x4_t b0, float32x4_t b1,
                           float32x4_t (&acc)[Rows][2]) {
  if constexpr (Rows == 12) {
    fmaGroup<0>(vld1q_f32(a), b0, b1, acc);
    fmaGroup<1>(vld1q_f32(a + 4), b0, b1, acc);
    fmaGroup<2>(vld1q_f32(a + 8), b0, b1, acc);
  } else {
    for (int r = 0; r < Rows; ++r) {
      acc[r][0] = vfmaq_n_f32(acc[r][0], b0, a[r]);
      acc[r][1] = vfmaq_n_f32(acc[r][1], b1, a[r]);
    }
  }
}

// Columns [0, cols) (1 to 8) of the panel's 8 columns at `panel` (rows 16 floats apart), in the
// generic tile's order: C or 0, the products in k order (fused), then the bias.
template <int Rows>
LLMOPT_INLINE void tile(int64_t kc, const float* a, const float* panel, float* c, int64_t ldc,
                        int cols, bool load_c, const float* bias) {
  float32x4_t acc[Rows][2];
  float part[8] = {};
  for (int r = 0; r < Rows; ++r) {
    if (load_c && cols == 8) {
      acc[r][0] = vld1q_f32(c + r * ldc);
      acc[r][1] = vld1q_f32(c + r * ldc + 4);
    } else if (load_c) {
      for (int j = 0; j < cols; ++j) part[j] = c[r * ldc + j];
      acc[r][0] = vld1q_f32(part);
      acc[r][1] = vld1q_f32(part + 4);
    } else {
      acc[r][0] = acc[r][1] = vdupq_n_f32(0.0f);
    }
  }
  for (int64_t k = 0; k < kc; ++k)
    fmaStep<Rows>(a + k * Rows, vld1q_f32(panel + k * kPanelWidth),
                  vld1q_f32(panel + k * kPanelWidth + 4), acc);
  if (bias) {
    for (int j = 0; j < 8; ++j) part[j] = j < cols ? bias[j] : 0.0f;
    const float32x4_t bias0 = vld1q_f32(part), bias1 = vld1q_f32(part + 4);
    for (int r = 0; r < Rows; ++r) {
      acc[r][0] = vaddq_f32(acc[r][0], bias0);
      acc[r][1] = vaddq_f32(acc[r][1], bias1);
    }
  }
  for (int r = 0; r < Rows; ++r) {
    if (cols == 8) {
      vst1q_f32(c + r * ldc, acc[r][0]);
      vst1q_f32(c + r * ldc + 4, acc[r][1]);
    } else {
      vst1q_f32(part, acc[r][0]);
      vst1q_f32(part + 4, acc[r][1]);
      for (int j = 0; j < cols; ++j) c[r * ldc + j] = part[j];
    }
  }
}

// The panel's two halves of 8 columns, each over all rows: A's block (in L1) is read twice.
template <int Rows>
void halves(int64_t kc, const float* a, const float* panel, float* c, int64_t ldc, int cols,
            bool load_c, const float* bias) {
  for (int h = 0; h < 2 && cols > 8 * h; ++h) {
    const int part = cols - 8 * h < 8 ? cols - 8 * h : 8;
    tile<Rows>(kc, a, panel + 8 * h, c + 8 * h, ldc, part, load_c, bias ? bias + 8 * h : nullptr);
  }
}

}  // namespace

void gemmNeon(int64_t kc, const float* a, const float* panel, int64_t /*panel_stride*/,
              int /*panels*/, float* c, int64_t ldc, int rows, int cols, bool load_c,
              const float* bias) {
  using HalvesFn = void (*)(int64_t, const float*, const float*, float*, int64_t, int, bool,
                           const float*);
  static constexpr HalvesFn kByRows[kGemmNeonMr] = {
      halves<1>, halves<2>, halves<3>, halves<4>,  halves<5>,  halves<6>,
      halves<7>, halves<8>, halves<9>, halves<10>, halves<11>, halves<12>};
  static_assert(kGemmNeonMr == 12, "update the table above");
  kByRows[rows - 1](kc, a, panel, c, ldc, cols, load_c, bias);
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_KERNELS_ARM
