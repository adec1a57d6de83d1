// Where: y = cond ? x : y elementwise, the three operands broadcast (numpy rules) to the output.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_WHERE_H
#define LLMOPT_KERNELS_CPU_GENERIC_WHERE_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

// out = cond ? x : y, elements of elem_size bytes (1, 2, 4 or 8); cond is bool (any nonzero byte
// is true). Each operand must broadcast to out_shape (the caller checks it).
void where(const uint8_t* cond, const Shape& cond_shape, const void* x, const Shape& x_shape,
           const void* y, const Shape& y_shape, size_t elem_size, void* out,
           const Shape& out_shape, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_WHERE_H
