// LLMOPT_BENCH_X86: the x86-64 measurements are built (GCC or Clang on x86-64; each uses
// per-function target attributes, so the program stays baseline x86-64 and checks the CPU's
// features before it runs them). Elsewhere they compile out.
#ifndef LLMOPT_BENCH_KERNELS_ARCH_H
#define LLMOPT_BENCH_KERNELS_ARCH_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LLMOPT_BENCH_X86 1
#endif

#endif  // LLMOPT_BENCH_KERNELS_ARCH_H
