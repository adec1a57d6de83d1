// The AVX-512 VNNI variants of the W4A8 decode GEMV (QGemvW4A8PanelFn, qgemv_w4a8.h): the same
// results, the second regrouping its weights with AVX512_VBMI's byte permutations. Absent on
// other targets.
#ifndef LLMOPT_KERNELS_CPU_X86_QGEMV_W4A8_X86_H
#define LLMOPT_KERNELS_CPU_X86_QGEMV_W4A8_X86_H

#include <cstdint>

#include "kernels/cpu/generic/qgemv_w4a8.h"
#include "kernels/cpu/x86/qx86.h"

#ifdef LLMOPT_QKERNELS_X86
namespace llmopt::kernels::cpu {

void gemvW4A8PanelAvx512Vnni(const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0,
                             int rows, const float* bias, float* y, int64_t ldy, int cols);
void gemvW4A8PanelAvx512Vbmi(const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0,
                             int rows, const float* bias, float* y, int64_t ldy, int cols);

// AVX-512 VNNI and AVX512_VBMI.
bool cpuHasAvx512Vbmi();

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_X86_QGEMV_W4A8_X86_H
