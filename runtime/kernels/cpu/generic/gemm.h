// Cache-blocked fp32 GEMM: C[M,N] (+)= A[M,K] . B (+ bias[N]).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_GEMM_H
#define LLMOPT_KERNELS_CPU_GENERIC_GEMM_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/gemm_microkernel.h"
#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

enum class BLayout {
  PackedN16,  // ceil(N/16) panels, each [K][16] row-major, the last zero-padded (plan.fbs)
  KN,         // row-major [K][N] with row stride ldb; packed block by block into scratch
};

struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;  // [m][k], row stride lda
  int64_t lda = 0;
  const float* b = nullptr;
  BLayout b_layout = BLayout::PackedN16;
  int64_t ldb = 0;              // KN only
  const float* bias = nullptr;  // [n] or null
  float* c = nullptr;           // [m][n], row stride ldc
  int64_t ldc = 0;
  bool accumulate = false;   // C += A.B (+ bias) instead of C = A.B (+ bias)
  float* scratch = nullptr;  // gemmScratchFloats() floats, 64-byte aligned
  const GemmMicrokernelVariant* variant = nullptr;  // null: bestGemmMicrokernel()
};

// Scratch floats gemmF32 needs for an [m][k] A and a B of n columns in `layout`: A's rows
// packed for the microkernel, and for KN a K block of B packed into panels.
size_t gemmScratchFloats(int64_t m, int64_t n, int64_t k, BLayout layout);

void gemmF32(const GemmArgs& args, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_GEMM_H
