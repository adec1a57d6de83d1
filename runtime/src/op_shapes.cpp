#include "op_shapes.h"

#include <cinttypes>

#include "checked_math.h"
#include "kernels/cpu/generic/attention.h"
#include "kernels/cpu/generic/broadcast.h"
#include "kernels/cpu/generic/matmul.h"
#include "kernels/cpu/generic/reduce.h"
#include "kernels/cpu/generic/transpose.h"
#include "symbolic_shape.h"

namespace llmopt::rt {
namespace {

#define LLMOPT_BAD_SHAPE(...) fail(LLMOPT_ERROR_INVALID_ARTIFACT, __VA_ARGS__)

class ShapeChecker {
 public:
  ShapeChecker(const ModelDesc& model, const OpDesc& op, const Shape* shapes,
               const int64_t* symbols)
      : m_(model), op_(op), shapes_(shapes), symbols_(symbols), y_(shapes[op.output]) {}

  Status run() {
    switch (op_.kernel) {
      case OpKernel::LinearF32: return linear();
      case OpKernel::LinearInt8: case OpKernel::LinearInt8Weight: case OpKernel::LinearInt4:
      case OpKernel::LinearF16: case OpKernel::LinearBF16: return linear();
      case OpKernel::GatherInt8: case OpKernel::GatherInt4: case OpKernel::GatherF16:
      case OpKernel::GatherBF16: return quantizedGather();
      case OpKernel::MatMulF32: return matmul();
      case OpKernel::AttentionF32: return attention();
      case OpKernel::Transpose:
        return expectOutput(kernels::cpu::transposedShape(x(0), op_.perm));
      case OpKernel::Copy: return copy();
      case OpKernel::Where: return broadcasting();
      case OpKernel::ReduceSumF32:
      case OpKernel::ReduceMeanF32:
      case OpKernel::ReduceMaxF32:
      case OpKernel::ReduceMinF32:
        return expectOutput(kernels::cpu::reducedShape(x(0), op_.reduce_axes, op_.keepdims));
      case OpKernel::LayerNormF32:
      case OpKernel::RmsNormF32: return layerNorm();
      case OpKernel::Gather: return gather();
      case OpKernel::Concat: return concat();
      case OpKernel::Slice: return slice();
      case OpKernel::Expand: return expand();
      case OpKernel::Fill:
      case OpKernel::Range: return LLMOPT_OK;  // the output's shape is all there is
      case OpKernel::Trilu:  // rank >= 2 checked at load
      case OpKernel::Cast:
      case OpKernel::ClipF32:
      case OpKernel::FakeQuantF32:
      case OpKernel::SoftmaxF32: return expectOutput(x(0));
      // Binary: the inputs broadcast to the output.
      LLMOPT_BINARY_ARITHMETIC_KERNELS(LLMOPT_KERNEL_CASE)
      LLMOPT_COMPARISON_KERNELS(LLMOPT_KERNEL_CASE)
      LLMOPT_LOGIC_KERNELS(LLMOPT_KERNEL_CASE)
        return broadcasting();
      // Unary: the input's shape.
      LLMOPT_UNARY_KERNELS(LLMOPT_KERNEL_CASE)
        return expectOutput(x(0));
    }
    return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s': no shape rule for kernel %s", op_.name,
                kernel());
  }

 private:
  const Shape& x(size_t j) const { return shapes_[op_.inputs[j]]; }
  const char* name(size_t j) const { return m_.tensors[op_.inputs[j]].name; }
  const char* kernel() const { return opKernelName(op_.kernel); }

  Status expectOutput(const Shape& expected) {
    if (expected == y_) return LLMOPT_OK;
    return LLMOPT_BAD_SHAPE("op '%s' (%s): output '%s' has shape %s, the op computes %s",
                            op_.name, kernel(), m_.tensors[op_.output].name,
                            formatShape(y_).c_str(), formatShape(expected).c_str());
  }

  // Binary ops and Where: the inputs broadcast together to the output's shape.
  Status broadcasting() {
    Shape expected = x(0);
    for (size_t j = 1; j < op_.inputs.size(); ++j) {
      Shape next;
      if (!kernels::cpu::broadcastShapes(expected, x(j), &next)) {
        if (j == 1)
          return LLMOPT_BAD_SHAPE("op '%s' (%s): '%s' %s and '%s' %s do not broadcast", op_.name,
                                  kernel(), name(0), formatShape(x(0)).c_str(), name(1),
                                  formatShape(x(1)).c_str());
        return LLMOPT_BAD_SHAPE("op '%s' (%s): '%s' %s does not broadcast with the other "
                                "inputs (%s)",
                                op_.name, kernel(), name(j), formatShape(x(j)).c_str(),
                                formatShape(expected).c_str());
      }
      expected = next;
    }
    return expectOutput(expected);
  }

  Status linear() {
    const Shape& in = x(0);
    if (in.back() != op_.k)
      return LLMOPT_BAD_SHAPE("op '%s' (%s): '%s' %s has last dim %" PRId64
                              ", the weight expects k = %" PRId64,
                              op_.name, kernel(), name(0), formatShape(in).c_str(), in.back(),
                              op_.k);
    // The bias is the last input but for the residual, when they are there.
    const size_t residual = op_.inputs.size() - 1, bias = residual - (op_.residual ? 1 : 0);
    if (op_.has_bias && x(bias) != Shape{op_.n})
      return LLMOPT_BAD_SHAPE("op '%s' (%s): bias '%s' has shape %s, expected [%" PRId64 "]",
                              op_.name, kernel(), name(bias), formatShape(x(bias)).c_str(), op_.n);
    Shape expected = in;
    expected.dims[expected.rank - 1] = op_.swiglu ? op_.n / 2 : op_.n;
    if (op_.residual && x(residual) != expected)
      return LLMOPT_BAD_SHAPE("op '%s' (%s): residual '%s' has shape %s, expected %s", op_.name,
                              kernel(), name(residual), formatShape(x(residual)).c_str(),
                              formatShape(expected).c_str());
    return expectOutput(expected);
  }

  Status matmul() {
    Shape expected;
    if (!kernels::cpu::matmulShape(x(0), x(1), &expected))
      return LLMOPT_BAD_SHAPE("op '%s' (%s): cannot multiply '%s' %s by '%s' %s", op_.name,
                              kernel(), name(0), formatShape(x(0)).c_str(), name(1),
                              formatShape(x(1)).c_str());
    return expectOutput(expected);
  }

  // q [B, Sq, H, D], k and v [B, Sk, Hkv, D] with H a multiple of Hkv, y like q (ranks checked at
  // load).
  Status attention() {
    if (op_.packed_kv_heads > 0) return packedAttention();
    return attentionParts(x(0), x(1), x(2), 3);
  }

  // qkv [B, S, H + 2 Hkv, D] holds q [B, S, H, D], k and v [B, S, Hkv, D].
  Status packedAttention() {
    const Shape& qkv = x(0);
    const int64_t kv_heads = op_.packed_kv_heads, heads = qkv.dims[2] - 2 * kv_heads;
    if (heads < kv_heads || heads % kv_heads != 0)
      return LLMOPT_BAD_SHAPE("op '%s' (%s): packed '%s' %s does not hold H + 2 * %" PRId64
                              " heads with H a positive multiple of %" PRId64,
                              op_.name, kernel(), name(0), formatShape(qkv).c_str(), kv_heads,
                              kv_heads);
    const Shape q{qkv.dims[0], qkv.dims[1], heads, qkv.dims[3]};
    const Shape kv{qkv.dims[0], qkv.dims[1], kv_heads, qkv.dims[3]};
    return attentionParts(q, kv, kv, 1);
  }

  // The checks of q, k, v (each given, or parts of a packed input) and of the inputs from
  // `next` on (rope tables, key bias); the output is like q.
  Status attentionParts(const Shape& q, const Shape& k, const Shape& v, size_t next) {
    if (k != v)
      return LLMOPT_BAD_SHAPE("op '%s' (%s): key '%s' %s and value '%s' %s differ", op_.name,
                              kernel(), name(1), formatShape(k).c_str(), name(2),
                              formatShape(v).c_str());
    if (q.dims[0] != k.dims[0] || q.dims[3] != k.dims[3])
      return LLMOPT_BAD_SHAPE("op '%s' (%s): query '%s' %s and key '%s' %s differ in batch or "
                              "head size",
                              op_.name, kernel(), name(0), formatShape(q).c_str(), name(1),
                              formatShape(k).c_str());
    const int64_t heads = q.dims[2], kv_heads = k.dims[2], dim = q.dims[3];
    if (heads < 1 || kv_heads < 1 || heads % kv_heads != 0)
      return LLMOPT_BAD_SHAPE("op '%s' (%s): %" PRId64 " query heads ('%s' %s) are not a "
                              "positive multiple of %" PRId64 " key/value heads ('%s' %s)",
                              op_.name, kernel(), heads, name(0), formatShape(q).c_str(),
                              kv_heads, name(1), formatShape(k).c_str());
    if (dim > kernels::cpu::kAttentionMaxDim)
      return LLMOPT_BAD_SHAPE("op '%s' (%s): head size %" PRId64 " ('%s' %s) is above the "
                              "kernel's %" PRId64,
                              op_.name, kernel(), dim, name(0), formatShape(q).c_str(),
                              kernels::cpu::kAttentionMaxDim);
    if (op_.rope) {
      if (dim % 2 != 0)
        return LLMOPT_BAD_SHAPE("op '%s' (%s): rotary embedding needs an even head size, not "
                                "%" PRId64 " ('%s' %s)",
                                op_.name, kernel(), dim, name(0), formatShape(q).c_str());
      // Query row i rotates at position i + Sk - Sq: a row of the tables only when Sq <= Sk.
      if (q.dims[1] > k.dims[1])
        return LLMOPT_BAD_SHAPE("op '%s' (%s): rotary embedding of %" PRId64
                                " queries ('%s' %s) against %" PRId64
                                " key positions: the first queries have no position",
                                op_.name, kernel(), q.dims[1], name(0), formatShape(q).c_str(),
                                k.dims[1]);
      for (size_t j = next; j < next + 2; ++j)
        if (x(j) != Shape{k.dims[1], dim})
          return LLMOPT_BAD_SHAPE("op '%s' (%s): rotary table '%s' is %s, expected [%" PRId64
                                  ", %" PRId64 "] (key positions, head size)",
                                  op_.name, kernel(), name(j), formatShape(x(j)).c_str(),
                                  k.dims[1], dim);
      next += 2;
    }
    if (op_.key_bias) {
      const Shape& bias = x(next);
      if (bias.dims[1] != k.dims[1] || (bias.dims[0] != 1 && bias.dims[0] != q.dims[0]))
        return LLMOPT_BAD_SHAPE("op '%s' (%s): key bias '%s' is %s, expected [%" PRId64
                                " or 1, %" PRId64 "] (batch, key positions)",
                                op_.name, kernel(), name(next), formatShape(bias).c_str(),
                                q.dims[0], k.dims[1]);
    }
    return expectOutput(q);
  }

  Status copy() {
    if (x(0).elements() != y_.elements())
      return LLMOPT_BAD_SHAPE("op '%s' (%s): '%s' %s and output '%s' %s differ in element count",
                              op_.name, kernel(), name(0), formatShape(x(0)).c_str(),
                              m_.tensors[op_.output].name, formatShape(y_).c_str());
    return LLMOPT_OK;
  }

  Status layerNorm() {
    const Shape& in = x(0);
    Shape tail;  // in.shape[axis:]
    for (int d = op_.axis; d < in.rank; ++d) tail.dims[tail.rank++] = in.dims[d];
    for (size_t j = 1; j < op_.inputs.size(); ++j)
      if (x(j) != tail)
        return LLMOPT_BAD_SHAPE("op '%s' (%s): %s '%s' has shape %s, expected %s (the input's "
                                "dims from axis %d)",
                                op_.name, kernel(), j == 1 ? "scale" : "bias", name(j),
                                formatShape(x(j)).c_str(), formatShape(tail).c_str(), op_.axis);
    return expectOutput(in);
  }

  Status quantizedGather() {  // indices.shape + [dim]
    Shape expected = x(1);
    expected.dims[expected.rank++] = op_.k;  // the rank was checked at load
    return expectOutput(expected);
  }

  Status gather() {
    const Shape& data = x(0);
    const Shape& indices = x(1);
    Shape expected;
    for (int d = 0; d < op_.axis; ++d) expected.dims[expected.rank++] = data.dims[d];
    for (int d = 0; d < indices.rank && expected.rank < kMaxRank; ++d)
      expected.dims[expected.rank++] = indices.dims[d];
    for (int d = op_.axis + 1; d < data.rank && expected.rank < kMaxRank; ++d)
      expected.dims[expected.rank++] = data.dims[d];
    return expectOutput(expected);  // ranks were checked at load: nothing was cut
  }

  Status concat() {
    const int axis = op_.axis;
    int64_t total = 0;
    for (size_t j = 0; j < op_.inputs.size(); ++j) {
      const Shape& in = x(j);
      for (int d = 0; d < in.rank; ++d)
        if (d != axis && in.dims[d] != y_.dims[d])
          return LLMOPT_BAD_SHAPE("op '%s' (%s): input '%s' %s differs from output '%s' %s "
                                  "outside axis %d",
                                  op_.name, kernel(), name(j), formatShape(in).c_str(),
                                  m_.tensors[op_.output].name, formatShape(y_).c_str(), axis);
      if (!checkedAdd(total, in.dims[axis], &total)) break;  // caught just below
    }
    if (total != y_.dims[axis])
      return LLMOPT_BAD_SHAPE("op '%s' (%s): the inputs' dims along axis %d add up to %" PRId64
                              ", output '%s' has %" PRId64,
                              op_.name, kernel(), axis, total, m_.tensors[op_.output].name,
                              y_.dims[axis]);
    return LLMOPT_OK;
  }

  Status slice() {
    const Shape& in = x(0);
    int64_t starts[kMaxRank], steps[kMaxRank];
    LLMOPT_TRY(resolveSlice(m_, op_, symbols_, starts, steps));
    bool listed[kMaxRank] = {};
    for (const SliceAxis& s : op_.slice) listed[s.axis] = true;
    for (int d = 0; d < in.rank; ++d)
      if (!listed[d] && in.dims[d] != y_.dims[d])
        return LLMOPT_BAD_SHAPE("op '%s' (%s): output '%s' %s and input '%s' %s differ along "
                                "axis %d, which is not sliced",
                                op_.name, kernel(), m_.tensors[op_.output].name,
                                formatShape(y_).c_str(), name(0), formatShape(in).c_str(), d);
    if (y_.elements() == 0) return LLMOPT_OK;  // reads nothing
    for (const SliceAxis& s : op_.slice) {
      const int d = s.axis;
      int64_t index = starts[d], span;
      if (index >= 0 && index < in.dims[d]) {  // the first index is in; now the last
        if (!checkedMul(y_.dims[d] - 1, s.step, &span) || !checkedAdd(index, span, &index))
          return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                      "op '%s': slice along axis %d reads past the input's dim %" PRId64,
                      op_.name, d, in.dims[d]);
        if (index >= 0 && index < in.dims[d]) continue;
      }
      return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                  "op '%s': slice along axis %d reads index %" PRId64
                  ", outside the input's dim %" PRId64,
                  op_.name, d, index, in.dims[d]);
    }
    return LLMOPT_OK;
  }

  Status expand() {
    Shape expected;
    if (!kernels::cpu::broadcastShapes(x(0), y_, &expected) || expected != y_)
      return LLMOPT_BAD_SHAPE("op '%s' (%s): input '%s' %s does not broadcast to output '%s' %s",
                              op_.name, kernel(), name(0), formatShape(x(0)).c_str(),
                              m_.tensors[op_.output].name, formatShape(y_).c_str());
    return LLMOPT_OK;
  }

  const ModelDesc& m_;
  const OpDesc& op_;
  const Shape* shapes_;
  const int64_t* symbols_;
  const Shape& y_;
};

#undef LLMOPT_BAD_SHAPE

}  // namespace

std::string formatShape(const Shape& shape) {
  std::string text = "[";
  for (int d = 0; d < shape.rank; ++d) {
    if (d) text += ", ";
    text += std::to_string(shape.dims[d]);
  }
  return text + "]";
}

Status resolveSlice(const ModelDesc& model, const OpDesc& op, const int64_t* symbols,
                    int64_t starts[kMaxRank], int64_t steps[kMaxRank]) {
  for (int d = 0; d < kMaxRank; ++d) {
    starts[d] = 0;
    steps[d] = 1;
  }
  for (const SliceAxis& s : op.slice) {
    int64_t start = s.start.offset, dim = 0;
    DimProblem problem;
    if (s.start.has_dim && (!evalDim(s.start.dim, symbols, &dim, &problem) ||
                            !checkedAdd(start, dim, &start)))
      return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                  "op '%s': slice start along axis %d = %" PRId64 " + %s cannot be evaluated "
                  "for the bound symbols (not a whole number, or too large)",
                  op.name, s.axis, s.start.offset,
                  formatDim(s.start.dim, model.symbol_names).c_str());
    starts[s.axis] = start;
    steps[s.axis] = s.step;
  }
  return LLMOPT_OK;
}

Status checkOpShapes(const ModelDesc& model, const OpDesc& op, const Shape* shapes,
                     const int64_t* symbols) {
  return ShapeChecker(model, op, shapes, symbols).run();
}

}  // namespace llmopt::rt
