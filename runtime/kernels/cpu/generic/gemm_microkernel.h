// The register-blocked inner loop of the fp32 GEMM: a tile of up to `mr` rows by up to
// `max_panels` 16-wide B panels, in one variant per instruction set, chosen once by the CPU's
// features (or LLMOPT_ISA, qisa.h).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_GEMM_MICROKERNEL_H
#define LLMOPT_KERNELS_CPU_GENERIC_GEMM_MICROKERNEL_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/pack_a.h"

namespace llmopt::kernels::cpu {

constexpr int kGemmMaxMr = 12;     // the most rows any variant takes per call
constexpr int kGemmMaxPanels = 2;  // the most panels any variant takes per call
constexpr int kPanelWidth = 16;    // columns per B panel (the PackedN16 layout)

// C[rows][cols] = (load_c ? C : 0) + A[rows][kc] . [P_0 | P_1 | ...][kc][16 * panels]
// (+ bias[cols] when bias != null), with A one block of packed rows (pack_a.h: row r, step k at
// a[k * rows + r]) and P_i one panel block (16 floats per row, zero-padded past the matrix)
// starting at panel + i * panel_stride; rows in [1, mr], panels in [1, max_panels], cols in
// [16 * (panels - 1) + 1, 16 * panels].
using GemmMicrokernelFn = void (*)(int64_t kc, const float* a, const float* panel,
                                   int64_t panel_stride, int panels, float* c, int64_t ldc,
                                   int rows, int cols, bool load_c, const float* bias);

struct GemmMicrokernelVariant {
  const char* name;  // "avx512", "avx2"; "neon"; "baseline"
  GemmMicrokernelFn fn;
  int mr;          // rows per call
  int max_panels;  // panels per call
  bool supported;  // this CPU can run it
  PackABlockFn pack_block;  // packs a full block of mr rows of A; null: the generic packing
};

// Every variant built into this library, best first (for tests and benchmarks).
const GemmMicrokernelVariant* gemmMicrokernelVariants(size_t* count);

// The variant LLMOPT_ISA names (avx512vnni: avx512, avx2, scalar: baseline) when this CPU runs
// it, else the best this CPU runs.
const GemmMicrokernelVariant& bestGemmMicrokernel();

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_GEMM_MICROKERNEL_H
