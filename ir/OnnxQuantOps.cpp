//===- OnnxQuantOps.cpp - ONNX quantization ops: verifiers, fake_quantize --===//
#include "ir/ConstantFolding.h"
#include "ir/LLMOptOps.h"
#include "ir/ShapeInference.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace llmopt;

namespace {

RankedTensorType rankedType(Value value) { return value.getType().cast<RankedTensorType>(); }

/// Per tensor (a scalar or one element) or per axis (1-D, x.shape[axis] long); a zero point
/// has the scale's shape (per tensor: any one-element shape) and the stored element type.
LogicalResult verifyQuantParameters(Operation* op, RankedTensorType storedType, Value scale,
                                    Value zeroPoint, int64_t axis) {
  int64_t rank = storedType.getRank();
  if (axis < 0 || (rank > 0 && axis >= rank) || (rank == 0 && axis != 0))
    return op->emitOpError() << "axis " << axis << " is outside the input's rank " << rank;
  auto scaleType = rankedType(scale);
  bool perTensor = isPerTensorQuantParam(scaleType);
  if (!perTensor) {
    if (scaleType.getRank() != 1)
      return op->emitOpError() << "scale must be a scalar or 1-D, got " << scaleType;
    int64_t length = rank ? storedType.getDimSize(axis) : 1;
    if (!ShapedType::isDynamic(length) && !scaleType.isDynamicDim(0) &&
        scaleType.getDimSize(0) != length)
      return op->emitOpError() << "per-axis scale has " << scaleType.getDimSize(0)
                               << " entries but axis " << axis << " has " << length;
  }
  if (zeroPoint) {
    auto zeroType = rankedType(zeroPoint);
    if (zeroType.getShape() != scaleType.getShape() &&
        !(perTensor && isPerTensorQuantParam(zeroType)))
      return op->emitOpError() << "zero point " << zeroType << " must have the scale's shape "
                               << formatShape(scaleType.getShape());
    if (zeroType.getElementType() != storedType.getElementType())
      return op->emitOpError() << "zero point element type " << zeroType.getElementType()
                               << " differs from the quantized tensor's "
                               << storedType.getElementType();
  }
  return success();
}

}  // namespace

bool llmopt::isPerTensorQuantParam(RankedTensorType type) {
  return type.getRank() == 0 || (type.getRank() == 1 && type.getDimSize(0) == 1);
}

LogicalResult DequantizeLinearOp::verify() {
  if (rankedType(getInput()).getShape() != rankedType(getResult()).getShape())
    return emitOpError("result must have the input's shape");
  return verifyQuantParameters(*this, rankedType(getInput()), getScale(), getZeroPoint(),
                               static_cast<int64_t>(getAxis()));
}

LogicalResult QuantizeLinearOp::verify() {
  auto resultType = rankedType(getResult());
  if (rankedType(getInput()).getShape() != resultType.getShape())
    return emitOpError("result must have the input's shape");
  return verifyQuantParameters(*this, resultType, getScale(), getZeroPoint(),
                               static_cast<int64_t>(getAxis()));
}

LogicalResult FakeQuantizeOp::verify() {
  float scale = getScale().convertToFloat();
  if (!(scale > 0.0f) || !std::isfinite(scale))
    return emitOpError() << "scale must be positive and finite, got " << scale;
  auto zeroPoint = static_cast<int64_t>(getZeroPoint());
  auto qmin = static_cast<int64_t>(getQmin()), qmax = static_cast<int64_t>(getQmax());
  if (qmin > qmax || zeroPoint < qmin || zeroPoint > qmax)
    return emitOpError() << "needs qmin <= zero_point <= qmax, got " << qmin << ", " << zeroPoint
                         << ", " << qmax;
  return success();
}

float llmopt::fakeQuantizeValue(float x, float scale, int64_t zeroPoint, int64_t qmin,
                                int64_t qmax) {
  // nearbyint rounds half to even in the default rounding mode, as ONNX requires.
  float q = std::nearbyint(x / scale) + static_cast<float>(zeroPoint);
  q = std::fmin(std::fmax(q, static_cast<float>(qmin)), static_cast<float>(qmax));
  return (q - static_cast<float>(zeroPoint)) * scale;
}

OpFoldResult FakeQuantizeOp::fold(FoldAdaptor adaptor) {
  auto input = adaptor.getInput().dyn_cast_or_null<ElementsAttr>();
  auto type = rankedType(getResult());
  if (!input || !type.hasStaticShape()) return {};
  std::optional<std::vector<float>> values = getFloatValues(input);
  if (!values) return {};
  float scale = getScale().convertToFloat();
  for (float& v : *values)
    v = fakeQuantizeValue(v, scale, static_cast<int64_t>(getZeroPoint()),
                          static_cast<int64_t>(getQmin()), static_cast<int64_t>(getQmax()));
  return makeFloatConstant(type, *values, "fake_quantized");
}
