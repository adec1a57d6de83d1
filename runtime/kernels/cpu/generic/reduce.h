// Reductions (sum, mean, max, min) of fp32 over any set of axes.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_REDUCE_H
#define LLMOPT_KERNELS_CPU_GENERIC_REDUCE_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

enum class ReduceOp { Sum, Mean, Max, Min };

// The shape reduceF32 writes: x's with the axes in `axes_mask` (bit d: axis d) set to 1
// (keepdims) or removed.
Shape reducedShape(const Shape& x, uint32_t axes_mask, bool keepdims);

// Scratch bytes reduceF32 needs (Sum and Mean accumulate in double).
size_t reduceScratchBytes(ReduceOp op, const Shape& x, uint32_t axes_mask);

// y = op over the axes in axes_mask of x; y holds the kept dims in order (keepdims or not is the
// same layout). Sum and Mean accumulate in double. Over an empty set: Sum 0, Mean NaN, Max -inf,
// Min +inf. Max and Min propagate NaN. scratch: reduceScratchBytes(), 8-byte aligned.
void reduceF32(ReduceOp op, const float* x, const Shape& x_shape, uint32_t axes_mask, float* y,
               void* scratch, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_REDUCE_H
