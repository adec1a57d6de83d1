#include "op_kernel.h"

namespace llmopt::rt {

const char* opKernelName(OpKernel kernel) {
  switch (kernel) {
#define LLMOPT_OP_KERNEL_NAME(id, name) \
  case OpKernel::id: return name;
    LLMOPT_OP_KERNELS(LLMOPT_OP_KERNEL_NAME)
#undef LLMOPT_OP_KERNEL_NAME
  }
  return "unknown";
}

InPlace inPlaceRule(OpKernel kernel, size_t input) {
  switch (kernel) {
    // copyBytes returns at once when source and destination are the same.
    case OpKernel::Copy: return input == 0 ? InPlace::SameBytes : InPlace::No;
    // unaryF32/unaryI64/notBool: y[i] = f(x[i]), per element or through a vmath array function
    // that loads a vector before storing it; silu computes a block's sigmoids into a buffer first.
    LLMOPT_UNARY_KERNELS(LLMOPT_KERNEL_CASE)
    // clipF32, fakeQuantF32: y[i] from x[i] alone.
    case OpKernel::ClipF32: case OpKernel::FakeQuantF32:
    // cast: out[i] = convert(in[i]), in place only between dtypes of one size (as any op).
    case OpKernel::Cast:
    // softmaxF32: a row's (or column block's) max is taken over all of it before anything is
    // written, then exp(x[i] - max) is stored at i and the stored values scaled.
    case OpKernel::SoftmaxF32:
    // layerNormF32, rmsNormF32: a row's mean / sum of squares is read whole, then
    // y[i] from x[i]; the scale and bias are other tensors.
    case OpKernel::LayerNormF32: case OpKernel::RmsNormF32:
      return input == 0 ? InPlace::SameShape : InPlace::No;
    // Binary arithmetic and logic: each row is y[i] = f(a[i], b[i]), a broadcast operand read
    // once before the row; the overwritten operand has the output's shape, so it is not
    // broadcast. (Comparisons write bools from wider elements: never in place.)
    LLMOPT_BINARY_ARITHMETIC_KERNELS(LLMOPT_KERNEL_CASE)
    LLMOPT_LOGIC_KERNELS(LLMOPT_KERNEL_CASE)
      return input <= 1 ? InPlace::SameShape : InPlace::No;
    default:
      return InPlace::No;
  }
}

}  // namespace llmopt::rt
