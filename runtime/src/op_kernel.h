// The kernels a plan's ops run on, and their public names (llmopt_model_op).
#ifndef LLMOPT_RUNTIME_OP_KERNEL_H
#define LLMOPT_RUNTIME_OP_KERNEL_H

#include <cstddef>
#include <cstdint>

namespace llmopt::rt {

// X(id, public name), in no particular order. The groups below double as case lists:
// `LLMOPT_UNARY_KERNELS(LLMOPT_KERNEL_CASE)` is `case OpKernel::ReluF32: ... case ...SiluF32:`.
#define LLMOPT_KERNEL_CASE(id, name) case OpKernel::id:

// Binary arithmetic: y = f(a, b), broadcasting.
#define LLMOPT_BINARY_ARITHMETIC_KERNELS(X)  \
  X(AddF32, "add_f32")                       \
  X(SubF32, "sub_f32")                       \
  X(MulF32, "mul_f32")                       \
  X(DivF32, "div_f32")                       \
  X(PowF32, "pow_f32")                       \
  X(MinF32, "min_f32")                       \
  X(MaxF32, "max_f32")                       \
  X(AddI64, "add_i64")                       \
  X(SubI64, "sub_i64")                       \
  X(MulI64, "mul_i64")                       \
  X(DivI64, "div_i64")                       \
  X(PowI64, "pow_i64")                       \
  X(MinI64, "min_i64")                       \
  X(MaxI64, "max_i64")

// Comparisons (bool out), broadcasting.
#define LLMOPT_COMPARISON_KERNELS(X)            \
  X(EqualF32, "equal_f32")                      \
  X(LessF32, "less_f32")                        \
  X(GreaterF32, "greater_f32")                  \
  X(LessOrEqualF32, "less_or_equal_f32")        \
  X(GreaterOrEqualF32, "greater_or_equal_f32")  \
  X(EqualI64, "equal_i64")                      \
  X(LessI64, "less_i64")                        \
  X(GreaterI64, "greater_i64")                  \
  X(LessOrEqualI64, "less_or_equal_i64")        \
  X(GreaterOrEqualI64, "greater_or_equal_i64")

// Logic on bools, broadcasting.
#define LLMOPT_LOGIC_KERNELS(X)  \
  X(AndBool, "and_bool")         \
  X(OrBool, "or_bool")           \
  X(XorBool, "xor_bool")

// Unary math: y[i] = f(x[i]) (unaryF32, unaryI64, notBool).
#define LLMOPT_UNARY_KERNELS(X)       \
  X(ReluF32, "relu_f32")              \
  X(GeluF32, "gelu_f32")              \
  X(GeluTanhF32, "gelu_tanh_f32")     \
  X(TanhF32, "tanh_f32")              \
  X(SigmoidF32, "sigmoid_f32")        \
  X(NegF32, "neg_f32")                \
  X(ExpF32, "exp_f32")                \
  X(LogF32, "log_f32")                \
  X(SqrtF32, "sqrt_f32")              \
  X(ReciprocalF32, "reciprocal_f32")  \
  X(ErfF32, "erf_f32")                \
  X(CosF32, "cos_f32")                \
  X(SinF32, "sin_f32")                \
  X(AbsF32, "abs_f32")                \
  X(NegI64, "neg_i64")                \
  X(AbsI64, "abs_i64")                \
  X(NotBool, "not_bool")              \
  X(SiluF32, "silu_f32")

#define LLMOPT_OP_KERNELS(X)                             \
  X(LinearF32, "linear_f32")                             \
  X(MatMulF32, "matmul_f32")                             \
  /* quantized weights (the name says the precision) */  \
  X(LinearInt8, "linear_int8")                           \
  X(LinearInt8Weight, "linear_int8_weight")              \
  X(LinearInt4, "linear_int4")                           \
  X(LinearF16, "linear_fp16")                            \
  X(LinearBF16, "linear_bf16")                           \
  X(GatherInt8, "gather_int8")                           \
  X(GatherInt4, "gather_int4")                           \
  X(GatherF16, "gather_fp16")                            \
  X(GatherBF16, "gather_bf16")                           \
  LLMOPT_BINARY_ARITHMETIC_KERNELS(X)                    \
  LLMOPT_COMPARISON_KERNELS(X)                           \
  LLMOPT_LOGIC_KERNELS(X)                                \
  LLMOPT_UNARY_KERNELS(X)                                \
  X(ClipF32, "clip_f32")                                 \
  X(FakeQuantF32, "fake_quant_f32")                      \
  X(SoftmaxF32, "softmax_f32")                           \
  X(AttentionF32, "attention_f32")                       \
  X(ReduceSumF32, "reduce_sum_f32")                      \
  X(ReduceMeanF32, "reduce_mean_f32")                    \
  X(ReduceMaxF32, "reduce_max_f32")                      \
  X(ReduceMinF32, "reduce_min_f32")                      \
  X(LayerNormF32, "layer_norm_f32")                      \
  X(RmsNormF32, "rms_norm_f32")                          \
  /* any dtype */                                        \
  X(Transpose, "transpose")                              \
  X(Copy, "copy")                                        \
  X(Where, "where")                                      \
  X(Gather, "gather")                                    \
  X(Concat, "concat")                                    \
  X(Slice, "slice")                                      \
  X(Expand, "expand")                                    \
  X(Trilu, "trilu")                                      \
  X(Fill, "fill")                                        \
  X(Range, "range")                                      \
  X(Cast, "cast")

enum class OpKernel : uint8_t {
#define LLMOPT_OP_KERNEL_ID(id, name) id,
  LLMOPT_OP_KERNELS(LLMOPT_OP_KERNEL_ID)
#undef LLMOPT_OP_KERNEL_ID
};

const char* opKernelName(OpKernel kernel);  // "linear_f32", "add_f32", ..., "copy"

// Whether a kernel may write its output over input `input` (the two sharing an arena slot), and
// what the two tensors must then agree on besides their element size. Matches the compiler's list
// (backends/artifact/ArtifactWriter.cpp, inPlaceOperands).
enum class InPlace : uint8_t {
  No,
  SameShape,  // elementwise and row-wise kernels: the same shape, so the input is not broadcast
  SameBytes,  // copy: nothing to do when source and destination coincide
};
InPlace inPlaceRule(OpKernel kernel, size_t input);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_OP_KERNEL_H
