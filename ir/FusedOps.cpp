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

namespace {

/// The checks of attention's optional operands, for keys k [B, Sk, Hkv, D] and queries of
/// batch `batch`: rope tables [Sk, D] (D even), key_bias [B or 1, Sk].
LogicalResult verifyRopeAndKeyBias(Operation* op, int64_t batch, RankedTensorType k, Value cos,
                                   Value sin, Value keyBias) {
  if (!cos != !sin) return op->emitOpError("rope takes both cos and sin");
  if (cos) {
    int64_t d = k.getDimSize(3);
    if (d % 2 != 0) return op->emitOpError() << "rope needs an even head size, not " << d;
    for (Value table : {cos, sin}) {
      auto type = table.getType().cast<RankedTensorType>();
      if (type.getRank() != 2 || !compatible(type.getDimSize(0), k.getDimSize(1)) ||
          !compatible(type.getDimSize(1), d))
        return op->emitOpError() << "rope tables must be [Sk, D] = "
                                 << formatShape({k.getDimSize(1), d}) << ", not "
                                 << formatShape(type.getShape());
    }
  }
  if (keyBias) {
    auto type = keyBias.getType().cast<RankedTensorType>();
    if (type.getRank() != 2 || !compatible(type.getDimSize(1), k.getDimSize(1)) ||
        (type.getDimSize(0) != 1 && !compatible(type.getDimSize(0), batch)))
      return op->emitOpError() << "key_bias must be [B or 1, Sk], not "
                               << formatShape(type.getShape()) << " for keys "
                               << formatShape(k.getShape());
  }
  return success();
}

}  // namespace

LogicalResult AttentionOp::verify() {
  if (std::optional<std::string> error =
          attentionShapeError(getQuery().getType().cast<RankedTensorType>(),
                              getKey().getType().cast<RankedTensorType>(),
                              getValue().getType().cast<RankedTensorType>()))
    return emitOpError() << *error;
  if (!std::isfinite(getScale().convertToFloat())) return emitOpError("scale must be finite");
  auto q = getQuery().getType().cast<RankedTensorType>();
  auto k = getKey().getType().cast<RankedTensorType>();
  return verifyRopeAndKeyBias(*this, q.getDimSize(0), k, getRopeCos(), getRopeSin(),
                              getKeyBias());
}

std::optional<std::string> llmopt::packedAttentionHeadsError(RankedTensorType qkv,
                                                             int64_t kvHeads) {
  if (qkv.getRank() != 4) return std::string("qkv must be [B, S, H + 2·Hkv, D]");
  int64_t packed = qkv.getDimSize(2), d = qkv.getDimSize(3);
  if (ShapedType::isDynamic(d) || d < 1 || d > 256)
    return "head size must be static and at most 256; got " + formatShape(qkv.getShape());
  if (ShapedType::isDynamic(packed) || kvHeads < 1 || packed - 2 * kvHeads < kvHeads ||
      (packed - 2 * kvHeads) % kvHeads != 0)
    return "qkv " + formatShape(qkv.getShape()) + " must hold H + 2·" + std::to_string(kvHeads) +
           " static heads with H a positive multiple of kv_heads = " + std::to_string(kvHeads);
  return std::nullopt;
}

LogicalResult PackedAttentionOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                                  ValueRange operands, DictionaryAttr attributes,
                                                  RegionRange, SmallVectorImpl<Type>& results) {
  if (operands.empty()) return failure();
  auto qkv = operands[0].getType().cast<RankedTensorType>();
  auto kvHeads = attributes ? attributes.getAs<IntegerAttr>("kv_heads") : IntegerAttr();
  if (!kvHeads) return emitOptionalError(location, "'llmopt.packed_attention' op needs kv_heads");
  if (std::optional<std::string> error = packedAttentionHeadsError(qkv, kvHeads.getInt()))
    return emitOptionalError(location, "'llmopt.packed_attention' op ", *error);
  SmallVector<int64_t> shape(qkv.getShape());
  shape[2] -= 2 * kvHeads.getInt();
  results.push_back(RankedTensorType::get(shape, qkv.getElementType()));
  return success();
}

LogicalResult PackedAttentionOp::verify() {
  if (!std::isfinite(getScale().convertToFloat())) return emitOpError("scale must be finite");
  auto qkv = getQkv().getType().cast<RankedTensorType>();
  auto k = RankedTensorType::get({qkv.getDimSize(0), qkv.getDimSize(1),
                                  static_cast<int64_t>(getKvHeads()), qkv.getDimSize(3)},
                                 qkv.getElementType());
  return verifyRopeAndKeyBias(*this, qkv.getDimSize(0), k, getRopeCos(), getRopeSin(),
                              getKeyBias());
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
