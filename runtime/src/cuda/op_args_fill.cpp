#include "cuda/op_args_fill.h"

#include <cstring>

#include "op_shapes.h"

namespace llmopt::rt {
namespace {

static_assert(cuda::kMaxRank == kMaxRank, "the CUDA and CPU kernels disagree on the maximum rank");

// The view each kernel reads its inputs through (op_args.h).
enum class ViewKind { None, Broadcast, Contiguous, Transpose, Slice, Concat };

ViewKind viewKind(OpKernel kernel) {
  switch (kernel) {
    LLMOPT_BINARY_ARITHMETIC_KERNELS(LLMOPT_KERNEL_CASE)
    LLMOPT_COMPARISON_KERNELS(LLMOPT_KERNEL_CASE)
    LLMOPT_LOGIC_KERNELS(LLMOPT_KERNEL_CASE)
    LLMOPT_UNARY_KERNELS(LLMOPT_KERNEL_CASE)
    case OpKernel::Where:
    case OpKernel::Expand:
    case OpKernel::ClipF32:
    case OpKernel::Cast:
    case OpKernel::FakeQuantF32: return ViewKind::Broadcast;
    case OpKernel::Copy: return ViewKind::Contiguous;
    case OpKernel::Transpose: return ViewKind::Transpose;
    case OpKernel::Slice: return ViewKind::Slice;
    case OpKernel::Concat: return ViewKind::Concat;
    default: return ViewKind::None;
  }
}

// Row-major element strides of a dense tensor of `shape`.
void contiguousStrides(const Shape& shape, int64_t strides[kMaxRank]) {
  int64_t stride = 1;
  for (int d = shape.rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= shape.dims[d];
  }
}

// numpy broadcasting: `in` right-aligned to out's rank, stride 0 along the dims it has as 1 (or
// lacks). False when `in` does not broadcast to `out`.
bool broadcastView(const Shape& in, const Shape& out, cuda::StridedView* view) {
  if (in.rank > out.rank) return false;
  int64_t in_strides[kMaxRank];
  contiguousStrides(in, in_strides);
  const int lead = out.rank - in.rank;
  for (int d = 0; d < out.rank; ++d) {
    const int j = d - lead;
    if (j < 0 || in.dims[j] == 1) {
      view->strides[d] = 0;
    } else if (in.dims[j] == out.dims[d]) {
      view->strides[d] = in_strides[j];
    } else {
      return false;
    }
  }
  return true;
}

// out[i_0, ..] = in[j] with j[perm[d]] = i_d (kernels/cpu/generic/transpose.h): output dim d walks
// input dim perm[d].
bool transposeView(const Shape& in, const Shape& out, const int32_t* perm,
                   cuda::StridedView* view) {
  if (in.rank != out.rank) return false;
  int64_t in_strides[kMaxRank];
  contiguousStrides(in, in_strides);
  for (int d = 0; d < out.rank; ++d) {
    if (perm[d] < 0 || perm[d] >= in.rank || in.dims[perm[d]] != out.dims[d]) return false;
    view->strides[d] = in_strides[perm[d]];
  }
  return true;
}

// out[i] = in[start + i * step] along every dim (resolveSlice: start 0, step 1 where not sliced).
Status sliceView(const ModelDesc& model, const OpDesc& op, const Shape& in, const int64_t* symbols,
                 cuda::StridedView* view) {
  int64_t starts[kMaxRank], steps[kMaxRank], in_strides[kMaxRank];
  LLMOPT_TRY(resolveSlice(model, op, symbols, starts, steps));
  contiguousStrides(in, in_strides);
  for (int d = 0; d < in.rank; ++d) {
    view->offset += starts[d] * in_strides[d];
    view->strides[d] = steps[d] * in_strides[d];
  }
  return LLMOPT_OK;
}

Status fillTensor(const ModelDesc& model, const OpDesc& op, uint32_t t, const Shape* shapes,
                  void* const* data, cuda::TensorArg* arg) {
  const Shape& shape = shapes[t];
  if (shape.rank > cuda::kMaxRank)
    return fail(LLMOPT_ERROR_UNSUPPORTED,
                "op '%s' (%s): tensor '%s' has rank %d, the CUDA kernels take at most %d", op.name,
                opKernelName(op.kernel), model.tensors[t].name, shape.rank, cuda::kMaxRank);
  arg->data = data[t];
  arg->rank = shape.rank;
  for (int d = 0; d < shape.rank; ++d) arg->dims[d] = shape.dims[d];
  arg->numel = shape.elements();
  arg->dtype = static_cast<int32_t>(model.tensors[t].dtype);
  return LLMOPT_OK;
}

}  // namespace

Status fillCudaOpArgs(const ModelDesc& model, const OpDesc& op, const Shape* shapes,
                      const int64_t* symbols, void* const* data, int32_t* fault,
                      cuda::OpArgs* out) {
  const size_t num_inputs = op.inputs.size();
  if (num_inputs > static_cast<size_t>(cuda::kMaxOperands))
    return fail(LLMOPT_ERROR_UNSUPPORTED,
                "op '%s' (%s) has %zu inputs; the CUDA kernels take at most %d", op.name,
                opKernelName(op.kernel), num_inputs, cuda::kMaxOperands);
  std::memset(out, 0, sizeof(*out));
  LLMOPT_TRY(fillTensor(model, op, op.output, shapes, data, &out->out));
  for (size_t i = 0; i < num_inputs; ++i)
    LLMOPT_TRY(fillTensor(model, op, op.inputs[i], shapes, data, &out->in[i]));
  out->num_inputs = static_cast<int32_t>(num_inputs);
  out->fault = fault;

  const Shape& y = shapes[op.output];
  bool ok = true;
  switch (viewKind(op.kernel)) {
    case ViewKind::None: break;
    case ViewKind::Broadcast:
      for (size_t i = 0; i < num_inputs && ok; ++i)
        ok = broadcastView(shapes[op.inputs[i]], y, &out->view[i]);
      break;
    case ViewKind::Contiguous:  // a reshape: the same elements in the same order
      contiguousStrides(y, out->view[0].strides);
      ok = num_inputs == 1 && shapes[op.inputs[0]].elements() == y.elements();
      break;
    case ViewKind::Transpose:
      ok = num_inputs == 1 && transposeView(shapes[op.inputs[0]], y, op.perm, &out->view[0]);
      break;
    case ViewKind::Slice:
      ok = num_inputs == 1 && shapes[op.inputs[0]].rank == y.rank;
      if (ok) LLMOPT_TRY(sliceView(model, op, shapes[op.inputs[0]], symbols, &out->view[0]));
      break;
    case ViewKind::Concat: {
      int64_t start = 0;
      for (size_t i = 0; i < num_inputs && ok; ++i) {
        const Shape& x = shapes[op.inputs[i]];
        ok = op.axis >= 0 && op.axis < x.rank;
        out->view[i].offset = start;
        if (ok) start += x.dims[op.axis];
      }
      break;
    }
  }
  if (!ok)
    return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
                "op '%s' (%s): the input shapes do not map onto output '%s' %s", op.name,
                opKernelName(op.kernel), model.tensors[op.output].name, formatShape(y).c_str());
  return LLMOPT_OK;
}

bool isCudaLinear(OpKernel kernel) {
  switch (kernel) {
    case OpKernel::LinearF32:
    case OpKernel::LinearInt8:
    case OpKernel::LinearInt8Weight:
    case OpKernel::LinearInt4:
    case OpKernel::LinearF16:
    case OpKernel::LinearBF16: return true;
    default: return false;
  }
}

int64_t cudaGridBlocks(OpKernel kernel, int64_t out_numel) {
  return isCudaLinear(kernel) ? cuda::linearGridBlocks(out_numel) : cuda::gridBlocks(out_numel);
}

}  // namespace llmopt::rt
