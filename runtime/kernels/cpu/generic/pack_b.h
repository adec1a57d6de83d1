// Packing a row-major B[K][N] into the 16-wide panels the GEMM microkernel streams.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_PACK_B_H
#define LLMOPT_KERNELS_CPU_GENERIC_PACK_B_H

#include <cstdint>

namespace llmopt::kernels::cpu {

// Number of 16-wide panels covering n columns.
inline int64_t panelCount(int64_t n) { return (n + 15) / 16; }

// Packs panels [first_panel, first_panel + panels) of rows [0, kc) of B (row-major, row stride
// ldb, n columns): panel p goes to dst + (p - first_panel) * kc * 16 as [kc][16] row-major, the
// columns past n zero-filled.
void packBPanels(const float* b, int64_t ldb, int64_t kc, int64_t n, int64_t first_panel,
                 int64_t panels, float* dst);

// The whole of B[k][n] in the PackedN16 layout of plan.fbs (ceil(n/16) panels of [k][16]).
void packWeightsN16(const float* b, int64_t k, int64_t n, float* dst);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_PACK_B_H
