// Elementwise unary ops: fp32 activations and math functions, i64 Neg/Abs, bool Not.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_UNARY_H
#define LLMOPT_KERNELS_CPU_GENERIC_UNARY_H

#include <cstdint>

#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

enum class UnaryOp {
  Relu,
  Gelu,      // 0.5 x (1 + erf(x / sqrt 2))
  GeluTanh,  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  Tanh,
  Sigmoid,
  Neg,
  Exp,
  Log,
  Sqrt,
  Reciprocal,
  Erf,
  Cos,
  Sin,
  Abs,
  Not,  // bool only
  Silu,  // x * sigmoid(x)
};

// y[i] = op(x[i]) for n elements; y may alias x. Not is not an f32 op (does nothing).
void unaryF32(UnaryOp op, const float* x, float* y, int64_t n, Parallel* parallel = nullptr);
// Neg and Abs only, wrapping around (-INT64_MIN is INT64_MIN).
void unaryI64(UnaryOp op, const int64_t* x, int64_t* y, int64_t n, Parallel* parallel = nullptr);
// y = !x (any nonzero byte reads as true).
void notBool(const uint8_t* x, uint8_t* y, int64_t n, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_UNARY_H
