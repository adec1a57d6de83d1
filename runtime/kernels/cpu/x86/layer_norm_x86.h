// The x86 variants of the normalisation rows (LayerNormRowFn, RmsNormRowFn in layer_norm.h):
// AVX-512F (16 floats a step, masked tail) and AVX2 (8 a step, scalar tail). Both keep the
// reference's arithmetic: the sums in double, x - mean in double. Absent on other targets.
#ifndef LLMOPT_KERNELS_CPU_X86_LAYER_NORM_X86_H
#define LLMOPT_KERNELS_CPU_X86_LAYER_NORM_X86_H

#include <cstdint>

#include "kernels/cpu/x86/qx86.h"

#ifdef LLMOPT_QKERNELS_X86
namespace llmopt::kernels::cpu {

void layerNormRowAvx512(const float* x, const float* scale, const float* bias, int64_t n,
                        double epsilon, float* y);
void rmsNormRowAvx512(const float* x, const float* scale, int64_t n, float epsilon, float* y);

void layerNormRowAvx2(const float* x, const float* scale, const float* bias, int64_t n,
                      double epsilon, float* y);
void rmsNormRowAvx2(const float* x, const float* scale, int64_t n, float epsilon, float* y);

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_X86_LAYER_NORM_X86_H
