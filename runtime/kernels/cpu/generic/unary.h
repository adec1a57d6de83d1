// Elementwise unary fp32 activations.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_UNARY_H
#define LLMOPT_KERNELS_CPU_GENERIC_UNARY_H

#include <cstdint>

namespace llmopt::kernels::cpu {

enum class UnaryOp {
  Relu,
  Gelu,      // 0.5 x (1 + erf(x / sqrt 2))
  GeluTanh,  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  Tanh,
  Sigmoid,
};

// y[i] = op(x[i]) for n elements; y may alias x.
void unaryF32(UnaryOp op, const float* x, float* y, int64_t n);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_UNARY_H
