// Clip: clamps fp32 values into [lo, hi].
#ifndef LLMOPT_KERNELS_CPU_GENERIC_CLIP_H
#define LLMOPT_KERNELS_CPU_GENERIC_CLIP_H

#include <cstdint>

#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

// y = min(max(x, lo), hi) for n elements (so hi wins when lo > hi, as in ONNX); NaN stays NaN.
// y may alias x.
void clipF32(const float* x, float lo, float hi, float* y, int64_t n,
             Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_CLIP_H
