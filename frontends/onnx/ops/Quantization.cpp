//===- Quantization.cpp - QuantizeLinear, DequantizeLinear, MatMulInteger -===//
//
// The ops ONNX Runtime's quantization tools write (quantize_dynamic: DynamicQuantizeLinear +
// MatMulInteger; quantize_static in QDQ format: QuantizeLinear / DequantizeLinear pairs) import
// one to one; `llmopt-lower-onnx-quant` turns their usual forms into llmopt's quantized ops.
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "ir/LLMOptOps.h"
#include "ir/ShapeInference.h"

#include "mlir/IR/Verifier.h"

namespace llmopt::onnx_import {
namespace {

using mlir::LogicalResult;
using mlir::RankedTensorType;
using mlir::Type;
using mlir::Value;

RankedTensorType rankedType(Value value) { return value.getType().cast<RankedTensorType>(); }

bool isInt8(Type t) { return t.isInteger(8); }  // i8 (signless) or ui8

/// The checks QuantizeLinear and DequantizeLinear share: an f32 scale, no blocked quantization,
/// and `axis` normalised against the quantized tensor's rank.
std::optional<int64_t> quantAxis(NodeContext& node, int64_t rank) {
  if (!rankedType(node.input(1)).getElementType().isF32()) {
    (void)node.error("only float32 scales are supported");
    return std::nullopt;
  }
  if (node.intAttr("block_size").value_or(0) != 0) {
    (void)node.error("blocked quantization (block_size) is not supported");
    return std::nullopt;
  }
  int64_t axis = node.intAttr("axis").value_or(1);
  // A per-tensor scale ignores the axis (ONNX's default of 1 is out of range for a vector).
  if (rank == 0 || isPerTensorQuantParam(rankedType(node.input(1)))) return 0;
  if (axis < -rank || axis >= rank) {
    (void)node.error("axis " + std::to_string(axis) + " is out of range for rank " +
                     std::to_string(rank));
    return std::nullopt;
  }
  return axis < 0 ? axis + rank : axis;
}

/// Runs the op's verifier (scale and zero point shapes against the input); its message is
/// reported at the node's location.
LogicalResult createVerified(mlir::Operation* op) {
  if (succeeded(mlir::verify(op))) return mlir::success();
  op->erase();
  return mlir::failure();
}

LogicalResult importQuantizeLinear(NodeContext& node) {
  Value x = node.input(0), scale = node.input(1), zeroPoint = node.input(2);
  if (!x || !scale) return node.error("needs an input and a scale");
  if (!rankedType(x).getElementType().isF32())
    return node.error("only float32 inputs can be quantized");
  mlir::OpBuilder& b = node.builder();
  // The stored type is the zero point's; without one, opset 21's output_dtype or uint8.
  Type stored = b.getIntegerType(8, /*isSigned=*/false);
  if (zeroPoint)
    stored = rankedType(zeroPoint).getElementType();
  else if (node.intAttr("output_dtype").value_or(0) == 3 /* INT8 */)
    stored = b.getIntegerType(8);
  else if (node.intAttr("output_dtype").value_or(2) != 2 /* UINT8 */)
    stored = Type();
  if (!stored || !isInt8(stored))
    return node.error("only int8 and uint8 quantization is supported");
  std::optional<int64_t> axis = quantAxis(node, rankedType(x).getRank());
  if (!axis) return mlir::failure();
  auto op = b.create<QuantizeLinearOp>(node.loc(), rankedType(x).clone(stored), x, scale,
                                       zeroPoint, b.getI64IntegerAttr(*axis));
  if (failed(createVerified(op))) return mlir::failure();
  node.setOutput(0, op.getResult());
  return mlir::success();
}

LogicalResult importDequantizeLinear(NodeContext& node) {
  Value x = node.input(0), scale = node.input(1), zeroPoint = node.input(2);
  if (!x || !scale) return node.error("needs an input and a scale");
  Type stored = rankedType(x).getElementType();
  if (!isInt8(stored) && !stored.isInteger(32))
    return node.error("only int8, uint8 and int32 inputs can be dequantized");
  std::optional<int64_t> axis = quantAxis(node, rankedType(x).getRank());
  if (!axis) return mlir::failure();
  mlir::OpBuilder& b = node.builder();
  auto op = b.create<DequantizeLinearOp>(node.loc(), rankedType(x).clone(b.getF32Type()), x,
                                         scale, zeroPoint, b.getI64IntegerAttr(*axis));
  if (failed(createVerified(op))) return mlir::failure();
  node.setOutput(0, op.getResult());
  return mlir::success();
}

LogicalResult importDynamicQuantizeLinear(NodeContext& node) {
  Value x = node.input(0);
  if (!x) return mlir::failure();
  if (!rankedType(x).getElementType().isF32())
    return node.error("only float32 inputs can be quantized");
  mlir::OpBuilder& b = node.builder();
  Type u8 = b.getIntegerType(8, /*isSigned=*/false);
  auto op = b.create<DynamicQuantizeLinearOp>(
      node.loc(), rankedType(x).clone(u8), RankedTensorType::get({}, b.getF32Type()),
      RankedTensorType::get({}, u8), x);
  for (unsigned i = 0; i < 3; ++i) node.setOutput(i, op->getResult(i));
  return mlir::success();
}

LogicalResult importMatMulInteger(NodeContext& node) {
  Value a = node.input(0), b = node.input(1);
  if (!a || !b) return mlir::failure();
  if (failed(node.requireInputTypes(isInt8, "int8 and uint8"))) return mlir::failure();
  ShapeOrError shape = matmulShape(rankedType(a).getShape(), rankedType(b).getShape());
  if (auto* message = std::get_if<std::string>(&shape)) return node.error(*message);
  mlir::OpBuilder& builder = node.builder();
  auto type = RankedTensorType::get(std::get<Shape>(shape), builder.getI32Type());
  auto op = builder.create<MatMulIntegerOp>(node.loc(), type, a, b, node.input(2), node.input(3));
  node.setOutput(0, op.getResult());
  return mlir::success();
}

}  // namespace

void registerQuantizationImporters(OpRegistry& registry) {
  registry.add("QuantizeLinear", {10, 13, 19, 21}, importQuantizeLinear);
  registry.add("DequantizeLinear", {10, 13, 19, 21}, importDequantizeLinear);
  registry.add("DynamicQuantizeLinear", {11}, importDynamicQuantizeLinear);
  registry.add("MatMulInteger", {10}, importMatMulInteger);
}

}  // namespace llmopt::onnx_import
