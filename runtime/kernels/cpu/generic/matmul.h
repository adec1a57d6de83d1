// numpy matmul between two fp32 tensors: y[..., M, N] = a[..., M, K] . b[..., K, N], batch dims
// broadcast. A rank-1 a is [K] -> [1, K] with the M dim dropped from y; a rank-1 b is
// [K] -> [K, 1] with the N dim dropped.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_MATMUL_H
#define LLMOPT_KERNELS_CPU_GENERIC_MATMUL_H

#include <cstddef>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

// The shape numpy.matmul gives; false when the ranks are 0, K differs or batch dims do not
// broadcast.
bool matmulShape(const Shape& a, const Shape& b, Shape* y);

// Scratch floats matmulF32 needs for these operand shapes (valid for matmulShape).
size_t matmulScratchFloats(const Shape& a, const Shape& b);

void matmulF32(const float* a, const Shape& a_shape, const float* b, const Shape& b_shape,
               float* y, float* scratch, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_MATMUL_H
