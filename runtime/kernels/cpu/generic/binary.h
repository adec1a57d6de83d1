// Elementwise binary fp32 ops with numpy broadcasting, rank up to 8.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_BINARY_H
#define LLMOPT_KERNELS_CPU_GENERIC_BINARY_H

#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

enum class BinaryOp { Add, Sub, Mul, Div };

// y = a op b, y_shape the broadcast of a_shape and b_shape (the caller checks it).
void binaryF32(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
               const Shape& b_shape, float* y, const Shape& y_shape);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_BINARY_H
