#include "kernels/cpu/generic/clip.h"

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {

void clipF32(const float* x, float lo, float hi, float* y, int64_t n, Parallel* parallel) {
  parallelRanges(parallel, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float low = x[i] < lo ? lo : x[i];
      y[i] = low > hi ? hi : low;
    }
  });
}

}  // namespace llmopt::kernels::cpu
