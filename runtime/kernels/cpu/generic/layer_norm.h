// Layer normalisation (ONNX LayerNormalization) and RMS normalisation of fp32 rows.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_LAYER_NORM_H
#define LLMOPT_KERNELS_CPU_GENERIC_LAYER_NORM_H

#include <cstdint>

#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

// For each of `rows` rows of `cols` values: y = (x - mean) / sqrt(var + epsilon) * scale + bias,
// var the biased variance; mean and variance in double, two passes. scale [cols]; bias [cols] or
// null. y may alias x.
void layerNormF32(const float* x, const float* scale, const float* bias, int64_t rows,
                  int64_t cols, float epsilon, float* y, Parallel* parallel = nullptr);

// RMS normalisation: y = scale * (x * (1 / sqrt(mean(x^2) + epsilon))), the mean of squares in
// double, the factor rounded to float once per row (as the unfused graph computes it). y may
// alias x.
void rmsNormF32(const float* x, const float* scale, int64_t rows, int64_t cols, float epsilon,
                float* y, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_LAYER_NORM_H
