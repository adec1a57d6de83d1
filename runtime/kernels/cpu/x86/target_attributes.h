// For the x86 kernel sources only (after LLMOPT_QKERNELS_X86 is known to be set): the
// per-function target attributes that let a baseline library carry AVX2 and AVX-512 code, and
// the intrinsics header.
#ifndef LLMOPT_KERNELS_CPU_X86_TARGET_ATTRIBUTES_H
#define LLMOPT_KERNELS_CPU_X86_TARGET_ATTRIBUTES_H

// GCC 12's AVX-512 intrinsics (the unpacks, casts, scalef, roundscale, the reductions) start
// from _mm512_undefined_*(), which -W(maybe-)uninitialized reports once inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#define LLMOPT_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define LLMOPT_AVX2 __attribute__((target("avx2,fma")))
#define LLMOPT_INLINE __attribute__((always_inline)) inline

#endif  // LLMOPT_KERNELS_CPU_X86_TARGET_ATTRIBUTES_H
