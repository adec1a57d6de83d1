// Layer normalisation (ONNX LayerNormalization) and RMS normalisation of fp32 rows, in one
// variant per instruction set, chosen once by the CPU's features (or LLMOPT_ISA). The scalar
// variant is the reference; every variant sums in double, so they differ in summation order only.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_LAYER_NORM_H
#define LLMOPT_KERNELS_CPU_GENERIC_LAYER_NORM_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

// One row of n >= 1 values: y = float((x - mean) / sqrt(var + epsilon)) * scale + bias, var the
// biased variance; mean, variance and x - mean in double, two passes (a large common offset
// costs no precision). bias may be null; y may alias x.
using LayerNormRowFn = void (*)(const float* x, const float* scale, const float* bias, int64_t n,
                                double epsilon, float* y);
// One row: y = scale * (x * (1 / sqrt(mean(x^2) + epsilon))), the mean of squares in double, the
// factor rounded to float once (as the unfused graph computes it). y may alias x.
using RmsNormRowFn = void (*)(const float* x, const float* scale, int64_t n, float epsilon,
                              float* y);

struct NormVariant {
  const char* name;  // "avx512", "avx2", "scalar"
  LayerNormRowFn layer_norm_row;
  RmsNormRowFn rms_norm_row;
  bool supported;  // this CPU can run it
};

// Every variant built into this library, best first (for tests and benchmarks).
const NormVariant* normVariants(size_t* count);

// The variant LLMOPT_ISA names (scalar, avx2; avx512vnni: avx512) when this CPU runs it, else the
// best this CPU runs.
const NormVariant& bestNormVariant();

// Each of `rows` rows of `cols` values normalised (LayerNormRowFn); scale [cols]; bias [cols] or
// null. `variant` null: bestNormVariant().
void layerNormF32(const float* x, const float* scale, const float* bias, int64_t rows,
                  int64_t cols, float epsilon, float* y, Parallel* parallel = nullptr,
                  const NormVariant* variant = nullptr);

// Each row RMS-normalised (RmsNormRowFn).
void rmsNormF32(const float* x, const float* scale, int64_t rows, int64_t cols, float epsilon,
                float* y, Parallel* parallel = nullptr, const NormVariant* variant = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_LAYER_NORM_H
