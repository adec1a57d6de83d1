// Linear layer: y[..., N] = x[..., K] . W + b, W a constant in PackedN16 or KN layout.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_LINEAR_H
#define LLMOPT_KERNELS_CPU_GENERIC_LINEAR_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/gemm.h"
#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

struct LinearArgs {
  const float* x = nullptr;  // [m][k]: the leading dims of x flattened into m
  int64_t m = 0, k = 0, n = 0;
  const float* w = nullptr;
  BLayout w_layout = BLayout::PackedN16;  // KN: w is row-major [k][n]
  const float* bias = nullptr;            // [n] or null
  float* y = nullptr;                     // [m][n]
  float* scratch = nullptr;               // linearScratchFloats() floats, 64-byte aligned
};

size_t linearScratchFloats(int64_t m, int64_t n, int64_t k, BLayout w_layout);

void linearF32(const LinearArgs& args, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_LINEAR_H
