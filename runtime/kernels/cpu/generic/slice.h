// Slice: a strided window of a tensor (any element type, negative steps included).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_SLICE_H
#define LLMOPT_KERNELS_CPU_GENERIC_SLICE_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

// y[i_0, ..., i_r] = x[starts[0] + i_0 * steps[0], ...] for every index of y_shape (x_shape's
// rank); every index read must lie inside x (the caller checks it). Elements of elem_size bytes.
void slice(const void* x, const Shape& x_shape, const int64_t* starts, const int64_t* steps,
           size_t elem_size, void* y, const Shape& y_shape, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_SLICE_H
