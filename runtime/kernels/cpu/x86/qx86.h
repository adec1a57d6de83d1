// Whether this build has the x86 variants of the quantized kernels: x86-64 with GCC or Clang,
// whose per-function target attributes let a baseline library carry AVX2 and AVX-512 code.
#ifndef LLMOPT_KERNELS_CPU_X86_QX86_H
#define LLMOPT_KERNELS_CPU_X86_QX86_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LLMOPT_QKERNELS_X86 1
#include <immintrin.h>

namespace llmopt::kernels::cpu {

// acc += u8 . s8 (vpdpbusd), accumulating in place. GCC 12's _mm512_dpbusd_epi32 does not tie
// its result to the accumulator, so a register-blocked loop gets a copy of every accumulator
// per instruction (and spills): about three times the vector work, a third of VNNI peak.
__attribute__((target("avx512f,avx512vnni"), always_inline)) inline __m512i dpbusd(__m512i acc,
                                                                                 __m512i u8,
                                                                                 __m512i s8) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
  return acc;
}

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_X86_QX86_H
