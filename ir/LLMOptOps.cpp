//===- LLMOptOps.cpp - ops of the llmopt dialect --------------------------===//
//
// Type inference (which also verifies shapes), folders and canonicalization patterns.
//
//===----------------------------------------------------------------------===//
#include "ir/LLMOptOps.h"

#include "ir/ConstantFolding.h"
#include "ir/ShapeInference.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace llmopt;

namespace {

/// Turns a shape rule's answer into the inferred result type, or an error at the op.
LogicalResult inferFrom(const ShapeOrError& shape, Type elementType,
                        std::optional<Location> location, StringRef opName,
                        SmallVectorImpl<Type>& inferred) {
  if (auto* error = std::get_if<std::string>(&shape))
    return emitOptionalError(location, "'llmopt.", opName, "' op ", *error);
  inferred.push_back(RankedTensorType::get(std::get<Shape>(shape), elementType));
  return success();
}

RankedTensorType rankedType(Value value) { return value.getType().cast<RankedTensorType>(); }

LogicalResult checkSameElementType(ValueRange operands, std::optional<Location> location,
                                   StringRef opName) {
  for (Value operand : operands)
    if (rankedType(operand).getElementType() != rankedType(operands[0]).getElementType())
      return emitOptionalError(location, "'llmopt.", opName,
                               "' op operands must have the same element type");
  return success();
}

}  // namespace

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                           ValueRange, DictionaryAttr attributes, RegionRange,
                                           SmallVectorImpl<Type>& inferred) {
  auto value = attributes.get("value").dyn_cast_or_null<ElementsAttr>();
  if (!value) return emitOptionalError(location, "'llmopt.constant' op needs a `value`");
  auto type = value.getType().dyn_cast<RankedTensorType>();
  if (!type) return emitOptionalError(location, "'llmopt.constant' op value must be a tensor");
  inferred.push_back(type);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// LinearOp, MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                         ValueRange operands, DictionaryAttr, RegionRange,
                                         SmallVectorImpl<Type>& inferred) {
  if (failed(checkSameElementType(operands, location, "linear"))) return failure();
  auto input = rankedType(operands[0]), weight = rankedType(operands[1]);
  std::optional<ArrayRef<int64_t>> bias;
  if (operands.size() > 2) bias = rankedType(operands[2]).getShape();
  return inferFrom(linearShape(input.getShape(), weight.getShape(), bias ? &*bias : nullptr),
                   input.getElementType(), location, "linear", inferred);
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                         ValueRange operands, DictionaryAttr, RegionRange,
                                         SmallVectorImpl<Type>& inferred) {
  if (failed(checkSameElementType(operands, location, "matmul"))) return failure();
  auto lhs = rankedType(operands[0]), rhs = rankedType(operands[1]);
  return inferFrom(matmulShape(lhs.getShape(), rhs.getShape()), lhs.getElementType(), location,
                   "matmul", inferred);
}

//===----------------------------------------------------------------------===//
// Binary elementwise ops
//===----------------------------------------------------------------------===//

namespace {
LogicalResult inferBinary(ValueRange operands, std::optional<Location> location,
                          StringRef opName, SmallVectorImpl<Type>& inferred) {
  if (failed(checkSameElementType(operands, location, opName))) return failure();
  auto lhs = rankedType(operands[0]), rhs = rankedType(operands[1]);
  return inferFrom(broadcastShapes(lhs.getShape(), rhs.getShape()), lhs.getElementType(),
                   location, opName, inferred);
}

/// x (op) c where c is a splat constant that leaves x unchanged, and x already has the result
/// type (so no broadcast is lost).
OpFoldResult foldIdentityOperand(Value lhs, Attribute rhsValue, Type resultType, float identity) {
  if (lhs.getType() == resultType && isSplatOf(rhsValue, identity)) return lhs;
  return {};
}

OpFoldResult foldConstants(BinaryKind kind, ArrayRef<Attribute> operands, Type resultType) {
  auto lhs = operands[0].dyn_cast_or_null<ElementsAttr>();
  auto rhs = operands[1].dyn_cast_or_null<ElementsAttr>();
  auto type = resultType.dyn_cast<RankedTensorType>();
  if (!lhs || !rhs || !type) return {};
  return foldBinary(kind, lhs, rhs, type);
}
}  // namespace

#define LLMOPT_BINARY_INFER(OP, NAME)                                                          \
  LogicalResult OP::inferReturnTypes(MLIRContext*, std::optional<Location> location,          \
                                     ValueRange operands, DictionaryAttr, RegionRange,        \
                                     SmallVectorImpl<Type>& inferred) {                        \
    return inferBinary(operands, location, NAME, inferred);                                   \
  }
LLMOPT_BINARY_INFER(AddOp, "add")
LLMOPT_BINARY_INFER(SubOp, "sub")
LLMOPT_BINARY_INFER(MulOp, "mul")
LLMOPT_BINARY_INFER(DivOp, "div")
#undef LLMOPT_BINARY_INFER

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded = foldConstants(BinaryKind::Add, adaptor.getOperands(), getType()))
    return folded;
  if (OpFoldResult folded = foldIdentityOperand(getLhs(), adaptor.getRhs(), getType(), 0.0f))
    return folded;
  return foldIdentityOperand(getRhs(), adaptor.getLhs(), getType(), 0.0f);
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded = foldConstants(BinaryKind::Sub, adaptor.getOperands(), getType()))
    return folded;
  return foldIdentityOperand(getLhs(), adaptor.getRhs(), getType(), 0.0f);
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded = foldConstants(BinaryKind::Mul, adaptor.getOperands(), getType()))
    return folded;
  if (OpFoldResult folded = foldIdentityOperand(getLhs(), adaptor.getRhs(), getType(), 1.0f))
    return folded;
  return foldIdentityOperand(getRhs(), adaptor.getLhs(), getType(), 1.0f);
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded = foldConstants(BinaryKind::Div, adaptor.getOperands(), getType()))
    return folded;
  return foldIdentityOperand(getLhs(), adaptor.getRhs(), getType(), 1.0f);
}

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

OpFoldResult ReluOp::fold(FoldAdaptor) {
  // relu is idempotent.
  if (getInput().getDefiningOp<ReluOp>()) return getInput();
  return {};
}

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be \"none\" or \"tanh\", got \"")
           << getApproximate() << "\"";
  return success();
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getType().cast<RankedTensorType>().getRank();
  // I64Attr's accessor returns uint64_t: read it signed, or -1 would print as 2^64 - 1.
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  return success();
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                          ValueRange operands, DictionaryAttr attributes,
                                          RegionRange, SmallVectorImpl<Type>& inferred) {
  auto spec = attributes.get("shape").dyn_cast_or_null<DenseI64ArrayAttr>();
  if (!spec) return emitOptionalError(location, "'llmopt.reshape' op needs a `shape`");
  auto input = rankedType(operands[0]);
  return inferFrom(reshapeShape(input.getShape(), spec.asArrayRef()), input.getElementType(),
                   location, "reshape", inferred);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  auto resultType = getType().cast<RankedTensorType>();
  if (getInput().getType() == resultType && resultType.hasStaticShape()) return getInput();
  if (auto value = adaptor.getInput().dyn_cast_or_null<ElementsAttr>())
    if (resultType.hasStaticShape()) return reshapeConstant(value, resultType);
  return {};
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                            ValueRange operands, DictionaryAttr attributes,
                                            RegionRange, SmallVectorImpl<Type>& inferred) {
  auto perm = attributes.get("perm").dyn_cast_or_null<DenseI64ArrayAttr>();
  if (!perm) return emitOptionalError(location, "'llmopt.transpose' op needs a `perm`");
  auto input = rankedType(operands[0]);
  return inferFrom(transposeShape(input.getShape(), perm.asArrayRef()), input.getElementType(),
                   location, "transpose", inferred);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  // Constants are deliberately not folded: `linear` reads a transposed constant weight in place
  // (the backend packs it), which spares a copy of every MatMul weight.
  ArrayRef<int64_t> perm = getPerm();
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return {};
  return getInput();
}

namespace {
/// transpose(transpose(x, p1), p2) -> transpose(x, p1[p2[i]]).
struct ComposeTransposes : public OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter& rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner) return failure();
    ArrayRef<int64_t> outerPerm = op.getPerm(), innerPerm = inner.getPerm();
    SmallVector<int64_t> composed;
    for (int64_t p : outerPerm) composed.push_back(innerPerm[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, inner.getInput(), composed);
    return success();
  }
};
}  // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet& patterns, MLIRContext* context) {
  patterns.add<ComposeTransposes>(context);
}

#define GET_OP_CLASSES
#include "ir/LLMOptOps.cpp.inc"
