//===- QuantizedOps.cpp - verifiers of the quantized-weight ops -----------===//
#include "ir/LLMOptOps.h"
#include "ir/QuantModes.h"
#include "ir/ShapeInference.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace llmopt;

namespace {

RankedTensorType rankedType(Value value) { return value.getType().cast<RankedTensorType>(); }

std::string shapeText(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + (ShapedType::isDynamic(shape[i]) ? "?" : std::to_string(shape[i]));
  return text + "]";
}

/// Checks that `weight` [rows, cols] with its scale and offset is stored the way `modeName`
/// says (see the op descriptions in LLMOptOps.td).
LogicalResult verifyQuantizedStorage(Operation* op, StringRef modeName, int64_t groupSize,
                                     Value weight, Value scale, Value offset) {
  std::optional<QuantMode> mode = parseQuantMode(modeName);
  if (!mode)
    return op->emitOpError() << "unknown mode '" << modeName << "' (expected one of "
                             << quantModeList() << ")";
  auto weightType = rankedType(weight);
  if (weightType.getRank() != 2 || weightType.isDynamicDim(0) || weightType.isDynamicDim(1))
    return op->emitOpError() << "needs a static 2-D weight, got " << weightType;
  Type expected = quantWeightElementType(*mode, op->getContext());
  if (weightType.getElementType() != expected)
    return op->emitOpError() << "mode '" << modeName << "' stores weights as " << expected
                             << ", got " << weightType.getElementType();
  int64_t rows = weightType.getDimSize(0), cols = weightType.getDimSize(1);

  auto checkParam = [&](Value param, StringRef what, Type element,
                        ArrayRef<int64_t> shape) -> LogicalResult {
    if (!param)
      return op->emitOpError() << "mode '" << modeName << "' needs " << (what == "offset" ? "an " : "a ") << what << " operand";
    auto type = rankedType(param);
    if (type.getElementType() != element || type.getShape() != shape)
      return op->emitOpError() << "mode '" << modeName << "' needs a " << what << " of "
                               << element << " " << shapeText(shape) << ", got " << type;
    return success();
  };
  auto forbid = [&](Value param, StringRef what) -> LogicalResult {
    if (param) return op->emitOpError() << "mode '" << modeName << "' takes no " << what;
    return success();
  };
  auto f32 = Float32Type::get(op->getContext());
  auto f16 = Float16Type::get(op->getContext());
  switch (*mode) {
    case QuantMode::Int8:
    case QuantMode::Int8Weight:
      if (groupSize != 0)
        return op->emitOpError() << "mode '" << modeName << "' is per channel: group_size must be 0";
      if (failed(checkParam(scale, "scale", f32, {rows}))) return failure();
      return forbid(offset, "offset");
    case QuantMode::Int4: {
      if (groupSize <= 0)
        return op->emitOpError() << "mode 'int4' needs a positive group_size, got " << groupSize;
      int64_t groups = quantGroupCount(cols, groupSize);
      if (failed(checkParam(scale, "scale", f16, {rows, groups}))) return failure();
      return checkParam(offset, "offset", f16, {rows, groups});
    }
    case QuantMode::F16:
    case QuantMode::BF16:
      if (groupSize != 0)
        return op->emitOpError() << "mode '" << modeName << "' has no groups: group_size must be 0";
      if (failed(forbid(scale, "scale"))) return failure();
      return forbid(offset, "offset");
  }
  return success();
}

}  // namespace

//===----------------------------------------------------------------------===//
// QuantizedLinearOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizedLinearOp::inferReturnTypes(MLIRContext* context,
                                                  std::optional<Location> location,
                                                  ValueRange operands,
                                                  DictionaryAttr attributes, RegionRange,
                                                  SmallVectorImpl<Type>& inferred) {
  auto input = rankedType(operands[0]), weight = rankedType(operands[1]);
  ShapeOrError shape =
      epilogueShape(linearShape(input.getShape(), weight.getShape(), nullptr), attributes);
  if (auto* error = std::get_if<std::string>(&shape))
    return emitOptionalError(location, "'llmopt.quantized_linear' op ", *error);
  inferred.push_back(RankedTensorType::get(std::get<Shape>(shape), Float32Type::get(context)));
  return success();
}

LogicalResult QuantizedLinearOp::verify() {
  if (failed(verifyQuantizedStorage(*this, getMode(), getGroupSize(), getWeight(), getScale(),
                                    getOffset())))
    return failure();
  int64_t n = rankedType(getWeight()).getDimSize(0);
  if (getBias()) {
    auto bias = rankedType(getBias());
    if (bias.getRank() != 1 || bias.getDimSize(0) != n)
      return emitOpError() << "bias must be [" << n << "], got " << bias;
  }
  return verifyLinearEpilogue(*this, getActivation(), getResidual(), getType());
}

//===----------------------------------------------------------------------===//
// QuantizedGatherOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizedGatherOp::inferReturnTypes(MLIRContext* context,
                                                  std::optional<Location> location,
                                                  ValueRange operands, DictionaryAttr,
                                                  RegionRange, SmallVectorImpl<Type>& inferred) {
  auto table = rankedType(operands[0]), indices = rankedType(operands[1]);
  if (table.getRank() != 2)
    return emitOptionalError(location, "'llmopt.quantized_gather' op needs a 2-D table");
  SmallVector<int64_t> shape(indices.getShape());
  shape.push_back(table.getDimSize(1));
  inferred.push_back(RankedTensorType::get(shape, Float32Type::get(context)));
  return success();
}

LogicalResult QuantizedGatherOp::verify() {
  if (getMode() == "int8-weight")
    return emitOpError() << "a table is stored per row in mode 'int8', not 'int8-weight'";
  return verifyQuantizedStorage(*this, getMode(), getGroupSize(), getTable(), getScale(),
                                getOffset());
}
