// The 64-bit ARM variants of the W8A8 GEMM microkernel (QGemmMicrokernelFn, qgemm_microkernel.h):
// sdot (armv8.2-a's dot product, on activations shifted to signed) and plain NEON widening to
// int16 for CPUs without it (Cortex-A53). Absent on other targets.
#ifndef LLMOPT_KERNELS_CPU_ARM_QGEMM_ARM_H
#define LLMOPT_KERNELS_CPU_ARM_QGEMM_ARM_H

#include <cstdint>

#include "kernels/cpu/arm/qarm.h"

#ifdef LLMOPT_KERNELS_ARM
namespace llmopt::kernels::cpu {

// Rows per call of both variants: the scalar variant's. qgemmVariantForRows gives a product of
// up to mr / 2 rows to a later variant with fewer rows per call (for AMX's 16-row tiles), so a
// larger mr here would send single tokens to the scalar code.
constexpr int kQGemmNeonMr = 6;

// Needs cpuHasDotProd().
void qgemmNeonDot(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w, int64_t panel_stride,
                  int panels, int rows, int32_t* acc);
void qgemmNeon(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w, int64_t panel_stride,
               int panels, int rows, int32_t* acc);

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_ARM_QGEMM_ARM_H
