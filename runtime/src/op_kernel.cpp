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
    case OpKernel::ReluF32: case OpKernel::GeluF32: case OpKernel::GeluTanhF32:
    case OpKernel::TanhF32: case OpKernel::SigmoidF32: case OpKernel::NegF32:
    case OpKernel::ExpF32: case OpKernel::LogF32: case OpKernel::SqrtF32:
    case OpKernel::ReciprocalF32: case OpKernel::ErfF32: case OpKernel::CosF32:
    case OpKernel::SinF32: case OpKernel::AbsF32: case OpKernel::NegI64:
    case OpKernel::AbsI64: case OpKernel::NotBool: case OpKernel::SiluF32:
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
    case OpKernel::AddF32: case OpKernel::SubF32: case OpKernel::MulF32:
    case OpKernel::DivF32: case OpKernel::PowF32: case OpKernel::MinF32:
    case OpKernel::MaxF32: case OpKernel::AddI64: case OpKernel::SubI64:
    case OpKernel::MulI64: case OpKernel::DivI64: case OpKernel::PowI64:
    case OpKernel::MinI64: case OpKernel::MaxI64: case OpKernel::AndBool:
    case OpKernel::OrBool: case OpKernel::XorBool:
      return input <= 1 ? InPlace::SameShape : InPlace::No;
    default:
      return InPlace::No;
  }
}

}  // namespace llmopt::rt
