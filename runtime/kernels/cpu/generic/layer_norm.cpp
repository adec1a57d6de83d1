#include "kernels/cpu/generic/layer_norm.h"

#include <cmath>

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {
namespace {

void normaliseRow(const float* x, const float* scale, const float* bias, int64_t n,
                  double epsilon, float* y) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / static_cast<double>(n);
  double squares = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = x[i] - mean;
    squares += d * d;
  }
  const double inv = 1.0 / std::sqrt(squares / static_cast<double>(n) + epsilon);
  // x - mean in double: rounding the mean to float would cost precision when |mean| >> std.
  if (bias) {
    for (int64_t i = 0; i < n; ++i)
      y[i] = static_cast<float>((x[i] - mean) * inv) * scale[i] + bias[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>((x[i] - mean) * inv) * scale[i];
  }
}

}  // namespace

void layerNormF32(const float* x, const float* scale, const float* bias, int64_t rows,
                  int64_t cols, float epsilon, float* y, Parallel* parallel) {
  if (rows <= 0 || cols <= 0) return;
  parallelRanges(parallel, rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      normaliseRow(x + r * cols, scale, bias, cols, epsilon, y + r * cols);
  });
}

}  // namespace llmopt::kernels::cpu
