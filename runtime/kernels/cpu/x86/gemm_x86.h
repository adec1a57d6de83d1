// The x86 AVX-512 variant of the fp32 GEMM microkernel (GemmMicrokernelFn): 12 rows by two
// 16-wide panels, 24 zmm accumulators, enough independent FMAs to keep both FMA ports busy (the
// one-panel tile of the generic variants leaves them waiting on the FMA latency). Absent on
// other targets.
#ifndef LLMOPT_KERNELS_CPU_X86_GEMM_X86_H
#define LLMOPT_KERNELS_CPU_X86_GEMM_X86_H

#include <cstdint>

#include "kernels/cpu/x86/qx86.h"

#ifdef LLMOPT_QKERNELS_X86
namespace llmopt::kernels::cpu {

constexpr int kGemmAvx512Mr = 12;
constexpr int kGemmAvx512Panels = 2;

void gemmAvx512(int64_t kc, const float* a, const float* panel, int64_t panel_stride,
                int panels, float* c, int64_t ldc, int rows, int cols, bool load_c,
                const float* bias);

// Packs 12 rows of A (row stride lda) of k columns into dst[p * 12 + r] (pack_a.h's layout for a
// full block), 16 columns at a time through a register transpose.
void packA12Avx512(const float* a, int64_t lda, int64_t k, float* dst);

bool cpuHasAvx512F();

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_X86_GEMM_X86_H
