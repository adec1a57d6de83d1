// Elementwise binary ops with numpy broadcasting, rank up to 8: arithmetic on f32 and i64,
// comparisons of f32 and i64 into bool, and logic on bool (bool is one byte, 0 or 1; any nonzero
// byte reads as true).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_BINARY_H
#define LLMOPT_KERNELS_CPU_GENERIC_BINARY_H

#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

enum class BinaryOp {
  Add, Sub, Mul, Div, Pow, Min, Max,                      // arithmetic
  Equal, Less, Greater, LessOrEqual, GreaterOrEqual,     // comparisons
  And, Or, Xor,                                          // logic
};

inline bool isArithmetic(BinaryOp op) { return op <= BinaryOp::Max; }
inline bool isComparison(BinaryOp op) { return op >= BinaryOp::Equal && op <= BinaryOp::GreaterOrEqual; }
inline bool isLogic(BinaryOp op) { return op >= BinaryOp::And; }

// y = a op b, y_shape the broadcast of a_shape and b_shape (the caller checks it).
// Arithmetic ops. i64 wraps around on overflow; i64 division truncates toward zero, and a
// division by zero gives 0. i64 Pow with a negative exponent is 1/a^-b truncated (0 unless
// |a| == 1). Min and Max propagate NaN.
void binaryF32(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
               const Shape& b_shape, float* y, const Shape& y_shape,
               Parallel* parallel = nullptr);
void binaryI64(BinaryOp op, const int64_t* a, const Shape& a_shape, const int64_t* b,
               const Shape& b_shape, int64_t* y, const Shape& y_shape,
               Parallel* parallel = nullptr);
// Comparisons.
void compareF32(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                const Shape& b_shape, uint8_t* y, const Shape& y_shape,
                Parallel* parallel = nullptr);
void compareI64(BinaryOp op, const int64_t* a, const Shape& a_shape, const int64_t* b,
                const Shape& b_shape, uint8_t* y, const Shape& y_shape,
                Parallel* parallel = nullptr);
// And, Or, Xor.
void logicBool(BinaryOp op, const uint8_t* a, const Shape& a_shape, const uint8_t* b,
               const Shape& b_shape, uint8_t* y, const Shape& y_shape,
               Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_BINARY_H
