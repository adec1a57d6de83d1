// The register-blocked inner loop of the fp32 GEMM: a tile of up to kGemmMr rows by one 16-wide
// B panel, in one variant per instruction set, chosen once by the CPU's features.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_GEMM_MICROKERNEL_H
#define LLMOPT_KERNELS_CPU_GENERIC_GEMM_MICROKERNEL_H

#include <cstddef>
#include <cstdint>

namespace llmopt::kernels::cpu {

constexpr int kGemmMr = 6;       // rows of C per microkernel call
constexpr int kPanelWidth = 16;  // columns per B panel (the PackedN16 layout)

// C[rows][cols] = (load_c ? C : 0) + A[rows][kc] . P[kc][16] (+ bias[cols] when bias != null),
// with A row-major (row stride lda), P one panel block (16 floats per row, zero-padded past
// `cols`), rows in [1, kGemmMr], cols in [1, 16].
using GemmMicrokernelFn = void (*)(int64_t kc, const float* a, int64_t lda, const float* panel,
                                   float* c, int64_t ldc, int rows, int cols, bool load_c,
                                   const float* bias);

struct GemmMicrokernelVariant {
  const char* name;  // "avx512", "avx2", "baseline"
  GemmMicrokernelFn fn;
  bool supported;  // this CPU can run it
};

// Every variant built into this library, best first (for tests and benchmarks).
const GemmMicrokernelVariant* gemmMicrokernelVariants(size_t* count);

// The best variant this CPU runs.
const GemmMicrokernelVariant& bestGemmMicrokernel();

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_GEMM_MICROKERNEL_H
