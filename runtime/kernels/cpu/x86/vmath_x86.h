// The x86 variants of the array math (VMathFn, SoftmaxRowFn): AVX-512F (16 lanes, masked tails)
// and AVX2 + FMA (8 lanes, vmaskmov tails), both from the same polynomials. Absent on other
// targets.
#ifndef LLMOPT_KERNELS_CPU_X86_VMATH_X86_H
#define LLMOPT_KERNELS_CPU_X86_VMATH_X86_H

#include <cstdint>

#include "kernels/cpu/x86/qx86.h"

#ifdef LLMOPT_QKERNELS_X86
namespace llmopt::kernels::cpu {

void vexpAvx512(const float* x, float* y, int64_t n);
void verfAvx512(const float* x, float* y, int64_t n);
void vgeluAvx512(const float* x, float* y, int64_t n);
void vgeluTanhAvx512(const float* x, float* y, int64_t n);
void vtanhAvx512(const float* x, float* y, int64_t n);
void vsigmoidAvx512(const float* x, float* y, int64_t n);
void softmaxRowAvx512(const float* x, float* y, int64_t n);

void vexpAvx2(const float* x, float* y, int64_t n);
void verfAvx2(const float* x, float* y, int64_t n);
void vgeluAvx2(const float* x, float* y, int64_t n);
void vgeluTanhAvx2(const float* x, float* y, int64_t n);
void vtanhAvx2(const float* x, float* y, int64_t n);
void vsigmoidAvx2(const float* x, float* y, int64_t n);
void softmaxRowAvx2(const float* x, float* y, int64_t n);

// CPU feature check for the AVX-512 variant (AVX-512F with AVX2 and FMA); the AVX2 variant needs
// cpuHasAvx2Fma() (qgemm_x86.h).
bool cpuHasAvx512FFma();

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_X86_VMATH_X86_H
