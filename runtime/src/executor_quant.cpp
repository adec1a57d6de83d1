#include "executor_quant.h"

#include <cinttypes>

#include "kernels/cpu/generic/qgather.h"
#include "kernels/cpu/generic/qlinear.h"

namespace llmopt::rt {
namespace {

using namespace kernels::cpu;

const void* input(const OpDesc& op, const ExecContext& c, size_t j) {
  return c.data[op.inputs[j]];
}

int64_t rowsOf(const OpDesc& op, const ExecContext& c) {
  return c.shapes[op.inputs[0]].elements() / op.k;
}

const float* biasOf(const OpDesc& op, const ExecContext& c) {
  const size_t bias = op.inputs.size() - 1 - (op.residual ? 1 : 0);
  return op.has_bias ? static_cast<const float*>(input(op, c, bias)) : nullptr;
}

void runLinearInt8(const OpDesc& op, const ExecContext& c) {
  LinearW8A8Args args;
  args.m = rowsOf(op, c);
  args.x = linearRows(op, c, static_cast<const float*>(input(op, c, 0)), &args.m);
  args.k = op.k;
  args.n = op.n;
  args.w = static_cast<const int8_t*>(input(op, c, 1));
  args.w_colsum = static_cast<const int32_t*>(input(op, c, 2));
  args.w_scale = static_cast<const float*>(input(op, c, 3));
  args.bias = biasOf(op, c);
  args.y = linearProduct(op, c);
  args.scratch = c.scratch;
  linearW8A8(args, c.parallel);
}

QWeightFormat weightFormat(OpKernel kernel) {
  switch (kernel) {
    case OpKernel::LinearInt4:
    case OpKernel::GatherInt4: return QWeightFormat::Int4;
    case OpKernel::LinearF16:
    case OpKernel::GatherF16: return QWeightFormat::F16;
    case OpKernel::LinearBF16:
    case OpKernel::GatherBF16: return QWeightFormat::BF16;
    default: return QWeightFormat::Int8;
  }
}

void runLinearDecoded(const OpDesc& op, const ExecContext& c) {
  LinearDecodedArgs args;
  args.m = rowsOf(op, c);
  args.x = linearRows(op, c, static_cast<const float*>(input(op, c, 0)), &args.m);
  args.k = op.k;
  args.n = op.n;
  args.format = weightFormat(op.kernel);
  args.w = input(op, c, 1);
  if (args.format == QWeightFormat::Int8) args.scale = static_cast<const float*>(input(op, c, 2));
  if (args.format == QWeightFormat::Int4) {
    args.group_scale = static_cast<const uint16_t*>(input(op, c, 2));
    args.group_offset = static_cast<const uint16_t*>(input(op, c, 3));
    args.group_size = op.group_size;
  }
  args.bias = biasOf(op, c);
  args.y = linearProduct(op, c);
  args.scratch = c.scratch;
  linearDecoded(args, c.parallel);
}

Status runGatherDecoded(const OpDesc& op, const ExecContext& c) {
  GatherDecodedArgs args;
  args.format = weightFormat(op.kernel);
  args.table = input(op, c, 0);
  if (args.format == QWeightFormat::Int8)
    args.row_scale = static_cast<const float*>(input(op, c, 2));
  if (args.format == QWeightFormat::Int4) {
    args.group_scale = static_cast<const uint16_t*>(input(op, c, 2));
    args.group_offset = static_cast<const uint16_t*>(input(op, c, 3));
    args.group_size = op.group_size;
  }
  args.rows = op.n;
  args.dim = op.k;
  args.indices = input(op, c, 1);
  args.indices_i64 = c.model->tensors[op.inputs[1]].dtype == LLMOPT_DTYPE_I64;
  args.count = c.shapes[op.inputs[1]].elements();
  args.y = static_cast<float*>(c.data[op.output]);
  int64_t bad = 0;
  if (!gatherDecoded(args, &bad, c.parallel))
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                "op '%s': gather index %" PRId64 " (from '%s') is outside [-%" PRId64 ", %" PRId64
                ") of table '%s'",
                op.name, bad, c.model->tensors[op.inputs[1]].name, op.n, op.n,
                c.model->tensors[op.inputs[0]].name);
  return LLMOPT_OK;
}

}  // namespace

bool isQuantizedKernel(OpKernel kernel) {
  switch (kernel) {
    case OpKernel::LinearInt8: case OpKernel::LinearInt8Weight: case OpKernel::LinearInt4:
    case OpKernel::LinearF16: case OpKernel::LinearBF16: case OpKernel::GatherInt8:
    case OpKernel::GatherInt4: case OpKernel::GatherF16: case OpKernel::GatherBF16:
      return true;
    default:
      return false;
  }
}

uint64_t quantizedScratchBytes(const OpDesc& op, const Shape* shapes) {
  const int64_t m = shapes[op.inputs[0]].elements() / (op.k ? op.k : 1);
  switch (op.kernel) {
    case OpKernel::LinearInt8: return linearW8A8ScratchBytes(m, op.k, op.n);
    case OpKernel::LinearInt8Weight:
    case OpKernel::LinearInt4:
    case OpKernel::LinearF16:
    case OpKernel::LinearBF16: return linearDecodedScratchFloats(m, op.k, op.n) * sizeof(float);
    default: return 0;
  }
}

Status executeQuantized(const OpDesc& op, const ExecContext& c) {
  switch (op.kernel) {
    case OpKernel::LinearInt8: runLinearInt8(op, c); return LLMOPT_OK;
    case OpKernel::GatherInt8:
    case OpKernel::GatherInt4:
    case OpKernel::GatherF16:
    case OpKernel::GatherBF16: return runGatherDecoded(op, c);
    default: runLinearDecoded(op, c); return LLMOPT_OK;
  }
}

}  // namespace llmopt::rt
