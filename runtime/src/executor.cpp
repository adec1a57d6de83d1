#include "executor.h"

#include "dtype.h"
#include "kernels/cpu/generic/binary.h"
#include "kernels/cpu/generic/copy.h"
#include "kernels/cpu/generic/linear.h"
#include "kernels/cpu/generic/matmul.h"
#include "kernels/cpu/generic/softmax.h"
#include "kernels/cpu/generic/transpose.h"
#include "kernels/cpu/generic/unary.h"

namespace llmopt::rt {
namespace {

using namespace kernels::cpu;

void runBinary(BinaryOp kind, const OpDesc& op, const ExecContext& c) {
  binaryF32(kind, static_cast<const float*>(c.data[op.inputs[0]]), c.shapes[op.inputs[0]],
            static_cast<const float*>(c.data[op.inputs[1]]), c.shapes[op.inputs[1]],
            static_cast<float*>(c.data[op.output]), c.shapes[op.output]);
}

void runUnary(UnaryOp kind, const OpDesc& op, const ExecContext& c) {
  unaryF32(kind, static_cast<const float*>(c.data[op.inputs[0]]),
           static_cast<float*>(c.data[op.output]), c.shapes[op.output].elements());
}

void runLinear(const OpDesc& op, const ExecContext& c) {
  LinearArgs args;
  args.x = static_cast<const float*>(c.data[op.inputs[0]]);
  args.k = op.k;
  args.n = op.n;
  args.m = c.shapes[op.inputs[0]].elements() / op.k;
  args.w = static_cast<const float*>(c.data[op.inputs[1]]);
  args.w_layout = op.w_layout;
  args.bias = op.has_bias ? static_cast<const float*>(c.data[op.inputs[2]]) : nullptr;
  args.y = static_cast<float*>(c.data[op.output]);
  args.scratch = c.scratch;
  linearF32(args, c.parallel);
}

}  // namespace

uint64_t opScratchBytes(const OpDesc& op, const Shape* shapes) {
  switch (op.kernel) {
    case OpKernel::LinearF32:
      return linearScratchFloats(op.n, op.k, op.w_layout) * sizeof(float);
    case OpKernel::MatMulF32:
      return matmulScratchFloats(shapes[op.inputs[0]], shapes[op.inputs[1]]) * sizeof(float);
    default:
      return 0;
  }
}

void executeOp(const OpDesc& op, const ExecContext& c) {
  const TensorDesc& x = c.model->tensors[op.inputs[0]];
  switch (op.kernel) {
    case OpKernel::LinearF32: return runLinear(op, c);
    case OpKernel::MatMulF32:
      return matmulF32(static_cast<const float*>(c.data[op.inputs[0]]), c.shapes[op.inputs[0]],
                       static_cast<const float*>(c.data[op.inputs[1]]), c.shapes[op.inputs[1]],
                       static_cast<float*>(c.data[op.output]), c.scratch, c.parallel);
    case OpKernel::AddF32: return runBinary(BinaryOp::Add, op, c);
    case OpKernel::SubF32: return runBinary(BinaryOp::Sub, op, c);
    case OpKernel::MulF32: return runBinary(BinaryOp::Mul, op, c);
    case OpKernel::DivF32: return runBinary(BinaryOp::Div, op, c);
    case OpKernel::ReluF32: return runUnary(UnaryOp::Relu, op, c);
    case OpKernel::GeluF32: return runUnary(UnaryOp::Gelu, op, c);
    case OpKernel::GeluTanhF32: return runUnary(UnaryOp::GeluTanh, op, c);
    case OpKernel::TanhF32: return runUnary(UnaryOp::Tanh, op, c);
    case OpKernel::SigmoidF32: return runUnary(UnaryOp::Sigmoid, op, c);
    case OpKernel::SoftmaxF32:
      return softmaxF32(static_cast<const float*>(c.data[op.inputs[0]]), c.shapes[op.inputs[0]],
                        op.axis, static_cast<float*>(c.data[op.output]));
    case OpKernel::Transpose:
      return transpose(c.data[op.inputs[0]], c.shapes[op.inputs[0]], op.perm,
                       dtypeSize(x.dtype), c.data[op.output]);
    case OpKernel::Copy:
      return copyBytes(c.data[op.inputs[0]], c.data[op.output],
                       c.shapes[op.output].elements() * dtypeSize(x.dtype));
  }
}

}  // namespace llmopt::rt
