// Numerically stable softmax along one axis.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_SOFTMAX_H
#define LLMOPT_KERNELS_CPU_GENERIC_SOFTMAX_H

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

// y = exp(x - max) / sum(exp(x - max)) along `axis` (in [0, shape.rank)); y has x's shape and may
// alias x. A line holding NaN or +inf, or only -inf, comes out all NaN.
void softmaxF32(const float* x, const Shape& shape, int axis, float* y,
                Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_SOFTMAX_H
