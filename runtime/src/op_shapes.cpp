#include "op_shapes.h"

#include <cinttypes>

#include "kernels/cpu/generic/broadcast.h"
#include "kernels/cpu/generic/matmul.h"
#include "kernels/cpu/generic/transpose.h"

namespace llmopt::rt {
namespace {

Status mismatch(const ModelDesc& model, const OpDesc& op, const Shape& expected,
                const Shape& actual) {
  return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
              "op '%s' (%s): output '%s' has shape %s, the op computes %s", op.name,
              opKernelName(op.kernel), model.tensors[op.output].name, formatShape(actual).c_str(),
              formatShape(expected).c_str());
}

}  // namespace

std::string formatShape(const Shape& shape) {
  std::string text = "[";
  for (int d = 0; d < shape.rank; ++d) {
    if (d) text += ", ";
    text += std::to_string(shape.dims[d]);
  }
  return text + "]";
}

Status checkOpShapes(const ModelDesc& model, const OpDesc& op, const Shape* shapes) {
  const Shape& y = shapes[op.output];
  const Shape& x = shapes[op.inputs[0]];
  const char* kernel = opKernelName(op.kernel);
  auto name = [&](int j) { return model.tensors[op.inputs[j]].name; };

  switch (op.kernel) {
    case OpKernel::AddF32:
    case OpKernel::SubF32:
    case OpKernel::MulF32:
    case OpKernel::DivF32: {
      const Shape& b = shapes[op.inputs[1]];
      Shape expected;
      if (!kernels::cpu::broadcastShapes(x, b, &expected))
        return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
                    "op '%s' (%s): '%s' %s and '%s' %s do not broadcast", op.name, kernel,
                    name(0), formatShape(x).c_str(), name(1), formatShape(b).c_str());
      if (expected != y) return mismatch(model, op, expected, y);
      return LLMOPT_OK;
    }
    case OpKernel::ReluF32:
    case OpKernel::GeluF32:
    case OpKernel::GeluTanhF32:
    case OpKernel::TanhF32:
    case OpKernel::SigmoidF32:
    case OpKernel::SoftmaxF32:
      if (x != y) return mismatch(model, op, x, y);
      return LLMOPT_OK;
    case OpKernel::LinearF32: {
      if (x.back() != op.k)
        return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
                    "op '%s' (%s): '%s' %s has last dim %" PRId64 ", the weight expects k = %" PRId64,
                    op.name, kernel, name(0), formatShape(x).c_str(), x.back(), op.k);
      if (op.has_bias) {
        const Shape& bias = shapes[op.inputs[2]];
        if (bias != Shape{op.n})
          return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
                      "op '%s' (%s): bias '%s' has shape %s, expected [%" PRId64 "]", op.name,
                      kernel, name(2), formatShape(bias).c_str(), op.n);
      }
      Shape expected = x;
      expected.dims[expected.rank - 1] = op.n;
      if (expected != y) return mismatch(model, op, expected, y);
      return LLMOPT_OK;
    }
    case OpKernel::MatMulF32: {
      const Shape& b = shapes[op.inputs[1]];
      Shape expected;
      if (!kernels::cpu::matmulShape(x, b, &expected))
        return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
                    "op '%s' (%s): cannot multiply '%s' %s by '%s' %s", op.name, kernel, name(0),
                    formatShape(x).c_str(), name(1), formatShape(b).c_str());
      if (expected != y) return mismatch(model, op, expected, y);
      return LLMOPT_OK;
    }
    case OpKernel::Transpose: {
      Shape expected = kernels::cpu::transposedShape(x, op.perm);
      if (expected != y) return mismatch(model, op, expected, y);
      return LLMOPT_OK;
    }
    case OpKernel::Copy:
      if (x.elements() != y.elements())
        return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
                    "op '%s' (%s): '%s' %s and output '%s' %s differ in element count", op.name,
                    kernel, name(0), formatShape(x).c_str(), model.tensors[op.output].name,
                    formatShape(y).c_str());
      return LLMOPT_OK;
  }
  return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s': no shape rule for kernel %s", op.name, kernel);
}

}  // namespace llmopt::rt
