#include "executor.h"

#include <cinttypes>
#include <cstring>
#include <vector>

#include "dtype.h"
#include "kernels/cpu/generic/attention.h"
#include "kernels/cpu/generic/binary.h"
#include "kernels/cpu/generic/cast.h"
#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/clip.h"
#include "kernels/cpu/generic/concat.h"
#include "kernels/cpu/generic/copy.h"
#include "kernels/cpu/generic/expand.h"
#include "kernels/cpu/generic/fake_quant.h"
#include "kernels/cpu/generic/fill.h"
#include "kernels/cpu/generic/gather.h"
#include "kernels/cpu/generic/layer_norm.h"
#include "kernels/cpu/generic/linear.h"
#include "kernels/cpu/generic/matmul.h"
#include "kernels/cpu/generic/reduce.h"
#include "kernels/cpu/generic/slice.h"
#include "kernels/cpu/generic/softmax.h"
#include "kernels/cpu/generic/transpose.h"
#include "kernels/cpu/generic/trilu.h"
#include "kernels/cpu/generic/unary.h"
#include "kernels/cpu/generic/where.h"
#include "executor_quant.h"
#include "op_shapes.h"

namespace llmopt::rt {
namespace {

using namespace kernels::cpu;

// Typed views of an op's operands.
class Operands {
 public:
  Operands(const OpDesc& op, const ExecContext& c) : op_(op), c_(c) {}
  template <class T = void>
  const T* in(size_t j) const {
    return static_cast<const T*>(c_.data[op_.inputs[j]]);
  }
  template <class T = void>
  T* out() const {
    return static_cast<T*>(c_.data[op_.output]);
  }
  const Shape& inShape(size_t j) const { return c_.shapes[op_.inputs[j]]; }
  const Shape& outShape() const { return c_.shapes[op_.output]; }
  const TensorDesc& inTensor(size_t j) const { return c_.model->tensors[op_.inputs[j]]; }
  const TensorDesc& outTensor() const { return c_.model->tensors[op_.output]; }
  size_t outElemSize() const { return dtypeSize(outTensor().dtype); }

 private:
  const OpDesc& op_;
  const ExecContext& c_;
};

ElemType elemType(llmopt_dtype dtype) {  // the dtypes import lets through to fill/range/cast
  switch (dtype) {
    case LLMOPT_DTYPE_I64: return ElemType::I64;
    case LLMOPT_DTYPE_I32: return ElemType::I32;
    case LLMOPT_DTYPE_BOOL: return ElemType::Bool;
    default: return ElemType::F32;
  }
}

// The product of dims [begin, end) of a shape.
int64_t dimProduct(const Shape& s, int begin, int end) {
  int64_t n = 1;
  for (int d = begin; d < end; ++d) n *= s.dims[d];
  return n;
}

void runBinary(const OpDesc& op, const ExecContext& c) {
  const Operands o(op, c);
  const BinaryOp kind = static_cast<BinaryOp>(op.sub_op);
  const Shape &as = o.inShape(0), &bs = o.inShape(1), &ys = o.outShape();
  const llmopt_dtype dtype = o.inTensor(0).dtype;
  if (isLogic(kind))
    return logicBool(kind, o.in<uint8_t>(0), as, o.in<uint8_t>(1), bs, o.out<uint8_t>(), ys,
                     c.parallel);
  if (isComparison(kind)) {
    if (dtype == LLMOPT_DTYPE_I64)
      return compareI64(kind, o.in<int64_t>(0), as, o.in<int64_t>(1), bs, o.out<uint8_t>(), ys,
                        c.parallel);
    return compareF32(kind, o.in<float>(0), as, o.in<float>(1), bs, o.out<uint8_t>(), ys,
                      c.parallel);
  }
  if (dtype == LLMOPT_DTYPE_I64)
    return binaryI64(kind, o.in<int64_t>(0), as, o.in<int64_t>(1), bs, o.out<int64_t>(), ys,
                     c.parallel);
  binaryF32(kind, o.in<float>(0), as, o.in<float>(1), bs, o.out<float>(), ys, c.parallel);
}

void runUnary(const OpDesc& op, const ExecContext& c) {
  const Operands o(op, c);
  const UnaryOp kind = static_cast<UnaryOp>(op.sub_op);
  const int64_t n = o.outShape().elements();
  switch (op.kernel) {
    case OpKernel::NotBool: return notBool(o.in<uint8_t>(0), o.out<uint8_t>(), n, c.parallel);
    case OpKernel::NegI64:
    case OpKernel::AbsI64:
      return unaryI64(kind, o.in<int64_t>(0), o.out<int64_t>(), n, c.parallel);
    default: return unaryF32(kind, o.in<float>(0), o.out<float>(), n, c.parallel);
  }
}

void runLinear(const OpDesc& op, const ExecContext& c) {
  const Operands o(op, c);
  LinearArgs args;
  args.k = op.k;
  args.n = op.n;
  args.m = o.inShape(0).elements() / op.k;
  args.x = linearRows(op, c, o.in<float>(0), &args.m);
  args.w = o.in<float>(1);
  args.w_layout = op.w_layout;
  args.bias = op.has_bias ? o.in<float>(2) : nullptr;
  args.y = linearProduct(op, c);
  args.scratch = c.scratch;
  linearF32(args, c.parallel);
}

ReduceOp reduceOp(OpKernel kernel) {
  switch (kernel) {
    case OpKernel::ReduceMeanF32: return ReduceOp::Mean;
    case OpKernel::ReduceMaxF32: return ReduceOp::Max;
    case OpKernel::ReduceMinF32: return ReduceOp::Min;
    default: return ReduceOp::Sum;
  }
}

// q, k and v of an attention op: its first three inputs, or the parts of its packed first one
// (queries, keys, values head by head), read in place with the packed row as their stride.
AttentionArgs attentionOperands(const OpDesc& op, const ExecContext& c) {
  const Operands o(op, c);
  AttentionArgs args;
  const Shape& q = o.inShape(0);  // agreeing with k, v (op_shapes.cpp)
  args.batch = q.dims[0];
  args.q_len = q.dims[1];
  args.dim = q.dims[3];
  if (op.packed_kv_heads > 0) {
    args.kv_heads = op.packed_kv_heads;
    args.heads = q.dims[2] - 2 * args.kv_heads;
    args.kv_len = args.q_len;
    args.q = o.in<float>(0);
    args.k = args.q + args.heads * args.dim;
    args.v = args.k + args.kv_heads * args.dim;
    args.q_stride = args.k_stride = args.v_stride = q.dims[2] * args.dim;
    return args;
  }
  const Shape& k = o.inShape(1);
  args.heads = q.dims[2];
  args.kv_len = k.dims[1];
  args.kv_heads = k.dims[2];
  args.q = o.in<float>(0);
  args.k = o.in<float>(1);
  args.v = o.in<float>(2);
  return args;
}

// A layer of the KV cache continuing the cached sequence: the new keys (rotated) and values go
// to the cache after its `length` positions, then the queries, positions length + i, attend to
// all length + q_len of them. The rope tables' rows are the new positions (the model's position
// ranges are moved by the cache length too), so q and k rotate from row 0. A prefill (nothing
// cached before) attends to the new keys and values where they are, with the block kernel;
// later runs read the cache (kv_cache.h's layout, laid out for decoding steps).
void runCachedAttention(const OpDesc& op, const ExecContext& c, AttentionArgs args) {
  const Operands o(op, c);
  const KvCacheView& view = *c.cache;
  const int64_t past = view.length, len = args.q_len, dim = args.dim;
  if (op.rope) {
    const size_t next = op.packed_kv_heads > 0 ? 1 : 3;
    const float *cos = o.in<float>(next), *sin = o.in<float>(next + 1);
    float* q_rot = c.scratch;
    float* k_rot = q_rot + args.batch * len * args.heads * dim;
    ropeRotateHalfF32(args.q, cos, sin, args.batch, len, args.heads, dim, 0, q_rot, c.parallel,
                      args.q_stride);
    ropeRotateHalfF32(args.k, cos, sin, args.batch, len, args.kv_heads, dim, 0, k_rot,
                      c.parallel, args.k_stride);
    args.q = q_rot;
    args.k = k_rot;
    args.q_stride = args.heads * dim;
    args.k_stride = args.kv_heads * dim;
  }
  kernels::cpu::KvCacheLayer layer;
  layer.keys = view.keys[op.kv_cache];
  layer.values = view.values[op.kv_cache];
  layer.type = view.type;
  layer.kv_heads = args.kv_heads;
  layer.dim = dim;
  layer.positions = view.positions;
  kernels::cpu::kvCacheAppend(layer, args.batch, past, len, args.k, args.kStride(), args.v,
                              args.vStride());
  if (past == 0) return attentionF32(args, c.parallel);
  kernels::cpu::CachedAttentionArgs a;
  a.q = args.q;
  a.q_stride = args.q_stride;
  a.cache = layer;
  a.y = args.y;
  a.batch = args.batch;
  a.q_len = len;
  a.kv_len = past + len;
  a.heads = args.heads;
  a.scale = args.scale;
  a.causal = args.causal;
  attentionCachedF32(a, c.parallel);
}

void runAttention(const OpDesc& op, const ExecContext& c) {
  const Operands o(op, c);
  AttentionArgs args = attentionOperands(op, c);
  args.y = o.out<float>();
  args.scale = op.scale;
  args.causal = op.causal;
  if (op.kv_cache >= 0 && c.cache) return runCachedAttention(op, c, args);
  size_t next = op.packed_kv_heads > 0 ? 1 : 3;
  if (op.rope) {
    // q and k rotated into contiguous copies in scratch (opScratchBytes), then attention as usual.
    const float *cos = o.in<float>(next), *sin = o.in<float>(next + 1);
    float* q_rot = c.scratch;
    float* k_rot = q_rot + args.batch * args.q_len * args.heads * args.dim;
    ropeRotateHalfF32(args.q, cos, sin, args.batch, args.q_len, args.heads, args.dim,
                      args.kv_len - args.q_len, q_rot, c.parallel, args.q_stride);
    ropeRotateHalfF32(args.k, cos, sin, args.batch, args.kv_len, args.kv_heads, args.dim, 0,
                      k_rot, c.parallel, args.k_stride);
    args.q = q_rot;
    args.k = k_rot;
    args.q_stride = args.k_stride = 0;
    next += 2;
  }
  if (op.key_bias) {
    args.key_bias = o.in<float>(next);
    args.key_bias_batch_stride = o.inShape(next).dims[0] == 1 ? 0 : args.kv_len;
  }
  attentionF32(args, c.parallel);
}

void runLayerNorm(const OpDesc& op, const ExecContext& c) {
  const Operands o(op, c);
  const Shape& xs = o.inShape(0);
  layerNormF32(o.in<float>(0), o.in<float>(1), op.has_bias ? o.in<float>(2) : nullptr,
               dimProduct(xs, 0, op.axis), dimProduct(xs, op.axis, xs.rank), op.epsilon,
               o.out<float>(), c.parallel);
}

Status runGather(const OpDesc& op, const ExecContext& c) {
  const Operands o(op, c);
  const Shape& data = o.inShape(0);
  GatherArgs args;
  args.data = o.in(0);
  args.outer = dimProduct(data, 0, op.axis);
  args.dim = data.dims[op.axis];
  args.inner = dimProduct(data, op.axis + 1, data.rank);
  args.elem_size = o.outElemSize();
  args.indices = o.in(1);
  args.indices_i64 = o.inTensor(1).dtype == LLMOPT_DTYPE_I64;
  args.count = o.inShape(1).elements();
  args.y = o.out();
  int64_t bad = 0;
  if (!gather(args, &bad, c.parallel))
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                "op '%s': gather index %" PRId64 " (from '%s') is outside [-%" PRId64
                ", %" PRId64 ") along axis %d of '%s'",
                op.name, bad, o.inTensor(1).name, args.dim, args.dim, op.axis,
                o.inTensor(0).name);
  return LLMOPT_OK;
}

void runConcat(const OpDesc& op, const ExecContext& c) {
  const Operands o(op, c);
  const Shape& ys = o.outShape();
  std::vector<ConcatInput> inputs(op.inputs.size());
  for (size_t j = 0; j < inputs.size(); ++j) inputs[j] = {o.in(j), o.inShape(j).dims[op.axis]};
  concat(inputs.data(), inputs.size(), dimProduct(ys, 0, op.axis),
         dimProduct(ys, op.axis + 1, ys.rank), o.outElemSize(), o.out(), c.parallel);
}

Status runSlice(const OpDesc& op, const ExecContext& c) {
  const Operands o(op, c);
  int64_t starts[kMaxRank], steps[kMaxRank];
  LLMOPT_TRY(resolveSlice(*c.model, op, c.symbols, starts, steps));
  slice(o.in(0), o.inShape(0), starts, steps, o.outElemSize(), o.out(), o.outShape(),
        c.parallel);
  return LLMOPT_OK;
}

}  // namespace

namespace {

// The scratch the op's kernel itself needs.
uint64_t kernelScratchBytes(const OpDesc& op, const Shape* shapes) {
  if (isQuantizedKernel(op.kernel)) return quantizedScratchBytes(op, shapes);
  switch (op.kernel) {
    case OpKernel::LinearF32:
      return linearScratchFloats(shapes[op.inputs[0]].elements() / (op.k ? op.k : 1), op.n, op.k,
                                 op.w_layout) *
             sizeof(float);
    case OpKernel::MatMulF32:
      return matmulScratchFloats(shapes[op.inputs[0]], shapes[op.inputs[1]]) * sizeof(float);
    case OpKernel::ReduceSumF32:
    case OpKernel::ReduceMeanF32:
    case OpKernel::ReduceMaxF32:
    case OpKernel::ReduceMinF32:
      return reduceScratchBytes(reduceOp(op.kernel), shapes[op.inputs[0]], op.reduce_axes);
    case OpKernel::AttentionF32: {  // rotated copies of q and k
      if (!op.rope) return 0;
      const Shape& q = shapes[op.inputs[0]];
      if (op.packed_kv_heads == 0)
        return (q.elements() + shapes[op.inputs[1]].elements()) * sizeof(float);
      return q.dims[0] * q.dims[1] * (q.dims[2] - op.packed_kv_heads) * q.dims[3] *
             sizeof(float);  // the queries and the keys of the packed tensor
    }
    default:
      return 0;
  }
}

// The offset of a swiglu layer's product in scratch.
uint64_t productOffset(const OpDesc& op, const Shape* shapes) {
  const uint64_t align = 64 / sizeof(float) * sizeof(float);
  return (kernelScratchBytes(op, shapes) + align - 1) / align * align;
}

}  // namespace

uint64_t opScratchBytes(const OpDesc& op, const Shape* shapes) {
  if (!op.swiglu) return kernelScratchBytes(op, shapes);
  const uint64_t rows = shapes[op.inputs[0]].elements() / op.k;
  return productOffset(op, shapes) + rows * op.n * sizeof(float);
}

float* linearProduct(const OpDesc& op, const ExecContext& c) {
  if (!op.swiglu) return static_cast<float*>(c.data[op.output]);
  return c.scratch + productOffset(op, c.shapes) / sizeof(float);
}

// A linear layer's epilogue, y = act(y) + residual (with swiglu y = silu(gate) * up from the
// product in scratch), one pass over each chunk of rows right after the product (not yet inside
// the GEMM's tiles).
void runLinearEpilogue(const OpDesc& op, const ExecContext& c) {
  if (!op.has_activation && !op.residual && !op.swiglu) return;
  const Operands o(op, c);
  float* y = o.out<float>();
  const float* residual = op.residual ? o.in<float>(op.inputs.size() - 1) : nullptr;
  const float* product = linearProduct(op, c);
  const Shape& shape = o.outShape();
  const int64_t n = shape.back(), rows = n == 0 ? 0 : shape.elements() / n;
  parallelRanges(c.parallel, rows, n * 8, [&](int64_t begin, int64_t end) {
    float* chunk = y + begin * n;
    const int64_t count = (end - begin) * n;
    for (int64_t r = begin; op.swiglu && r < end; ++r) {  // the unfused silu, then the product
      const float *gate = product + r * 2 * n, *up = gate + n;
      float* row = y + r * n;
      unaryF32(UnaryOp::Silu, gate, row, n);
      for (int64_t i = 0; i < n; ++i) row[i] *= up[i];
    }
    if (op.has_activation) unaryF32(op.activation, chunk, chunk, count);
    if (residual) {
      const float* r = residual + begin * n;
      for (int64_t i = 0; i < count; ++i) chunk[i] += r[i];
    }
  });
}

Status executeOp(const OpDesc& op, const ExecContext& c) {
  if (isQuantizedKernel(op.kernel)) {
    LLMOPT_TRY(executeQuantized(op, c));
    runLinearEpilogue(op, c);  // a no-op for gathers
    return LLMOPT_OK;
  }
  const Operands o(op, c);
  switch (op.kernel) {
    case OpKernel::LinearF32:
      runLinear(op, c);
      runLinearEpilogue(op, c);
      break;
    case OpKernel::MatMulF32:
      matmulF32(o.in<float>(0), o.inShape(0), o.in<float>(1), o.inShape(1), o.out<float>(),
                c.scratch, c.parallel);
      break;
    LLMOPT_BINARY_ARITHMETIC_KERNELS(LLMOPT_KERNEL_CASE)
    LLMOPT_COMPARISON_KERNELS(LLMOPT_KERNEL_CASE)
    LLMOPT_LOGIC_KERNELS(LLMOPT_KERNEL_CASE)
      runBinary(op, c);
      break;
    LLMOPT_UNARY_KERNELS(LLMOPT_KERNEL_CASE)
      runUnary(op, c);
      break;
    case OpKernel::ClipF32:
      clipF32(o.in<float>(0), op.min, op.max, o.out<float>(), o.outShape().elements(),
              c.parallel);
      break;
    case OpKernel::FakeQuantF32:
      fakeQuantF32(o.in<float>(0), op.scale, op.zero_point, op.min, op.max, o.out<float>(),
                   o.outShape().elements(), c.parallel);
      break;
    case OpKernel::SoftmaxF32:
      softmaxF32(o.in<float>(0), o.inShape(0), op.axis, o.out<float>(), c.parallel);
      break;
    case OpKernel::AttentionF32: runAttention(op, c); break;
    case OpKernel::ReduceSumF32:
    case OpKernel::ReduceMeanF32:
    case OpKernel::ReduceMaxF32:
    case OpKernel::ReduceMinF32:
      reduceF32(reduceOp(op.kernel), o.in<float>(0), o.inShape(0), op.reduce_axes,
                o.out<float>(), c.scratch, c.parallel);
      break;
    case OpKernel::LayerNormF32: runLayerNorm(op, c); break;
    case OpKernel::RmsNormF32: {
      const Shape& xs = o.inShape(0);
      rmsNormF32(o.in<float>(0), o.in<float>(1), dimProduct(xs, 0, op.axis),
                 dimProduct(xs, op.axis, xs.rank), op.epsilon, o.out<float>(), c.parallel);
      break;
    }
    case OpKernel::Transpose:
      transpose(o.in(0), o.inShape(0), op.perm, o.outElemSize(), o.out());
      break;
    case OpKernel::Copy:
      copyBytes(o.in(0), o.out(), o.outShape().elements() * o.outElemSize());
      break;
    case OpKernel::Where:
      where(o.in<uint8_t>(0), o.inShape(0), o.in(1), o.inShape(1), o.in(2), o.inShape(2),
            o.outElemSize(), o.out(), o.outShape(), c.parallel);
      break;
    case OpKernel::Gather: return runGather(op, c);
    case OpKernel::Concat: runConcat(op, c); break;
    case OpKernel::Slice: return runSlice(op, c);
    case OpKernel::Expand:
      expand(o.in(0), o.inShape(0), o.outElemSize(), o.out(), o.outShape(), c.parallel);
      break;
    case OpKernel::Trilu:
      trilu(o.in(0), o.inShape(0), op.upper, op.k, o.outElemSize(), o.out(), c.parallel);
      break;
    case OpKernel::Fill:
      fill(elemType(o.outTensor().dtype), op.value, o.out(), o.outShape().elements(),
           c.parallel);
      break;
    case OpKernel::Range:
      range(elemType(o.outTensor().dtype),
            op.value + (op.offset_by_cache && c.cache ? c.cache->length * op.delta : 0.0),
            op.delta, o.out(), o.outShape().elements());
      break;
    case OpKernel::Cast:
      cast(elemType(o.inTensor(0).dtype), o.in(0), elemType(o.outTensor().dtype), o.out(),
           o.outShape().elements(), c.parallel);
      break;
    default:  // the quantized kernels, run above
      break;
  }
  return LLMOPT_OK;
}

}  // namespace llmopt::rt
