//===- FusedOps.cpp - verifiers and types of the fused-block ops ----------===//
#include "ir/LLMOptOps.h"
#include "ir/ShapeInference.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace llmopt;

namespace {

/// Two dims that may be dynamic agree unless both are static and differ.
bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

}  // namespace

LogicalResult AttentionOp::inferReturnTypes(MLIRContext*, std::optional<Location>,
                                            ValueRange operands, DictionaryAttr,
                                            RegionRange, SmallVectorImpl<Type>& results) {
  if (operands.empty()) return failure();
  results.push_back(operands[0].getType());
  return success();
}

std::optional<std::string> llmopt::attentionShapeError(RankedTensorType q, RankedTensorType k,
                                                      RankedTensorType v) {
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return std::string("query, key and value must be [B, S, heads, D]");
  for (int d = 0; d < 4; ++d)
    if (!compatible(k.getDimSize(d), v.getDimSize(d)))
      return "key " + formatShape(k.getShape()) + " and value " + formatShape(v.getShape()) +
             " differ";
  if (!compatible(q.getDimSize(0), k.getDimSize(0)))
    return std::string("query and key batch sizes differ");
  int64_t d = q.getDimSize(3);
  if (ShapedType::isDynamic(d) || d < 1 || d > 256 || !compatible(d, k.getDimSize(3)))
    return "head size must be static, the same for query and key, and at most 256; got " +
           formatShape(q.getShape()) + " and " + formatShape(k.getShape());
  int64_t heads = q.getDimSize(2), kvHeads = k.getDimSize(2);
  if (ShapedType::isDynamic(heads) || ShapedType::isDynamic(kvHeads) || kvHeads < 1 ||
      heads % kvHeads != 0)
    return "query heads " + formatShape(q.getShape()) +
           " must be a static multiple of the key/value heads " + formatShape(k.getShape());
  return std::nullopt;
}

LogicalResult AttentionOp::verify() {
  if (std::optional<std::string> error =
          attentionShapeError(getQuery().getType().cast<RankedTensorType>(),
                              getKey().getType().cast<RankedTensorType>(),
                              getValue().getType().cast<RankedTensorType>()))
    return emitOpError() << *error;
  if (!std::isfinite(getScale().convertToFloat())) return emitOpError("scale must be finite");
  auto q = getQuery().getType().cast<RankedTensorType>();
  auto k = getKey().getType().cast<RankedTensorType>();
  if (!getRopeCos() != !getRopeSin()) return emitOpError("rope takes both cos and sin");
  if (getRopeCos()) {
    int64_t d = q.getDimSize(3);
    if (d % 2 != 0) return emitOpError() << "rope needs an even head size, not " << d;
    for (Value table : {getRopeCos(), getRopeSin()}) {
      auto type = table.getType().cast<RankedTensorType>();
      if (type.getRank() != 2 || !compatible(type.getDimSize(0), k.getDimSize(1)) ||
          !compatible(type.getDimSize(1), d))
        return emitOpError() << "rope tables must be [Sk, D] = " << formatShape({k.getDimSize(1), d})
                             << ", not " << formatShape(type.getShape());
    }
  }
  if (Value bias = getKeyBias()) {
    auto type = bias.getType().cast<RankedTensorType>();
    if (type.getRank() != 2 || !compatible(type.getDimSize(1), k.getDimSize(1)) ||
        (type.getDimSize(0) != 1 && !compatible(type.getDimSize(0), q.getDimSize(0))))
      return emitOpError() << "key_bias must be [B or 1, Sk], not "
                           << formatShape(type.getShape()) << " for keys "
                           << formatShape(k.getShape());
  }
  return success();
}

LogicalResult RmsNormOp::inferReturnTypes(MLIRContext*, std::optional<Location>,
                                          ValueRange operands, DictionaryAttr, RegionRange,
                                          SmallVectorImpl<Type>& results) {
  if (operands.empty()) return failure();
  results.push_back(operands[0].getType());
  return success();
}

LogicalResult RmsNormOp::verify() {
  auto input = getInput().getType().cast<RankedTensorType>();
  auto scale = getScale().getType().cast<RankedTensorType>();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= input.getRank())
    return emitOpError() << "axis " << axis << " is outside the input's rank " << input.getRank();
  if (scale.getRank() != input.getRank() - axis)
    return emitOpError() << "scale " << formatShape(scale.getShape())
                         << " must have the shape of the input's dims from axis " << axis;
  for (int64_t d = 0; d < scale.getRank(); ++d)
    if (!compatible(scale.getDimSize(d), input.getDimSize(axis + d)))
      return emitOpError() << "scale " << formatShape(scale.getShape()) << " does not match "
                           << formatShape(input.getShape()) << " from axis " << axis;
  float epsilon = getEpsilon().convertToFloat();
  if (!(epsilon >= 0.0f) || !std::isfinite(epsilon))
    return emitOpError() << "epsilon must be finite and non-negative, got " << epsilon;
  return success();
}
