// The kernels a plan's ops run on, and their public names (llmopt_model_op).
#ifndef LLMOPT_RUNTIME_OP_KERNEL_H
#define LLMOPT_RUNTIME_OP_KERNEL_H

#include <cstdint>

namespace llmopt::rt {

enum class OpKernel : uint8_t {
  LinearF32,
  MatMulF32,
  AddF32,
  SubF32,
  MulF32,
  DivF32,
  ReluF32,
  GeluF32,
  GeluTanhF32,
  TanhF32,
  SigmoidF32,
  SoftmaxF32,
  Transpose,
  Copy,
};

const char* opKernelName(OpKernel kernel);  // "linear_f32", "add_f32", ..., "copy"

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_OP_KERNEL_H
