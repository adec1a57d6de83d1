//===- Elementwise.cpp - arithmetic, comparisons, logic, math functions ---===//
//
// Each op is evaluated at compile time when its inputs are known (shape arithmetic, small
// constants) and imported as an llmopt op otherwise.
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "frontends/onnx/TensorConversion.h"
#include "ir/LLMOptOps.h"

namespace llmopt::onnx_import {
namespace {

using mlir::LogicalResult;
using mlir::Type;
using mlir::Value;

Type elementTypeOf(Value value) {
  return value.getType().cast<mlir::ShapedType>().getElementType();
}

bool isArithmeticType(Type t) { return t.isF32() || t.isInteger(64); }
bool isBoolType(Type t) { return t.isInteger(1); }

template <typename OpT, KnownBinary Kind>
LogicalResult importBinary(NodeContext& node) {
  constexpr bool isLogic =
      Kind == KnownBinary::And || Kind == KnownBinary::Or || Kind == KnownBinary::Xor;
  constexpr bool isCompare = Kind >= KnownBinary::Equal && Kind <= KnownBinary::GreaterOrEqual;
  // ONNX Min/Max take any number of inputs: fold them left to right.
  size_t count = node.numInputs();
  if (count == 0) return node.error("needs at least one input");
  if (auto folded = node.foldKnown([&]() -> KnownOrError {
        KnownValue acc = *node.known(0);
        for (size_t i = 1; i < count; ++i) {
          Type resultType = isLogic || isCompare
                                ? mlir::IntegerType::get(node.builder().getContext(), 1)
                                : acc.elementType;
          KnownOrError next = evaluateBinary(Kind, acc, *node.known(i), resultType);
          if (auto* error = std::get_if<std::string>(&next)) return *error;
          acc = std::get<KnownValue>(next);
        }
        return acc;
      }))
    return *folded;
  if (isLogic) {
    if (failed(node.requireInputTypes(isBoolType, "bool"))) return mlir::failure();
  } else if (failed(node.requireInputTypes(isArithmeticType, "float32 and int64"))) {
    return mlir::failure();
  }
  Value acc = node.input(0);
  if (!acc) return mlir::failure();
  for (size_t i = 1; i < count; ++i) {
    Value rhs = node.input(i);
    if (!rhs) return mlir::failure();
    acc = node.create<OpT>({acc, rhs});
    if (!acc) return mlir::failure();
  }
  node.setOutput(0, acc);
  return mlir::success();
}

/// Pow: the exponent may have another element type than the base (ONNX's T and T1); the result
/// has the base's. A float32 base takes the exponent cast to float32; an int64 base with an
/// integer exponent takes it cast to int64; an int64 base with a float32 exponent is computed in
/// float32 and cast back (truncating, as ONNX's reference does).
LogicalResult importPow(NodeContext& node) {
  if (node.numInputs() != 2) return node.error("needs two inputs");
  if (auto folded = node.foldKnown([&] {
        return evaluateBinary(KnownBinary::Pow, *node.known(0), *node.known(1),
                              node.known(0)->elementType);
      }))
    return *folded;
  Value x = node.input(0), y = node.input(1);
  if (!x || !y) return mlir::failure();
  Type xType = elementTypeOf(x), yType = elementTypeOf(y);
  if (!isArithmeticType(xType))
    return node.error("the base (input 0) must be float32 or int64");
  if (!(isArithmeticType(yType) || yType.isInteger(32)))
    return node.error("the exponent (input 1) must be float32, int64 or int32");
  auto& b = node.builder();
  auto castTo = [&](Value v, Type t) -> Value {
    if (elementTypeOf(v) == t) return v;
    return b.create<CastOp>(node.loc(), v.getType().cast<mlir::RankedTensorType>().clone(t), v);
  };
  Type computeType = xType.isInteger(64) && yType.isF32() ? yType : xType;
  Value z = node.create<PowOp>({castTo(x, computeType), castTo(y, computeType)});
  if (!z) return mlir::failure();
  node.setOutput(0, castTo(z, xType));
  return mlir::success();
}

/// `Kind` of unary op, with its element types.
enum class UnaryTypes { Float, Numeric, Bool };

template <typename OpT, UnaryTypes Types = UnaryTypes::Float>
LogicalResult importUnary(NodeContext& node) {
  if (auto folded = node.foldKnown(
          [&] { return evaluateUnary(node.node().op_type(), *node.known(0)); }))
    return *folded;
  LogicalResult typesOk =
      Types == UnaryTypes::Bool      ? node.requireInputTypes(isBoolType, "bool")
      : Types == UnaryTypes::Numeric ? node.requireInputTypes(isArithmeticType, "float32 and int64")
                                     : node.requireFloat32Inputs();
  if (failed(typesOk)) return mlir::failure();
  Value x = node.input(0);
  if (!x) return mlir::failure();
  node.setOutput(0, node.builder().create<OpT>(node.loc(), x.getType(), x));
  return mlir::success();
}

LogicalResult importWhere(NodeContext& node) {
  if (auto folded = node.foldKnown(
          [&] { return evaluateWhere(*node.known(0), *node.known(1), *node.known(2)); }))
    return *folded;
  Value condition = node.input(0), x = node.input(1), y = node.input(2);
  if (!condition || !x || !y) return mlir::failure();
  if (!isBoolType(elementTypeOf(condition))) return node.error("the condition must be bool");
  Value result = node.create<WhereOp>({condition, x, y});
  if (!result) return mlir::failure();
  node.setOutput(0, result);
  return mlir::success();
}

LogicalResult importCast(NodeContext& node) {
  std::optional<int64_t> to = node.intAttr("to");
  if (!to) return node.error("needs the `to` attribute");
  Type target = convertElementType(node.builder().getContext(), static_cast<int32_t>(*to));
  bool supported = target && (target.isF32() || target.isInteger(64) || target.isInteger(32) ||
                              target.isInteger(1));
  if (auto folded = node.foldKnown([&]() -> KnownOrError {
        if (!target) return std::string("unsupported target type");
        return evaluateCast(*node.known(0), target);
      }))
    return *folded;
  if (!supported)
    return node.error("casting to " + dataTypeName(static_cast<int32_t>(*to)) +
                      " is not supported (float32, int64, int32 and bool are)");
  Value x = node.input(0);
  if (!x) return mlir::failure();
  Type source = elementTypeOf(x);
  if (!(source.isF32() || source.isInteger(64) || source.isInteger(32) || source.isInteger(1)))
    return node.error("casting from this element type is not supported");
  if (source == target) {
    node.setOutput(0, x);
    return mlir::success();
  }
  auto type = x.getType().cast<mlir::RankedTensorType>().clone(target);
  node.setOutput(0, node.builder().create<CastOp>(node.loc(), type, x));
  return mlir::success();
}

/// Clip: min and max are attributes before opset 11, optional constant inputs after.
LogicalResult importClip(NodeContext& node) {
  if (failed(node.requireFloat32Inputs())) return mlir::failure();
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (node.opset() < 11) {
    lo = node.floatAttr("min").value_or(lo);
    hi = node.floatAttr("max").value_or(hi);
  } else {
    for (size_t i = 1; i <= 2 && i < node.numInputs(); ++i) {
      if (node.inputName(i).empty()) continue;
      const KnownValue* bound = node.known(i);
      if (!bound || bound->floats.size() != 1)
        return node.error("min and max must be constant scalars");
      (i == 1 ? lo : hi) = static_cast<float>(bound->floats[0]);
    }
  }
  Value x = node.input(0);
  if (!x) return mlir::failure();
  auto& b = node.builder();
  node.setOutput(0, b.create<ClipOp>(node.loc(), x.getType(), x, b.getF32FloatAttr(lo),
                                     b.getF32FloatAttr(hi)));
  return mlir::success();
}

}  // namespace

void registerElementwiseImporters(OpRegistry& registry) {
  // Versions before 7 had an explicit `broadcast` attribute; 7 and later broadcast like numpy.
  registry.add("Add", {7, 13, 14}, importBinary<AddOp, KnownBinary::Add>);
  registry.add("Sub", {7, 13, 14}, importBinary<SubOp, KnownBinary::Sub>);
  registry.add("Mul", {7, 13, 14}, importBinary<MulOp, KnownBinary::Mul>);
  registry.add("Div", {7, 13, 14}, importBinary<DivOp, KnownBinary::Div>);
  registry.add("Pow", {7, 12, 13, 15}, importPow);
  registry.add("Min", {8, 12, 13}, importBinary<MinOp, KnownBinary::Min>);
  registry.add("Max", {8, 12, 13}, importBinary<MaxOp, KnownBinary::Max>);
  registry.add("Equal", {7, 11, 13}, importBinary<EqualOp, KnownBinary::Equal>);
  registry.add("Less", {7, 9, 13}, importBinary<LessOp, KnownBinary::Less>);
  registry.add("Greater", {7, 9, 13}, importBinary<GreaterOp, KnownBinary::Greater>);
  registry.add("LessOrEqual", {12, 16}, importBinary<LessEqualOp, KnownBinary::LessOrEqual>);
  registry.add("GreaterOrEqual", {12, 16},
               importBinary<GreaterEqualOp, KnownBinary::GreaterOrEqual>);
  registry.add("And", {7}, importBinary<AndOp, KnownBinary::And>);
  registry.add("Or", {7}, importBinary<OrOp, KnownBinary::Or>);
  registry.add("Xor", {7}, importBinary<XorOp, KnownBinary::Xor>);
  registry.add("Relu", {6, 13, 14}, importUnary<ReluOp>);
  registry.add("Tanh", {6, 13}, importUnary<TanhOp>);
  registry.add("Sigmoid", {6, 13}, importUnary<SigmoidOp>);
  registry.add("Neg", {6, 13}, importUnary<NegOp, UnaryTypes::Numeric>);
  registry.add("Abs", {6, 13}, importUnary<AbsOp, UnaryTypes::Numeric>);
  registry.add("Exp", {6, 13}, importUnary<ExpOp>);
  registry.add("Log", {6, 13}, importUnary<LogOp>);
  registry.add("Sqrt", {6, 13}, importUnary<SqrtOp>);
  registry.add("Reciprocal", {6, 13}, importUnary<ReciprocalOp>);
  registry.add("Erf", {9, 13}, importUnary<ErfOp>);
  registry.add("Cos", {7}, importUnary<CosOp>);
  registry.add("Sin", {7}, importUnary<SinOp>);
  registry.add("Not", {1}, importUnary<NotOp, UnaryTypes::Bool>);
  registry.add("Where", {9, 16}, importWhere);
  registry.add("Cast", {6, 9, 13}, importCast);
  registry.add("Clip", {6, 11, 12, 13}, importClip);
}

}  // namespace llmopt::onnx_import
