// numpy-style (ONNX multidirectional) broadcasting of shapes.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_BROADCAST_H
#define LLMOPT_KERNELS_CPU_GENERIC_BROADCAST_H

#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

// The broadcast of a and b (right-aligned; each dim pair equal or one of them 1). False when the
// shapes are incompatible.
bool broadcastShapes(const Shape& a, const Shape& b, Shape* out);

// Element strides of `in` seen with the shape `out` it broadcasts to: `in` right-aligned to
// out.rank, stride 0 along broadcast dims. Requires `in` to broadcast to `out`.
void broadcastStrides(const Shape& in, const Shape& out, int64_t strides[kMaxRank]);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_BROADCAST_H
