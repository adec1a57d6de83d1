// The sdot variant of the W4A8 decode GEMV (QGemvW4A8PanelFn, qgemv_w4a8.h): int4 weights against
// int8 activations on armv8.2-a's dot product. Absent on other targets.
#ifndef LLMOPT_KERNELS_CPU_ARM_QGEMV_W4A8_ARM_H
#define LLMOPT_KERNELS_CPU_ARM_QGEMV_W4A8_ARM_H

#include <cstdint>

#include "kernels/cpu/arm/qarm.h"
#include "kernels/cpu/generic/qgemv_w4a8.h"

#ifdef LLMOPT_KERNELS_ARM
namespace llmopt::kernels::cpu {

// Needs cpuHasDotProd().
void gemvW4A8PanelNeonDot(const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0,
                          int rows, const float* bias, float* y, int64_t ldy, int cols);

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_ARM_QGEMV_W4A8_ARM_H
