#include "kernels/cpu/generic/fake_quant.h"

#include <cmath>

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {

void fakeQuantF32(const float* x, float scale, int32_t zero_point, float qmin, float qmax,
                  float* y, int64_t n, Parallel* parallel) {
  const float zero = static_cast<float>(zero_point);
  parallelRanges(parallel, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      // nearbyint rounds half to even in the default rounding mode; the comparisons keep NaN.
      float q = std::nearbyint(x[i] / scale) + zero;
      q = q < qmin ? qmin : (q > qmax ? qmax : q);
      y[i] = (q - zero) * scale;
    }
  });
}

}  // namespace llmopt::kernels::cpu
