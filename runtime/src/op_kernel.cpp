#include "op_kernel.h"

namespace llmopt::rt {

const char* opKernelName(OpKernel kernel) {
  switch (kernel) {
    case OpKernel::LinearF32: return "linear_f32";
    case OpKernel::MatMulF32: return "matmul_f32";
    case OpKernel::AddF32: return "add_f32";
    case OpKernel::SubF32: return "sub_f32";
    case OpKernel::MulF32: return "mul_f32";
    case OpKernel::DivF32: return "div_f32";
    case OpKernel::ReluF32: return "relu_f32";
    case OpKernel::GeluF32: return "gelu_f32";
    case OpKernel::GeluTanhF32: return "gelu_tanh_f32";
    case OpKernel::TanhF32: return "tanh_f32";
    case OpKernel::SigmoidF32: return "sigmoid_f32";
    case OpKernel::SoftmaxF32: return "softmax_f32";
    case OpKernel::Transpose: return "transpose";
    case OpKernel::Copy: return "copy";
  }
  return "unknown";
}

}  // namespace llmopt::rt
