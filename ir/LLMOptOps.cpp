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
                                         ValueRange operands, DictionaryAttr attributes,
                                         RegionRange regions, SmallVectorImpl<Type>& inferred) {
  LinearOp::Adaptor adaptor(operands, attributes, regions);
  ValueRange products(operands.take_front(adaptor.getBias() ? 3 : 2));
  if (failed(checkSameElementType(products, location, "linear"))) return failure();
  auto input = rankedType(adaptor.getInput()), weight = rankedType(adaptor.getWeight());
  std::optional<ArrayRef<int64_t>> bias;
  if (adaptor.getBias()) bias = rankedType(adaptor.getBias()).getShape();
  return inferFrom(
      epilogueShape(linearShape(input.getShape(), weight.getShape(), bias ? &*bias : nullptr),
                    attributes),
      input.getElementType(), location, "linear", inferred);
}

ShapeOrError llmopt::epilogueShape(ShapeOrError product, DictionaryAttr attributes) {
  auto activation = attributes ? attributes.getAs<StringAttr>("activation") : StringAttr();
  auto* shape = std::get_if<Shape>(&product);
  if (!shape || !activation || activation.getValue() != "swiglu") return product;
  int64_t& n = shape->back();
  if (ShapedType::isDynamic(n) || n % 2 != 0)
    return std::string("activation \"swiglu\" needs an even, static number of rows (gate and "
                       "up stacked), got ") +
           std::to_string(n);
  n /= 2;
  return product;
}

bool llmopt::isEpilogueActivation(llvm::StringRef activation) {
  static const llvm::StringRef known[] = {"none", "gelu", "gelu_tanh", "silu", "relu", "swiglu"};
  return llvm::is_contained(known, activation);
}

LogicalResult llmopt::verifyLinearEpilogue(Operation* op, StringRef activation, Value residual,
                                           Type result) {
  if (!isEpilogueActivation(activation))
    return op->emitOpError() << "activation \"" << activation
                             << "\" is none of none, gelu, gelu_tanh, silu, relu, swiglu";
  if (residual && residual.getType() != result)
    return op->emitOpError() << "residual " << residual.getType() << " must have the result's type "
                             << result;
  return success();
}

LogicalResult LinearOp::verify() {
  if (getResidual() && !getType().getElementType().isF32())
    return emitOpError("a residual needs an f32 linear");
  return verifyLinearEpilogue(*this, getActivation(), getResidual(), getType());
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
LLMOPT_BINARY_INFER(PowOp, "pow")
LLMOPT_BINARY_INFER(MinOp, "min")
LLMOPT_BINARY_INFER(MaxOp, "max")
#undef LLMOPT_BINARY_INFER

namespace {
/// Comparisons and logic: operands of one element type, an i1 result of the broadcast shape.
LogicalResult inferBoolBinary(MLIRContext* context, ValueRange operands,
                              std::optional<Location> location, StringRef opName,
                              SmallVectorImpl<Type>& inferred) {
  if (failed(checkSameElementType(operands, location, opName))) return failure();
  auto lhs = rankedType(operands[0]), rhs = rankedType(operands[1]);
  return inferFrom(broadcastShapes(lhs.getShape(), rhs.getShape()), IntegerType::get(context, 1),
                   location, opName, inferred);
}
}  // namespace

#define LLMOPT_BOOL_BINARY_INFER(OP, NAME)                                                     \
  LogicalResult OP::inferReturnTypes(MLIRContext* context, std::optional<Location> location,  \
                                     ValueRange operands, DictionaryAttr, RegionRange,        \
                                     SmallVectorImpl<Type>& inferred) {                        \
    return inferBoolBinary(context, operands, location, NAME, inferred);                      \
  }
LLMOPT_BOOL_BINARY_INFER(EqualOp, "equal")
LLMOPT_BOOL_BINARY_INFER(LessOp, "less")
LLMOPT_BOOL_BINARY_INFER(GreaterOp, "greater")
LLMOPT_BOOL_BINARY_INFER(LessEqualOp, "less_equal")
LLMOPT_BOOL_BINARY_INFER(GreaterEqualOp, "greater_equal")
LLMOPT_BOOL_BINARY_INFER(AndOp, "and")
LLMOPT_BOOL_BINARY_INFER(OrOp, "or")
LLMOPT_BOOL_BINARY_INFER(XorOp, "xor")
#undef LLMOPT_BOOL_BINARY_INFER

LogicalResult WhereOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                        ValueRange operands, DictionaryAttr, RegionRange,
                                        SmallVectorImpl<Type>& inferred) {
  if (failed(checkSameElementType(operands.drop_front(), location, "where"))) return failure();
  ShapeOrError shape = broadcastShapes(rankedType(operands[0]).getShape(),
                                       rankedType(operands[1]).getShape());
  if (auto* dims = std::get_if<Shape>(&shape))
    shape = broadcastShapes(*dims, rankedType(operands[2]).getShape());
  return inferFrom(shape, rankedType(operands[1]).getElementType(), location, "where", inferred);
}

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

LogicalResult TriluOp::verify() {
  if (getType().cast<RankedTensorType>().getRank() < 2)
    return emitOpError("needs a tensor of rank 2 or more");
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions, layer_norm
//===----------------------------------------------------------------------===//

namespace {
LogicalResult inferReduce(ValueRange operands, DictionaryAttr attributes,
                          std::optional<Location> location, StringRef opName,
                          SmallVectorImpl<Type>& inferred) {
  auto axes = attributes.get("axes").dyn_cast_or_null<DenseI64ArrayAttr>();
  auto keepdims = attributes.get("keepdims").dyn_cast_or_null<BoolAttr>();
  if (!axes || !keepdims)
    return emitOptionalError(location, "'llmopt.", opName, "' op needs `axes` and `keepdims`");
  auto input = rankedType(operands[0]);
  Shape shape;
  ArrayRef<int64_t> sorted = axes.asArrayRef();
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] < 0 || sorted[i] >= input.getRank() || (i > 0 && sorted[i] <= sorted[i - 1]))
      return emitOptionalError(location, "'llmopt.", opName,
                               "' op axes must be sorted, distinct and in [0, rank)");
  if (sorted.empty())
    return emitOptionalError(location, "'llmopt.", opName, "' op needs at least one axis");
  for (int64_t d = 0; d < input.getRank(); ++d) {
    if (!llvm::is_contained(sorted, d))
      shape.push_back(input.getDimSize(d));
    else if (keepdims.getValue())
      shape.push_back(1);
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}
}  // namespace

#define LLMOPT_REDUCE_INFER(OP, NAME)                                                          \
  LogicalResult OP::inferReturnTypes(MLIRContext*, std::optional<Location> location,          \
                                     ValueRange operands, DictionaryAttr attributes,          \
                                     RegionRange, SmallVectorImpl<Type>& inferred) {           \
    return inferReduce(operands, attributes, location, NAME, inferred);                       \
  }
LLMOPT_REDUCE_INFER(ReduceSumOp, "reduce_sum")
LLMOPT_REDUCE_INFER(ReduceMeanOp, "reduce_mean")
LLMOPT_REDUCE_INFER(ReduceMaxOp, "reduce_max")
LLMOPT_REDUCE_INFER(ReduceMinOp, "reduce_min")
#undef LLMOPT_REDUCE_INFER

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                            ValueRange operands, DictionaryAttr attributes,
                                            RegionRange, SmallVectorImpl<Type>& inferred) {
  if (failed(checkSameElementType(operands, location, "layer_norm"))) return failure();
  auto axisAttr = attributes.get("axis").dyn_cast_or_null<IntegerAttr>();
  if (!axisAttr) return emitOptionalError(location, "'llmopt.layer_norm' op needs an `axis`");
  auto input = rankedType(operands[0]);
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= input.getRank())
    return emitOptionalError(location, "'llmopt.layer_norm' op axis ", axis,
                             " is out of range for rank ", input.getRank());
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  for (Value param : operands.drop_front()) {
    ArrayRef<int64_t> dims = rankedType(param).getShape();
    bool fits = dims.size() == normalized.size();
    for (size_t i = 0; fits && i < dims.size(); ++i)
      fits = ShapedType::isDynamic(dims[i]) || ShapedType::isDynamic(normalized[i]) ||
             dims[i] == normalized[i];
    if (!fits)
      return emitOptionalError(location, "'llmopt.layer_norm' op scale and bias must have the "
                               "shape of the normalised dims ", formatShape(normalized), ", got ",
                               formatShape(dims));
  }
  inferred.push_back(input);
  return success();
}

//===----------------------------------------------------------------------===//
// Gather, concat
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                         ValueRange operands, DictionaryAttr attributes,
                                         RegionRange, SmallVectorImpl<Type>& inferred) {
  auto axisAttr = attributes.get("axis").dyn_cast_or_null<IntegerAttr>();
  if (!axisAttr) return emitOptionalError(location, "'llmopt.gather' op needs an `axis`");
  auto data = rankedType(operands[0]), indices = rankedType(operands[1]);
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= data.getRank())
    return emitOptionalError(location, "'llmopt.gather' op axis ", axis,
                             " is out of range for rank ", data.getRank());
  Shape shape(data.getShape().take_front(axis));
  shape.append(indices.getShape().begin(), indices.getShape().end());
  shape.append(data.getShape().begin() + axis + 1, data.getShape().end());
  inferred.push_back(RankedTensorType::get(shape, data.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                         ValueRange operands, DictionaryAttr attributes,
                                         RegionRange, SmallVectorImpl<Type>& inferred) {
  auto axisAttr = attributes.get("axis").dyn_cast_or_null<IntegerAttr>();
  if (!axisAttr || operands.empty())
    return emitOptionalError(location, "'llmopt.concat' op needs inputs and an `axis`");
  if (failed(checkSameElementType(operands, location, "concat"))) return failure();
  auto first = rankedType(operands[0]);
  int64_t axis = axisAttr.getInt(), rank = first.getRank();
  if (axis < 0 || axis >= rank)
    return emitOptionalError(location, "'llmopt.concat' op axis ", axis,
                             " is out of range for rank ", rank);
  Shape shape(first.getShape());
  for (Value operand : operands.drop_front()) {
    auto type = rankedType(operand);
    if (type.getRank() != rank)
      return emitOptionalError(location, "'llmopt.concat' op inputs must have one rank");
    for (int64_t d = 0; d < rank; ++d) {
      int64_t dim = type.getDimSize(d);
      if (d == axis) {
        shape[d] = ShapedType::isDynamic(shape[d]) || ShapedType::isDynamic(dim)
                       ? ShapedType::kDynamic
                       : shape[d] + dim;
      } else if (ShapedType::isDynamic(shape[d])) {
        shape[d] = dim;
      } else if (!ShapedType::isDynamic(dim) && dim != shape[d]) {
        return emitOptionalError(location, "'llmopt.concat' op inputs differ in dim ", d,
                                 " (", shape[d], " vs ", dim, ")");
      }
    }
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Ops with a symbolic result shape: slice, expand, fill, range
//===----------------------------------------------------------------------===//

namespace {
/// The `shape` attribute as MLIR dims: an integer is static, a symbolic string is dynamic.
std::optional<Shape> shapeFromAttr(Attribute attr) {
  auto array = attr.dyn_cast_or_null<ArrayAttr>();
  if (!array) return std::nullopt;
  Shape shape;
  for (Attribute dim : array) {
    if (auto value = dim.dyn_cast<IntegerAttr>()) {
      if (value.getInt() < 0) return std::nullopt;
      shape.push_back(value.getInt());
    } else if (dim.isa<StringAttr>()) {
      shape.push_back(ShapedType::kDynamic);
    } else {
      return std::nullopt;
    }
  }
  return shape;
}

LogicalResult checkShapeAttr(Operation* op, Attribute attr) {
  std::optional<Shape> shape = shapeFromAttr(attr);
  if (!shape)
    return op->emitOpError("`shape` must list non-negative integers and symbolic strings");
  auto type = op->getResult(0).getType().cast<RankedTensorType>();
  if (static_cast<int64_t>(shape->size()) != type.getRank())
    return op->emitOpError("`shape` has ") << shape->size() << " dims for a result of rank "
                                           << type.getRank();
  for (size_t d = 0; d < shape->size(); ++d)
    if (!ShapedType::isDynamic((*shape)[d]) && type.getDimSize(d) != (*shape)[d])
      return op->emitOpError("result dim ") << d << " disagrees with `shape`";
  return success();
}
}  // namespace

LogicalResult SliceOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                        ValueRange operands, DictionaryAttr attributes,
                                        RegionRange, SmallVectorImpl<Type>& inferred) {
  auto input = rankedType(operands[0]);
  std::optional<Shape> shape = shapeFromAttr(attributes.get("shape"));
  auto axes = attributes.get("axes").dyn_cast_or_null<DenseI64ArrayAttr>();
  auto steps = attributes.get("steps").dyn_cast_or_null<DenseI64ArrayAttr>();
  auto starts = attributes.get("starts").dyn_cast_or_null<ArrayAttr>();
  if (!shape || !axes || !steps || !starts || static_cast<int64_t>(shape->size()) != input.getRank())
    return emitOptionalError(location, "'llmopt.slice' op needs `axes`, `starts`, `steps` and a "
                             "`shape` of the input's rank");
  if (axes.size() != steps.size() || axes.size() != static_cast<int64_t>(starts.size()))
    return emitOptionalError(location, "'llmopt.slice' op axes, starts and steps differ in length");
  for (int64_t d = 0; d < input.getRank(); ++d) {
    bool sliced = llvm::is_contained(axes.asArrayRef(), d);
    if (!sliced && (*shape)[d] != input.getDimSize(d) && !ShapedType::isDynamic((*shape)[d]))
      return emitOptionalError(location, "'llmopt.slice' op dim ", d, " is not sliced but changes");
  }
  for (int64_t axis : axes.asArrayRef())
    if (axis < 0 || axis >= input.getRank())
      return emitOptionalError(location, "'llmopt.slice' op axis ", axis, " is out of range");
  for (int64_t step : steps.asArrayRef())
    if (step == 0) return emitOptionalError(location, "'llmopt.slice' op a step is 0");
  inferred.push_back(RankedTensorType::get(*shape, input.getElementType()));
  return success();
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                         ValueRange operands, DictionaryAttr attributes,
                                         RegionRange, SmallVectorImpl<Type>& inferred) {
  auto input = rankedType(operands[0]);
  std::optional<Shape> shape = shapeFromAttr(attributes.get("shape"));
  if (!shape)
    return emitOptionalError(location, "'llmopt.expand' op needs a `shape` of integers and "
                             "symbolic strings");
  ShapeOrError fits = broadcastShapes(input.getShape(), *shape);
  if (auto* error = std::get_if<std::string>(&fits))
    return emitOptionalError(location, "'llmopt.expand' op ", *error);
  if (input.getRank() > static_cast<int64_t>(shape->size()))
    return emitOptionalError(location, "'llmopt.expand' op the input has a higher rank than `shape`");
  inferred.push_back(RankedTensorType::get(*shape, input.getElementType()));
  return success();
}

LogicalResult ReshapeToOp::inferReturnTypes(MLIRContext*, std::optional<Location> location,
                                            ValueRange operands, DictionaryAttr attributes,
                                            RegionRange, SmallVectorImpl<Type>& inferred) {
  auto input = rankedType(operands[0]);
  std::optional<Shape> shape = shapeFromAttr(attributes.get("shape"));
  if (!shape)
    return emitOptionalError(location, "'llmopt.reshape_to' op needs a `shape` of integers and "
                             "symbolic strings");
  if (input.hasStaticShape() && llvm::none_of(*shape, ShapedType::isDynamic) &&
      staticElementCount(input.getShape()) != staticElementCount(*shape))
    return emitOptionalError(location, "'llmopt.reshape_to' op changes the element count");
  inferred.push_back(RankedTensorType::get(*shape, input.getElementType()));
  return success();
}

LogicalResult FillOp::verify() { return checkShapeAttr(*this, getShape()); }

LogicalResult RangeOp::verify() {
  if (getType().cast<RankedTensorType>().getRank() != 1)
    return emitOpError("the result must be 1-D");
  return checkShapeAttr(*this, getShape());
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
