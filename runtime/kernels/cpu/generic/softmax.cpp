#include "kernels/cpu/generic/softmax.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/vmath.h"

namespace llmopt::kernels::cpu {
namespace {

// Lines of a strided softmax (inner > 1) handled together: adjacent in memory, so each step over
// the softmax axis is one contiguous array for the variant's exp.
constexpr int64_t kColumns = 64;

// Softmax of the `width` adjacent lines starting at x, each n values spaced `stride` apart; per
// line the same operations, in the same order, as a row (max by fmax, sum in axis order).
void softmaxColumns(const VMathVariant& v, const float* x, float* y, int64_t n, int64_t stride,
                    int64_t width) {
  float max[kColumns], sum[kColumns], t[kColumns];
  std::copy(x, x + width, max);
  for (int64_t i = 1; i < n; ++i)
    for (int64_t j = 0; j < width; ++j) max[j] = std::fmax(max[j], x[i * stride + j]);
  std::fill(sum, sum + width, 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < width; ++j) t[j] = x[i * stride + j] - max[j];
    float* yi = y + i * stride;
    v.exp(t, yi, width);
    for (int64_t j = 0; j < width; ++j) sum[j] += yi[j];
  }
  for (int64_t j = 0; j < width; ++j) t[j] = 1.0f / sum[j];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < width; ++j) y[i * stride + j] *= t[j];
}

}  // namespace

void softmaxF32(const float* x, const Shape& shape, int axis, float* y, Parallel* parallel) {
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape.dims[i];
  for (int i = axis + 1; i < shape.rank; ++i) inner *= shape.dims[i];
  const int64_t n = shape.dims[axis];
  // An empty tensor: nothing to do, and its data may be NULL (no offsets from it).
  if (outer == 0 || n == 0 || inner == 0) return;
  const VMathVariant& v = bestVMathVariant();
  if (inner == 1) {
    parallelRanges(parallel, outer, n, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) v.softmax_row(x + o * n, y + o * n, n);
    });
    return;
  }
  const int64_t blocks = (inner + kColumns - 1) / kColumns;
  parallelRanges(parallel, outer * blocks, n * std::min(inner, kColumns),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t b = begin; b < end; ++b) {
                     const int64_t o = b / blocks, j = b % blocks * kColumns;
                     const int64_t at = o * n * inner + j;
                     softmaxColumns(v, x + at, y + at, n, inner, std::min(kColumns, inner - j));
                   }
                 });
}

}  // namespace llmopt::kernels::cpu
