// Permutes the dims of a tensor of any element type (moved as opaque elements of elem_size
// bytes).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_TRANSPOSE_H
#define LLMOPT_KERNELS_CPU_GENERIC_TRANSPOSE_H

#include <cstddef>

#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

// y[i_0, ..., i_{r-1}] = x[j] with j[perm[d]] = i_d: y's dim d is x's dim perm[d]. perm is a
// permutation of [0, x_shape.rank); y must not alias x.
void transpose(const void* x, const Shape& x_shape, const int* perm, size_t elem_size, void* y);

// The shape transpose() produces.
Shape transposedShape(const Shape& x_shape, const int* perm);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_TRANSPOSE_H
