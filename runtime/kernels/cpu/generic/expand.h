// Expand: copies a tensor broadcast (numpy rules) to a larger shape.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_EXPAND_H
#define LLMOPT_KERNELS_CPU_GENERIC_EXPAND_H

#include <cstddef>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

// y = x broadcast to y_shape (x_shape must broadcast to it); elements of elem_size bytes.
void expand(const void* x, const Shape& x_shape, size_t elem_size, void* y, const Shape& y_shape,
            Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_EXPAND_H
