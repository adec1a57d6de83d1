// The x86 variants of weight-only decoding (QDecodePanelFn, QGemvPanelFn): AVX-512 (one zmm per
// 16-channel row) and AVX2 (two ymm), both with F16C for fp16. Absent on other targets.
#ifndef LLMOPT_KERNELS_CPU_X86_QDECODE_X86_H
#define LLMOPT_KERNELS_CPU_X86_QDECODE_X86_H

#include <cstdint>

#include "kernels/cpu/generic/qdecode.h"
#include "kernels/cpu/x86/qx86.h"

#ifdef LLMOPT_QKERNELS_X86
namespace llmopt::kernels::cpu {

void qdecodePanelAvx512(const QPanelSource& s, int64_t p, int64_t k0, int64_t kc, float* out);
void qgemvPanelAvx512(const QPanelSource& s, int64_t p, const float* x, int64_t ldx, int rows,
                      const float* bias, float* y, int64_t ldy, int cols);
void qdecodePanelAvx2(const QPanelSource& s, int64_t p, int64_t k0, int64_t kc, float* out);
void qgemvPanelAvx2(const QPanelSource& s, int64_t p, const float* x, int64_t ldx, int rows,
                    const float* bias, float* y, int64_t ldy, int cols);

// CPU feature checks for the variants above.
bool cpuHasAvx512F16c();
bool cpuHasAvx2F16c();

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_X86_QDECODE_X86_H
