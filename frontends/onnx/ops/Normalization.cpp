//===- Normalization.cpp - ReduceMean/Sum/Max/Min, LayerNormalization ----===//
#include "frontends/onnx/ops/ShapeHelpers.h"

#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "ir/LLMOptOps.h"

namespace llmopt::onnx_import {
namespace {

using mlir::LogicalResult;
using mlir::Value;

/// Reduce ops: axes from the attribute, or (ReduceSum-13) from input 1; no axes = all of them,
/// unless noop_with_empty_axes.
template <typename OpT>
LogicalResult importReduce(NodeContext& node) {
  Value x = node.input(0);
  if (!x) return mlir::failure();
  // Only the data must be float32: ReduceSum-13's axes (input 1) are int64.
  if (mlir::Type type = x.getType().cast<mlir::ShapedType>().getElementType(); !type.isF32()) {
    std::string name;
    llvm::raw_string_ostream os(name);
    os << type;
    return node.error("input 0 is " + os.str() + "; this op is supported for float32 only");
  }
  int64_t rank = x.getType().cast<mlir::RankedTensorType>().getRank();
  std::vector<int64_t> axes;
  bool axesFromInput = node.node().op_type() == "ReduceSum" && node.opset() >= 13;
  if (axesFromInput) {
    if (node.numInputs() > 1 && !node.inputName(1).empty()) {
      auto given = staticInts(node, 1, "axes (input 1)");
      if (!given) return mlir::failure();
      axes = *given;
    }
  } else if (auto given = node.intsAttr("axes")) {
    axes = *given;
  }
  if (axes.empty()) {
    if (node.intAttr("noop_with_empty_axes").value_or(0)) {
      node.setOutput(0, x);
      return mlir::success();
    }
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  for (int64_t& axis : axes) {
    if (axis < -rank || axis >= rank)
      return node.error("axis " + std::to_string(axis) + " is out of range for rank " +
                        std::to_string(rank));
    if (axis < 0) axis += rank;
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  if (rank == 0) {  // a scalar reduces to itself
    node.setOutput(0, x);
    return mlir::success();
  }
  auto& b = node.builder();
  Value y = node.create<OpT>(
      x, {b.getNamedAttr("axes", b.getDenseI64ArrayAttr(axes)),
          b.getNamedAttr("keepdims", b.getBoolAttr(node.intAttr("keepdims").value_or(1) != 0))});
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

LogicalResult importLayerNormalization(NodeContext& node) {
  for (int o = 1; o < node.node().output_size(); ++o)
    if (!node.node().output(o).empty())
      return node.error("the Mean and InvStdDev outputs are not supported (training only)");
  if (failed(node.requireFloat32Inputs())) return mlir::failure();
  Value x = node.input(0), scale = node.input(1), bias = node.input(2);
  if (!x || !scale) return mlir::failure();
  int64_t rank = x.getType().cast<mlir::RankedTensorType>().getRank();
  int64_t axis = node.intAttr("axis").value_or(-1);
  if (axis < -rank || axis >= rank)
    return node.error("axis " + std::to_string(axis) + " is out of range for rank " +
                      std::to_string(rank));
  if (axis < 0) axis += rank;
  // ONNX lets scale and bias broadcast to the normalised dims; the kernel wants them whole.
  int64_t normalizedRank = rank - axis;
  auto& b = node.builder();
  auto fitParam = [&](Value param) -> Value {
    auto type = param.getType().cast<mlir::RankedTensorType>();
    auto xType = x.getType().cast<mlir::RankedTensorType>();
    if (type.getRank() == normalizedRank && type.getShape() == xType.getShape().drop_front(axis))
      return param;
    const SymShape* xShape = node.symbolicShape(x);
    if (!xShape) return nullptr;
    SymShape target(xShape->begin() + axis, xShape->end());
    Value expanded = node.create<ExpandOp>(param, {b.getNamedAttr("shape", shapeAttr(node, target))});
    return expanded;
  };
  scale = fitParam(scale);
  if (!scale) return mlir::failure();
  llvm::SmallVector<Value, 3> operands{x, scale};
  if (bias) {
    bias = fitParam(bias);
    if (!bias) return mlir::failure();
    operands.push_back(bias);
  }
  Value y = node.create<LayerNormOp>(
      operands, {b.getNamedAttr("axis", b.getI64IntegerAttr(axis)),
                 b.getNamedAttr("epsilon",
                                b.getF32FloatAttr(node.floatAttr("epsilon").value_or(1e-5f)))});
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

}  // namespace

void registerNormalizationImporters(OpRegistry& registry) {
  registry.add("ReduceMean", {1, 11, 13}, importReduce<ReduceMeanOp>);
  registry.add("ReduceSum", {1, 11, 13}, importReduce<ReduceSumOp>);
  registry.add("ReduceMax", {1, 11, 12, 13}, importReduce<ReduceMaxOp>);
  registry.add("ReduceMin", {1, 11, 12, 13}, importReduce<ReduceMinOp>);
  registry.add("LayerNormalization", {17}, importLayerNormalization);
}

}  // namespace llmopt::onnx_import
