// The NEON variant of the fp32 GEMM microkernel (GemmMicrokernelFn, gemm_microkernel.h): 12 rows
// by 8 columns at a time, 24 of the 32 vector registers accumulating, the row's A value taken by
// lane from three vector loads (the generic variant loads each of them on its own). Part of
// armv8-a, so every 64-bit ARM CPU runs it. Absent on other targets.
#ifndef LLMOPT_KERNELS_CPU_ARM_GEMM_ARM_H
#define LLMOPT_KERNELS_CPU_ARM_GEMM_ARM_H

#include <cstdint>

#include "kernels/cpu/arm/qarm.h"

#ifdef LLMOPT_KERNELS_ARM
namespace llmopt::kernels::cpu {

constexpr int kGemmNeonMr = 12;

void gemmNeon(int64_t kc, const float* a, const float* panel, int64_t panel_stride, int panels,
              float* c, int64_t ldc, int rows, int cols, bool load_c, const float* bias);

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_ARM_GEMM_ARM_H
