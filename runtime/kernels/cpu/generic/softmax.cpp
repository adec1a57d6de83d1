#include "kernels/cpu/generic/softmax.h"

#include <cmath>

namespace llmopt::kernels::cpu {
namespace {

// One softmax over n values spaced `stride` apart.
void softmaxLine(const float* x, float* y, int64_t n, int64_t stride) {
  if (n == 0) return;
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::fmax(max, x[i * stride]);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    float e = std::exp(x[i * stride] - max);
    y[i * stride] = e;
    sum += e;
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) y[i * stride] *= inv;
}

}  // namespace

void softmaxF32(const float* x, const Shape& shape, int axis, float* y) {
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape.dims[i];
  for (int i = axis + 1; i < shape.rank; ++i) inner *= shape.dims[i];
  const int64_t n = shape.dims[axis];
  // An empty tensor: nothing to do, and its data may be NULL (no offsets from it).
  if (outer == 0 || n == 0 || inner == 0) return;
  for (int64_t o = 0; o < outer; ++o) {
    const float* xo = x + o * n * inner;
    float* yo = y + o * n * inner;
    for (int64_t j = 0; j < inner; ++j) softmaxLine(xo + j, yo + j, n, inner);
  }
}

}  // namespace llmopt::kernels::cpu
