// Whether this build has the x86 variants of the quantized kernels: x86-64 with GCC or Clang,
// whose per-function target attributes let a baseline library carry AVX2 and AVX-512 code.
#ifndef LLMOPT_KERNELS_CPU_X86_QX86_H
#define LLMOPT_KERNELS_CPU_X86_QX86_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LLMOPT_QKERNELS_X86 1
#endif

#endif  // LLMOPT_KERNELS_CPU_X86_QX86_H
