#include "op_import.h"

#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <string>

#include "checked_math.h"
#include "dtype.h"
#include "kernels/cpu/generic/attention.h"
#include "kernels/cpu/generic/binary.h"
#include "kernels/cpu/generic/unary.h"

namespace llmopt::rt {
namespace {

namespace fb = ::flatbuffers;
using kernels::cpu::BinaryOp;
using kernels::cpu::UnaryOp;

#define LLMOPT_INVALID(...) fail(LLMOPT_ERROR_INVALID_ARTIFACT, __VA_ARGS__)

// The plan's kinds and the kernels' ops are listed in the same order.
static_assert(static_cast<int>(plan::BinaryKind::Xor) == static_cast<int>(BinaryOp::Xor) &&
                  static_cast<int>(plan::BinaryKind::Equal) == static_cast<int>(BinaryOp::Equal),
              "plan::BinaryKind and kernels::cpu::BinaryOp disagree");
static_assert(static_cast<int>(plan::UnaryKind::Not) == static_cast<int>(UnaryOp::Not) &&
                  static_cast<int>(plan::UnaryKind::Neg) == static_cast<int>(UnaryOp::Neg),
              "plan::UnaryKind and kernels::cpu::UnaryOp disagree");

// By BinaryKind: the kernel for f32 operands and for i64 operands (logic ops: bool).
constexpr OpKernel kBinaryF32[] = {
    OpKernel::AddF32,   OpKernel::SubF32,         OpKernel::MulF32,
    OpKernel::DivF32,   OpKernel::PowF32,         OpKernel::MinF32,
    OpKernel::MaxF32,   OpKernel::EqualF32,       OpKernel::LessF32,
    OpKernel::GreaterF32, OpKernel::LessOrEqualF32, OpKernel::GreaterOrEqualF32,
    OpKernel::AndBool,  OpKernel::OrBool,         OpKernel::XorBool};
constexpr OpKernel kBinaryI64[] = {
    OpKernel::AddI64,   OpKernel::SubI64,         OpKernel::MulI64,
    OpKernel::DivI64,   OpKernel::PowI64,         OpKernel::MinI64,
    OpKernel::MaxI64,   OpKernel::EqualI64,       OpKernel::LessI64,
    OpKernel::GreaterI64, OpKernel::LessOrEqualI64, OpKernel::GreaterOrEqualI64,
    OpKernel::AndBool,  OpKernel::OrBool,         OpKernel::XorBool};
// By UnaryKind: the f32 kernel (Not: bool).
constexpr OpKernel kUnaryF32[] = {
    OpKernel::ReluF32, OpKernel::GeluF32,       OpKernel::GeluTanhF32, OpKernel::TanhF32,
    OpKernel::SigmoidF32, OpKernel::NegF32,     OpKernel::ExpF32,      OpKernel::LogF32,
    OpKernel::SqrtF32, OpKernel::ReciprocalF32, OpKernel::ErfF32,      OpKernel::CosF32,
    OpKernel::SinF32,  OpKernel::AbsF32,        OpKernel::NotBool,     OpKernel::SiluF32};
static_assert(sizeof kBinaryF32 / sizeof *kBinaryF32 == size_t(plan::BinaryKind::MAX) + 1 &&
                  sizeof kBinaryI64 / sizeof *kBinaryI64 == size_t(plan::BinaryKind::MAX) + 1 &&
                  sizeof kUnaryF32 / sizeof *kUnaryF32 == size_t(plan::UnaryKind::MAX) + 1,
              "a kind without a kernel");

bool isValueDtype(llmopt_dtype d) {  // what Fill and Cast handle
  return d == LLMOPT_DTYPE_F32 || d == LLMOPT_DTYPE_I64 || d == LLMOPT_DTYPE_I32 ||
         d == LLMOPT_DTYPE_BOOL;
}

class OpImporter {
 public:
  OpImporter(const ModelDesc& model, OpDesc* op) : m_(model), op_(*op) {}

  Status run(const plan::Op& op_in) {
    using P = plan::OpParams;
    switch (op_in.params_type()) {
      case P::BinaryParams: {
        const auto* p = op_in.params_as_BinaryParams();
        return p ? importBinary(*p) : missing("BinaryParams");
      }
      case P::UnaryParams: {
        const auto* p = op_in.params_as_UnaryParams();
        return p ? importUnary(*p) : missing("UnaryParams");
      }
      case P::LinearParams: {
        const auto* p = op_in.params_as_LinearParams();
        return p ? importLinear(*p) : missing("LinearParams");
      }
      case P::MatMulParams:
        return op_in.params_as_MatMulParams() ? importMatMul() : missing("MatMulParams");
      case P::SoftmaxParams: {
        const auto* p = op_in.params_as_SoftmaxParams();
        return p ? importSoftmax(*p) : missing("SoftmaxParams");
      }
      case P::AttentionParams: {
        const auto* p = op_in.params_as_AttentionParams();
        return p ? importAttention(*p) : missing("AttentionParams");
      }
      case P::TransposeParams: {
        const auto* p = op_in.params_as_TransposeParams();
        return p ? importTranspose(*p) : missing("TransposeParams");
      }
      case P::CopyParams:
        return op_in.params_as_CopyParams() ? importCopy() : missing("CopyParams");
      case P::ClipParams: {
        const auto* p = op_in.params_as_ClipParams();
        return p ? importClip(*p) : missing("ClipParams");
      }
      case P::FakeQuantParams: {
        const auto* p = op_in.params_as_FakeQuantParams();
        return p ? importFakeQuant(*p) : missing("FakeQuantParams");
      }
      case P::WhereParams:
        return op_in.params_as_WhereParams() ? importWhere() : missing("WhereParams");
      case P::ReduceParams: {
        const auto* p = op_in.params_as_ReduceParams();
        return p ? importReduce(*p) : missing("ReduceParams");
      }
      case P::LayerNormParams: {
        const auto* p = op_in.params_as_LayerNormParams();
        return p ? importLayerNorm(*p) : missing("LayerNormParams");
      }
      case P::RMSNormParams: {
        const auto* p = op_in.params_as_RMSNormParams();
        return p ? importRmsNorm(*p) : missing("RMSNormParams");
      }
      case P::QuantLinearParams: {
        const auto* p = op_in.params_as_QuantLinearParams();
        return p ? importQuantLinear(*p) : missing("QuantLinearParams");
      }
      case P::QuantGatherParams: {
        const auto* p = op_in.params_as_QuantGatherParams();
        return p ? importQuantGather(*p) : missing("QuantGatherParams");
      }
      case P::GatherParams: {
        const auto* p = op_in.params_as_GatherParams();
        return p ? importGather(*p) : missing("GatherParams");
      }
      case P::ConcatParams: {
        const auto* p = op_in.params_as_ConcatParams();
        return p ? importConcat(*p) : missing("ConcatParams");
      }
      case P::SliceParams: {
        const auto* p = op_in.params_as_SliceParams();
        return p ? importSlice(*p) : missing("SliceParams");
      }
      case P::ExpandParams:
        return op_in.params_as_ExpandParams() ? importExpand() : missing("ExpandParams");
      case P::FillParams: {
        const auto* p = op_in.params_as_FillParams();
        return p ? importFill(*p) : missing("FillParams");
      }
      case P::RangeParams: {
        const auto* p = op_in.params_as_RangeParams();
        return p ? importRange(*p) : missing("RangeParams");
      }
      case P::TriluParams: {
        const auto* p = op_in.params_as_TriluParams();
        return p ? importTrilu(*p) : missing("TriluParams");
      }
      case P::CastParams:
        return op_in.params_as_CastParams() ? importCast() : missing("CastParams");
      case P::NONE:
        return LLMOPT_INVALID("op '%s': has no params", op_.name);
      default:
        return fail(LLMOPT_ERROR_UNSUPPORTED,
                    "op '%s': params type %d is unknown to this runtime (newer compiler?)",
                    op_.name, static_cast<int>(op_in.params_type()));
    }
  }

 private:
  // --- checks shared by the ops -------------------------------------------------------------

  const TensorDesc& in(size_t j) const { return m_.tensors[op_.inputs[j]]; }
  const TensorDesc& out() const { return m_.tensors[op_.output]; }
  const char* kernel() const { return opKernelName(op_.kernel); }

  Status missing(const char* expected) {
    return LLMOPT_INVALID("op '%s': has no %s", op_.name, expected);
  }

  Status expectInputs(size_t count) {
    if (op_.inputs.size() != count)
      return LLMOPT_INVALID("op '%s' (%s): %zu inputs, the kernel takes %zu", op_.name, kernel(),
                            op_.inputs.size(), count);
    return LLMOPT_OK;
  }

  Status expectInput(size_t j, llmopt_dtype dtype) {
    if (in(j).dtype != dtype)
      return LLMOPT_INVALID("op '%s' (%s): input '%s' is %s, the kernel takes %s", op_.name,
                            kernel(), in(j).name, dtypeName(in(j).dtype), dtypeName(dtype));
    return LLMOPT_OK;
  }

  Status expectOutput(llmopt_dtype dtype) {
    if (out().dtype != dtype)
      return LLMOPT_INVALID("op '%s' (%s): output '%s' is %s, the kernel writes %s", op_.name,
                            kernel(), out().name, dtypeName(out().dtype), dtypeName(dtype));
    return LLMOPT_OK;
  }

  // Every operand, inputs and output, has `dtype`.
  Status expectAll(llmopt_dtype dtype) {
    for (size_t j = 0; j < op_.inputs.size(); ++j) LLMOPT_TRY(expectInput(j, dtype));
    return expectOutput(dtype);
  }

  // Every input has the output's dtype (ops that move elements of any type).
  Status expectAllLikeOutput() { return expectAll(out().dtype); }

  // A tensor whose dtype must be one of a few: "input 'x' is i32; the kernel takes f32 or i64".
  Status wrongDtype(const TensorDesc& t, const char* role, const char* allowed) {
    return LLMOPT_INVALID("op '%s' (%s): %s '%s' is %s, the kernel takes %s", op_.name, kernel(),
                          role, t.name, dtypeName(t.dtype), allowed);
  }

  Status expectRank(const TensorDesc& t, int rank) {
    if (t.rank != rank)
      return LLMOPT_INVALID("op '%s' (%s): '%s' has rank %d, expected %d", op_.name, kernel(),
                            t.name, t.rank, rank);
    return LLMOPT_OK;
  }

  Status expectMinRank(const TensorDesc& t, int rank) {
    if (t.rank < rank)
      return LLMOPT_INVALID("op '%s' (%s): '%s' has rank %d, the kernel needs at least %d",
                            op_.name, kernel(), t.name, t.rank, rank);
    return LLMOPT_OK;
  }

  // An axis of a tensor of `rank` dims, already normalised.
  Status expectAxis(int64_t axis, int rank) {
    if (axis < 0 || axis >= rank)
      return LLMOPT_INVALID("op '%s' (%s): axis %" PRId64 " is outside [0, %d)", op_.name,
                            kernel(), axis, rank);
    return LLMOPT_OK;
  }

  // --- elementwise ----------------------------------------------------------------------------

  Status importBinary(const plan::BinaryParams& p) {
    const int kind = static_cast<int>(p.kind());
    if (kind < 0 || kind > static_cast<int>(plan::BinaryKind::MAX))
      return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s': unknown binary kind %d", op_.name, kind);
    const BinaryOp bop = static_cast<BinaryOp>(kind);
    op_.sub_op = static_cast<uint8_t>(kind);
    op_.kernel = kBinaryF32[kind];
    LLMOPT_TRY(expectInputs(2));
    if (kernels::cpu::isLogic(bop)) return expectAll(LLMOPT_DTYPE_BOOL);
    const llmopt_dtype dtype = in(0).dtype;
    if (dtype == LLMOPT_DTYPE_I64)
      op_.kernel = kBinaryI64[kind];
    else if (dtype != LLMOPT_DTYPE_F32)
      return wrongDtype(in(0), "input", "f32 or i64");
    LLMOPT_TRY(expectInput(1, dtype));
    return expectOutput(kernels::cpu::isComparison(bop) ? LLMOPT_DTYPE_BOOL : dtype);
  }

  Status importUnary(const plan::UnaryParams& p) {
    const int kind = static_cast<int>(p.kind());
    if (kind < 0 || kind > static_cast<int>(plan::UnaryKind::MAX))
      return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s': unknown unary kind %d", op_.name, kind);
    const UnaryOp uop = static_cast<UnaryOp>(kind);
    op_.sub_op = static_cast<uint8_t>(kind);
    op_.kernel = kUnaryF32[kind];
    LLMOPT_TRY(expectInputs(1));
    if (uop == UnaryOp::Not) return expectAll(LLMOPT_DTYPE_BOOL);
    if ((uop == UnaryOp::Neg || uop == UnaryOp::Abs) && in(0).dtype == LLMOPT_DTYPE_I64) {
      op_.kernel = uop == UnaryOp::Neg ? OpKernel::NegI64 : OpKernel::AbsI64;
      return expectAll(LLMOPT_DTYPE_I64);
    }
    return expectAll(LLMOPT_DTYPE_F32);
  }

  Status importClip(const plan::ClipParams& p) {
    op_.kernel = OpKernel::ClipF32;
    op_.min = p.min();
    op_.max = p.max();
    LLMOPT_TRY(expectInputs(1));
    return expectAll(LLMOPT_DTYPE_F32);
  }

  Status importFakeQuant(const plan::FakeQuantParams& p) {
    op_.kernel = OpKernel::FakeQuantF32;
    // Bounds of 8-bit storage; a scale the kernel could divide by without a finite result is
    // refused here rather than turning every value into NaN.
    if (!(p.scale() > 0.0f) || !std::isfinite(p.scale()) || p.qmin() > p.qmax() ||
        p.zero_point() < p.qmin() || p.zero_point() > p.qmax() || p.qmin() < -128 ||
        p.qmax() > 255)
      return LLMOPT_INVALID("op '%s': fake_quant needs a positive finite scale and "
                            "qmin <= zero_point <= qmax within 8-bit range", op_.name);
    op_.scale = p.scale();
    op_.zero_point = p.zero_point();
    op_.min = static_cast<float>(p.qmin());
    op_.max = static_cast<float>(p.qmax());
    LLMOPT_TRY(expectInputs(1));
    return expectAll(LLMOPT_DTYPE_F32);
  }

  Status importWhere() {
    op_.kernel = OpKernel::Where;
    LLMOPT_TRY(expectInputs(3));
    LLMOPT_TRY(expectInput(0, LLMOPT_DTYPE_BOOL));
    LLMOPT_TRY(expectInput(1, out().dtype));
    return expectInput(2, out().dtype);
  }

  // --- linear algebra and normalisation -------------------------------------------------------

  // A linear layer's epilogue (plan.fbs Activation, residual); the residual input is checked
  // with the layer's other inputs.
  Status importEpilogue(plan::Activation activation, bool residual) {
    using kernels::cpu::UnaryOp;
    op_.residual = residual;
    op_.has_activation = activation != plan::Activation::None;
    switch (activation) {
      case plan::Activation::None: break;
      case plan::Activation::Relu: op_.activation = UnaryOp::Relu; break;
      case plan::Activation::Gelu: op_.activation = UnaryOp::Gelu; break;
      case plan::Activation::GeluTanh: op_.activation = UnaryOp::GeluTanh; break;
      case plan::Activation::Silu: op_.activation = UnaryOp::Silu; break;
      case plan::Activation::Swiglu:  // not elementwise: the executor's own epilogue
        if (op_.n % 2 != 0)
          return LLMOPT_INVALID("op '%s' (%s): the swiglu epilogue needs an even n (gate and up "
                                "rows), not %" PRId64,
                                op_.name, kernel(), op_.n);
        op_.has_activation = false;
        op_.swiglu = true;
        break;
      default:
        return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s' (%s): unknown epilogue activation %d",
                    op_.name, kernel(), static_cast<int>(activation));
    }
    return LLMOPT_OK;
  }

  // The residual (the last input, when there is one): F32 with the output's rank.
  Status expectResidual() {
    if (!op_.residual) return LLMOPT_OK;
    LLMOPT_TRY(expectInput(op_.inputs.size() - 1, LLMOPT_DTYPE_F32));
    return expectRank(in(op_.inputs.size() - 1), out().rank);
  }

  Status importLinear(const plan::LinearParams& p) {
    op_.kernel = OpKernel::LinearF32;
    op_.n = p.n();
    op_.k = p.k();
    op_.has_bias = p.has_bias();
    LLMOPT_TRY(importEpilogue(p.activation(), p.residual()));
    switch (p.weight_layout()) {
      case plan::WeightLayout::KN: op_.w_layout = kernels::cpu::BLayout::KN; break;
      case plan::WeightLayout::PackedN16: op_.w_layout = kernels::cpu::BLayout::PackedN16; break;
      default:
        return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s' (linear_f32): unknown weight layout %d",
                    op_.name, static_cast<int>(p.weight_layout()));
    }
    LLMOPT_TRY(expectInputs((op_.has_bias ? 3 : 2) + (op_.residual ? 1 : 0)));
    LLMOPT_TRY(expectAll(LLMOPT_DTYPE_F32));
    LLMOPT_TRY(expectResidual());
    if (op_.n < 1 || op_.k < 1 || op_.n > (int64_t(1) << 40) || op_.k > (int64_t(1) << 40))
      return LLMOPT_INVALID("op '%s' (linear_f32): n = %" PRId64 ", k = %" PRId64
                            " (each must be in [1, 2^40])",
                            op_.name, op_.n, op_.k);
    LLMOPT_TRY(expectMinRank(in(0), 1));

    const TensorDesc& w = in(1);
    if (w.kind != TensorKind::Constant)
      return LLMOPT_INVALID("op '%s' (linear_f32): weight '%s' is not a constant", op_.name,
                            w.name);
    const bool kn = op_.w_layout == kernels::cpu::BLayout::KN;
    const Shape expected = kn ? Shape{op_.k, op_.n} : Shape{(op_.n + 15) / 16, op_.k, 16};
    bool matches = w.rank == expected.rank;
    for (int d = 0; matches && d < w.rank; ++d)
      matches = w.dims[d].num / w.dims[d].den == expected.dims[d];  // constants are static
    if (!matches)
      return LLMOPT_INVALID("op '%s' (linear_f32): weight '%s' must have shape %s for n = %" PRId64
                            ", k = %" PRId64,
                            op_.name, w.name, kn ? "[k, n]" : "[ceil(n/16), k, 16]", op_.n,
                            op_.k);
    if (op_.has_bias && in(2).rank != 1)
      return LLMOPT_INVALID("op '%s' (linear_f32): bias '%s' must have rank 1", op_.name,
                            in(2).name);
    return LLMOPT_OK;
  }

  Status importMatMul() {
    op_.kernel = OpKernel::MatMulF32;
    LLMOPT_TRY(expectInputs(2));
    LLMOPT_TRY(expectAll(LLMOPT_DTYPE_F32));
    LLMOPT_TRY(expectMinRank(in(0), 1));
    return expectMinRank(in(1), 1);
  }

  Status importSoftmax(const plan::SoftmaxParams& p) {
    op_.kernel = OpKernel::SoftmaxF32;
    LLMOPT_TRY(expectInputs(1));
    LLMOPT_TRY(expectAll(LLMOPT_DTYPE_F32));
    LLMOPT_TRY(expectAxis(p.axis(), in(0).rank));
    op_.axis = p.axis();
    return LLMOPT_OK;
  }

  // q [B, Sq, H, D], k and v [B, Sk, Hkv, D] -> y [B, Sq, H, D]; how the dims agree is checked
  // once they are known (op_shapes.cpp), a static head size above the kernel's limit here.
  Status importAttention(const plan::AttentionParams& p) {
    op_.kernel = OpKernel::AttentionF32;
    op_.scale = p.scale();
    op_.causal = p.causal();
    op_.rope = p.rope();
    op_.key_bias = p.key_bias();
    op_.packed_kv_heads = p.packed_kv_heads();
    op_.kv_cache = p.kv_cache();
    if (op_.kv_cache < -1)
      return LLMOPT_INVALID("op '%s' (%s): kv_cache %d is negative", op_.name, kernel(),
                            op_.kv_cache);
    if (op_.kv_cache >= 0 && (!op_.causal || op_.key_bias))
      return LLMOPT_INVALID("op '%s' (%s): a KV cache layer must be causal without a key bias",
                            op_.name, kernel());
    if (op_.packed_kv_heads < 0)
      return LLMOPT_INVALID("op '%s' (%s): packed_kv_heads %d is negative", op_.name, kernel(),
                            op_.packed_kv_heads);
    const size_t parts = op_.packed_kv_heads > 0 ? 1 : 3;  // qkv, or q, k, v
    LLMOPT_TRY(expectInputs(parts + (op_.rope ? 2 : 0) + (op_.key_bias ? 1 : 0)));
    LLMOPT_TRY(expectAll(LLMOPT_DTYPE_F32));
    if (!std::isfinite(op_.scale))
      return LLMOPT_INVALID("op '%s' (%s): scale %g is not finite", op_.name, kernel(),
                            static_cast<double>(op_.scale));
    for (size_t j = 0; j < parts; ++j) LLMOPT_TRY(expectRank(in(j), 4));
    for (size_t j = parts; j < op_.inputs.size(); ++j) LLMOPT_TRY(expectRank(in(j), 2));
    LLMOPT_TRY(expectRank(out(), 4));
    for (size_t j = 0; j <= parts; ++j) {
      const TensorDesc& t = j < parts ? in(j) : out();
      const DimExpr& head = t.dims[3];
      if (head.isStatic() && head.num / head.den > kernels::cpu::kAttentionMaxDim)
        return LLMOPT_INVALID("op '%s' (%s): '%s' has head size %" PRId64 ", above the "
                              "kernel's %" PRId64,
                              op_.name, kernel(), t.name, head.num / head.den,
                              kernels::cpu::kAttentionMaxDim);
    }
    return LLMOPT_OK;
  }

  Status importReduce(const plan::ReduceParams& p) {
    switch (p.kind()) {
      case plan::ReduceKind::Sum: op_.kernel = OpKernel::ReduceSumF32; break;
      case plan::ReduceKind::Mean: op_.kernel = OpKernel::ReduceMeanF32; break;
      case plan::ReduceKind::Max: op_.kernel = OpKernel::ReduceMaxF32; break;
      case plan::ReduceKind::Min: op_.kernel = OpKernel::ReduceMinF32; break;
      default:
        return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s': unknown reduce kind %d", op_.name,
                    static_cast<int>(p.kind()));
    }
    LLMOPT_TRY(expectInputs(1));
    LLMOPT_TRY(expectAll(LLMOPT_DTYPE_F32));
    const int rank = in(0).rank;
    const auto* axes = p.axes();
    if (!axes || axes->size() == 0)
      return LLMOPT_INVALID("op '%s' (%s): no axes to reduce", op_.name, kernel());
    for (size_t i = 0; i < axes->size(); ++i) {
      const int32_t axis = axes->Get(i);
      LLMOPT_TRY(expectAxis(axis, rank));
      if (i > 0 && axis <= axes->Get(i - 1))
        return LLMOPT_INVALID("op '%s' (%s): axes are not sorted and distinct", op_.name,
                              kernel());
      op_.reduce_axes |= 1u << axis;
    }
    op_.keepdims = p.keepdims();
    return expectRank(out(), op_.keepdims ? rank : rank - static_cast<int>(axes->size()));
  }

  Status importLayerNorm(const plan::LayerNormParams& p) {
    op_.kernel = OpKernel::LayerNormF32;
    op_.has_bias = p.has_bias();
    return importNorm(p.axis(), p.epsilon());
  }

  Status importRmsNorm(const plan::RMSNormParams& p) {
    op_.kernel = OpKernel::RmsNormF32;
    return importNorm(p.axis(), p.epsilon());
  }

  // layer_norm and rms_norm: [x, scale] or [x, scale, bias] (has_bias), all F32.
  Status importNorm(int32_t axis, float epsilon) {
    op_.epsilon = epsilon;
    LLMOPT_TRY(expectInputs(op_.has_bias ? 3 : 2));
    LLMOPT_TRY(expectAll(LLMOPT_DTYPE_F32));
    const int rank = in(0).rank;
    LLMOPT_TRY(expectAxis(axis, rank));
    op_.axis = axis;
    if (!(op_.epsilon >= 0.0f))
      return LLMOPT_INVALID("op '%s' (%s): epsilon %g is negative or NaN", op_.name, kernel(),
                            static_cast<double>(op_.epsilon));
    LLMOPT_TRY(expectRank(out(), rank));
    for (size_t j = 1; j < op_.inputs.size(); ++j) LLMOPT_TRY(expectRank(in(j), rank - op_.axis));
    return LLMOPT_OK;
  }

  // --- data movement --------------------------------------------------------------------------

  Status importTranspose(const plan::TransposeParams& p) {
    op_.kernel = OpKernel::Transpose;
    LLMOPT_TRY(expectInputs(1));
    LLMOPT_TRY(expectAllLikeOutput());
    const int rank = in(0).rank;
    const fb::Vector<int32_t>* perm = p.perm();
    const size_t size = perm ? perm->size() : 0;
    if (size != static_cast<size_t>(rank) || out().rank != rank)
      return LLMOPT_INVALID("op '%s' (transpose): perm has %zu entries for input rank %d and "
                            "output rank %d",
                            op_.name, size, rank, out().rank);
    bool used[kMaxRank] = {};
    for (int d = 0; d < rank; ++d) {
      const int32_t axis = perm->Get(d);
      if (axis < 0 || axis >= rank || used[axis])
        return LLMOPT_INVALID("op '%s' (transpose): perm is not a permutation of [0, %d)",
                              op_.name, rank);
      used[axis] = true;
      op_.perm[d] = axis;
    }
    return LLMOPT_OK;
  }

  Status importCopy() {
    op_.kernel = OpKernel::Copy;
    LLMOPT_TRY(expectInputs(1));
    return expectAllLikeOutput();
  }

  Status importGather(const plan::GatherParams& p) {
    op_.kernel = OpKernel::Gather;
    LLMOPT_TRY(expectInputs(2));
    LLMOPT_TRY(expectInput(0, out().dtype));
    const TensorDesc& indices = in(1);
    if (indices.dtype != LLMOPT_DTYPE_I64 && indices.dtype != LLMOPT_DTYPE_I32)
      return wrongDtype(indices, "indices", "i64 or i32");
    const int rank = in(0).rank;
    LLMOPT_TRY(expectAxis(p.axis(), rank));
    op_.axis = p.axis();
    return expectRank(out(), rank - 1 + indices.rank);
  }

  Status importConcat(const plan::ConcatParams& p) {
    op_.kernel = OpKernel::Concat;
    if (op_.inputs.empty())
      return LLMOPT_INVALID("op '%s' (concat): no inputs, the kernel takes at least 1", op_.name);
    LLMOPT_TRY(expectAllLikeOutput());
    const int rank = out().rank;
    for (size_t j = 0; j < op_.inputs.size(); ++j) LLMOPT_TRY(expectRank(in(j), rank));
    LLMOPT_TRY(expectAxis(p.axis(), rank));
    op_.axis = p.axis();
    return LLMOPT_OK;
  }

  // A slice start's dim: the same rules as a tensor's dims.
  Status importStartDim(int32_t axis, const plan::Dim& in, DimExpr* out) {
    out->num = in.num();
    out->den = in.den();
    if (out->den <= 0 || out->num < 0)
      return LLMOPT_INVALID("op '%s' (slice): start along axis %d has num %" PRId64
                            ", den %" PRId64 " (need num >= 0, den > 0)",
                            op_.name, axis, out->num, out->den);
    const auto* syms = in.syms();
    const size_t count = syms ? syms->size() : 0;
    if (count > kMaxDimSymbols)
      return LLMOPT_INVALID("op '%s' (slice): start along axis %d multiplies %zu symbols (at "
                            "most %d)",
                            op_.name, axis, count, kMaxDimSymbols);
    for (size_t i = 0; i < count; ++i) {
      const uint32_t s = syms->Get(i);
      if (s >= m_.symbol_names.size())
        return LLMOPT_INVALID("op '%s' (slice): start along axis %d uses symbol %u, the plan "
                              "has %zu",
                              op_.name, axis, s, m_.symbol_names.size());
      out->syms[out->num_syms++] = s;
    }
    if (out->isStatic() && out->num % out->den != 0)
      return LLMOPT_INVALID("op '%s' (slice): start along axis %d is not a whole number",
                            op_.name, axis);
    return LLMOPT_OK;
  }

  Status importSlice(const plan::SliceParams& p) {
    op_.kernel = OpKernel::Slice;
    LLMOPT_TRY(expectInputs(1));
    LLMOPT_TRY(expectAllLikeOutput());
    const int rank = in(0).rank;
    LLMOPT_TRY(expectRank(out(), rank));
    const size_t num_axes = p.axes() ? p.axes()->size() : 0;
    const size_t num_starts = p.starts() ? p.starts()->size() : 0;
    const size_t num_steps = p.steps() ? p.steps()->size() : 0;
    if (num_starts != num_axes || num_steps != num_axes)
      return LLMOPT_INVALID("op '%s' (slice): %zu axes, %zu starts and %zu steps (need one "
                            "start and step per axis)",
                            op_.name, num_axes, num_starts, num_steps);
    // The verifier checks a vector's length prefix for 4-byte alignment only; reading its
    // int64 elements needs 8 (any writer's FlatBuffers builder aligns them).
    if (num_steps && reinterpret_cast<uintptr_t>(p.steps()->data()) % alignof(int64_t) != 0)
      return LLMOPT_INVALID("op '%s' (slice): steps are not 8-byte aligned", op_.name);
    uint32_t seen = 0;
    for (size_t i = 0; i < num_axes; ++i) {
      SliceAxis s;
      s.axis = p.axes()->Get(i);
      LLMOPT_TRY(expectAxis(s.axis, rank));
      if ((seen >> s.axis) & 1u)
        return LLMOPT_INVALID("op '%s' (slice): axis %d is listed twice", op_.name, s.axis);
      seen |= 1u << s.axis;
      s.step = p.steps()->Get(i);
      if (s.step == 0)
        return LLMOPT_INVALID("op '%s' (slice): step along axis %d is 0", op_.name, s.axis);
      const plan::SymInt* start = p.starts()->Get(i);
      s.start.offset = start->offset();
      if (start->dim()) {
        s.start.has_dim = true;
        LLMOPT_TRY(importStartDim(s.axis, *start->dim(), &s.start.dim));
      }
      op_.slice.push_back(s);
    }
    return LLMOPT_OK;
  }

  Status importExpand() {
    op_.kernel = OpKernel::Expand;
    LLMOPT_TRY(expectInputs(1));
    LLMOPT_TRY(expectAllLikeOutput());
    if (in(0).rank > out().rank)
      return LLMOPT_INVALID("op '%s' (expand): input '%s' has rank %d, above the output's %d",
                            op_.name, in(0).name, in(0).rank, out().rank);
    return LLMOPT_OK;
  }

  Status importTrilu(const plan::TriluParams& p) {
    op_.kernel = OpKernel::Trilu;
    op_.upper = p.upper();
    op_.k = p.k();
    LLMOPT_TRY(expectInputs(1));
    LLMOPT_TRY(expectAllLikeOutput());
    const llmopt_dtype d = out().dtype;
    if (d != LLMOPT_DTYPE_F32 && d != LLMOPT_DTYPE_I64 && d != LLMOPT_DTYPE_BOOL)
      return wrongDtype(out(), "output", "f32, i64 or bool");
    LLMOPT_TRY(expectMinRank(in(0), 2));
    return expectRank(out(), in(0).rank);
  }

  // --- quantized weights (plan.fbs: QuantLinearParams, QuantGatherParams) ---------------------

  // A size parameter of the op: in [1, 2^40], like linear's n and k.
  Status expectSize(int64_t value, const char* what) {
    if (value < 1 || value > (int64_t(1) << 40))
      return LLMOPT_INVALID("op '%s' (%s): %s = %" PRId64 " (must be in [1, 2^40])", op_.name,
                            kernel(), what, value);
    return LLMOPT_OK;
  }

  // Input j is a constant 1-D tensor of a * b * c elements of `dtype`, as the compiler packs it.
  Status expectPacked(size_t j, llmopt_dtype dtype, const char* role, int64_t a, int64_t b,
                      int64_t c = 1) {
    const TensorDesc& t = in(j);
    if (t.kind != TensorKind::Constant)
      return LLMOPT_INVALID("op '%s' (%s): %s '%s' is not a constant", op_.name, kernel(), role,
                            t.name);
    LLMOPT_TRY(expectInput(j, dtype));
    int64_t count = 0;
    const bool fits = checkedMul(a, b, &count) && checkedMul(count, c, &count);
    if (!fits || t.rank != 1 || t.dims[0].num / t.dims[0].den != count)
      return LLMOPT_INVALID("op '%s' (%s): %s '%s' must be 1-D with %" PRId64 " elements",
                            op_.name, kernel(), role, t.name, fits ? count : int64_t(-1));
    return LLMOPT_OK;
  }

  Status importQuantLinear(const plan::QuantLinearParams& p) {
    size_t params = 0;  // constants after x and the weight
    switch (p.format()) {
      case plan::QuantFormat::Int8W8A8: op_.kernel = OpKernel::LinearInt8; params = 2; break;
      case plan::QuantFormat::Int8: op_.kernel = OpKernel::LinearInt8Weight; params = 1; break;
      case plan::QuantFormat::Int4: op_.kernel = OpKernel::LinearInt4; params = 2; break;
      case plan::QuantFormat::F16: op_.kernel = OpKernel::LinearF16; break;
      case plan::QuantFormat::BF16: op_.kernel = OpKernel::LinearBF16; break;
      default:
        return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s': unknown quantized format %d", op_.name,
                    static_cast<int>(p.format()));
    }
    op_.n = p.n();
    op_.k = p.k();
    op_.has_bias = p.has_bias();
    LLMOPT_TRY(importEpilogue(p.activation(), p.residual()));
    LLMOPT_TRY(expectSize(op_.n, "n"));
    LLMOPT_TRY(expectSize(op_.k, "k"));
    LLMOPT_TRY(expectInputs(2 + params + (op_.has_bias ? 1 : 0) + (op_.residual ? 1 : 0)));
    LLMOPT_TRY(expectInput(0, LLMOPT_DTYPE_F32));
    LLMOPT_TRY(expectOutput(LLMOPT_DTYPE_F32));
    LLMOPT_TRY(expectMinRank(in(0), 1));
    const int64_t panels = (op_.n + 15) / 16;
    switch (p.format()) {
      case plan::QuantFormat::Int8W8A8:
        LLMOPT_TRY(expectPacked(1, LLMOPT_DTYPE_I8, "weight", panels, (op_.k + 3) / 4, 64));
        LLMOPT_TRY(expectPacked(2, LLMOPT_DTYPE_I32, "column sums", panels, 16));
        LLMOPT_TRY(expectPacked(3, LLMOPT_DTYPE_F32, "scale", panels, 16));
        break;
      case plan::QuantFormat::Int8:
        LLMOPT_TRY(expectPacked(1, LLMOPT_DTYPE_I8, "weight", panels, op_.k, 16));
        LLMOPT_TRY(expectPacked(2, LLMOPT_DTYPE_F32, "scale", panels, 16));
        break;
      case plan::QuantFormat::Int4: {
        op_.group_size = p.group_size();
        LLMOPT_TRY(expectSize(op_.group_size, "group_size"));
        const int64_t groups = (op_.k + op_.group_size - 1) / op_.group_size;
        LLMOPT_TRY(expectPacked(1, LLMOPT_DTYPE_U8, "weight", panels, op_.k, 8));
        LLMOPT_TRY(expectPacked(2, LLMOPT_DTYPE_F16, "scale", panels, groups, 16));
        LLMOPT_TRY(expectPacked(3, LLMOPT_DTYPE_F16, "offset", panels, groups, 16));
        break;
      }
      default: {
        const bool half = p.format() == plan::QuantFormat::F16;
        LLMOPT_TRY(expectPacked(1, half ? LLMOPT_DTYPE_F16 : LLMOPT_DTYPE_BF16, "weight", panels,
                                op_.k, 16));
      }
    }
    if (op_.has_bias) {
      const size_t bias = op_.inputs.size() - 1 - (op_.residual ? 1 : 0);
      LLMOPT_TRY(expectInput(bias, LLMOPT_DTYPE_F32));
      LLMOPT_TRY(expectRank(in(bias), 1));
    }
    LLMOPT_TRY(expectResidual());
    return expectRank(out(), in(0).rank);
  }

  Status importQuantGather(const plan::QuantGatherParams& p) {
    switch (p.format()) {
      case plan::QuantFormat::Int8: op_.kernel = OpKernel::GatherInt8; break;
      case plan::QuantFormat::Int4: op_.kernel = OpKernel::GatherInt4; break;
      case plan::QuantFormat::F16: op_.kernel = OpKernel::GatherF16; break;
      case plan::QuantFormat::BF16: op_.kernel = OpKernel::GatherBF16; break;
      default:
        return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s': format %d is not a table format",
                    op_.name, static_cast<int>(p.format()));
    }
    op_.n = p.rows();
    op_.k = p.dim();
    LLMOPT_TRY(expectSize(op_.n, "rows"));
    LLMOPT_TRY(expectSize(op_.k, "dim"));
    size_t params = 0;
    if (p.format() == plan::QuantFormat::Int8) params = 1;
    if (p.format() == plan::QuantFormat::Int4) params = 2;
    LLMOPT_TRY(expectInputs(2 + params));
    const TensorDesc& indices = in(1);
    if (indices.dtype != LLMOPT_DTYPE_I64 && indices.dtype != LLMOPT_DTYPE_I32)
      return wrongDtype(indices, "indices", "i64 or i32");
    LLMOPT_TRY(expectOutput(LLMOPT_DTYPE_F32));
    switch (p.format()) {
      case plan::QuantFormat::Int8:
        LLMOPT_TRY(expectPacked(0, LLMOPT_DTYPE_I8, "table", op_.n, op_.k));
        LLMOPT_TRY(expectPacked(2, LLMOPT_DTYPE_F32, "scale", op_.n, 1));
        break;
      case plan::QuantFormat::Int4: {
        op_.group_size = p.group_size();
        LLMOPT_TRY(expectSize(op_.group_size, "group_size"));
        const int64_t groups = (op_.k + op_.group_size - 1) / op_.group_size;
        LLMOPT_TRY(expectPacked(0, LLMOPT_DTYPE_U8, "table", op_.n, (op_.k + 1) / 2));
        LLMOPT_TRY(expectPacked(2, LLMOPT_DTYPE_F16, "scale", op_.n, groups));
        LLMOPT_TRY(expectPacked(3, LLMOPT_DTYPE_F16, "offset", op_.n, groups));
        break;
      }
      default: {
        const bool half = p.format() == plan::QuantFormat::F16;
        LLMOPT_TRY(expectPacked(0, half ? LLMOPT_DTYPE_F16 : LLMOPT_DTYPE_BF16, "table", op_.n,
                                op_.k));
      }
    }
    if (indices.rank + 1 > kMaxRank)
      return LLMOPT_INVALID("op '%s' (%s): indices '%s' of rank %d give a result above rank %d",
                            op_.name, kernel(), indices.name, indices.rank, kMaxRank);
    return expectRank(out(), indices.rank + 1);
  }

  // --- values ---------------------------------------------------------------------------------

  Status importFill(const plan::FillParams& p) {
    op_.kernel = OpKernel::Fill;
    op_.value = p.value();
    LLMOPT_TRY(expectInputs(0));
    if (!isValueDtype(out().dtype)) return wrongDtype(out(), "output", "f32, i64, i32 or bool");
    return LLMOPT_OK;
  }

  Status importRange(const plan::RangeParams& p) {
    op_.kernel = OpKernel::Range;
    op_.value = p.start();
    op_.delta = p.delta();
    op_.offset_by_cache = p.offset_by_cache();
    LLMOPT_TRY(expectInputs(0));
    const llmopt_dtype d = out().dtype;
    if (d != LLMOPT_DTYPE_F32 && d != LLMOPT_DTYPE_I64 && d != LLMOPT_DTYPE_I32)
      return wrongDtype(out(), "output", "f32, i64 or i32");
    return expectRank(out(), 1);
  }

  Status importCast() {
    op_.kernel = OpKernel::Cast;
    LLMOPT_TRY(expectInputs(1));
    if (!isValueDtype(in(0).dtype)) return wrongDtype(in(0), "input", "f32, i64, i32 or bool");
    if (!isValueDtype(out().dtype)) return wrongDtype(out(), "output", "f32, i64, i32 or bool");
    return expectRank(out(), in(0).rank);
  }

  const ModelDesc& m_;
  OpDesc& op_;
};

#undef LLMOPT_INVALID

}  // namespace

Status importOpParams(const plan::Op& in, const ModelDesc& model, OpDesc* op) {
  return OpImporter(model, op).run(in);
}

}  // namespace llmopt::rt
