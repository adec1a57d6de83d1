//===- Softmax.cpp - Softmax ----------------------------------------------===//
#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "ir/LLMOptOps.h"
#include "ir/ShapeInference.h"

namespace llmopt::onnx_import {
namespace {

using mlir::RankedTensorType;
using mlir::Value;

int64_t normalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

/// Softmax-13: along one axis (default -1).
mlir::LogicalResult importSoftmax13(NodeContext& node) {
  if (failed(node.requireFloat32Inputs())) return mlir::failure();
  Value x = node.input(0);
  int64_t rank = x.getType().cast<RankedTensorType>().getRank();
  int64_t axis = normalizeAxis(node.intAttr("axis").value_or(-1), rank);
  if (axis < 0 || axis >= rank) return node.error("axis is out of range");
  node.setOutput(0, node.builder().create<SoftmaxOp>(node.loc(), x.getType(), x, axis));
  return mlir::success();
}

/// Softmax-1/11: the input is seen as a matrix [prod(dims[:axis]), prod(dims[axis:])] (default
/// axis 1) and normalised per row.
mlir::LogicalResult importSoftmaxCoerced(NodeContext& node) {
  if (failed(node.requireFloat32Inputs())) return mlir::failure();
  Value x = node.input(0);
  auto type = x.getType().cast<RankedTensorType>();
  int64_t rank = type.getRank();
  int64_t axis = normalizeAxis(node.intAttr("axis").value_or(1), rank);
  if (axis < 0 || axis >= rank) return node.error("axis is out of range");
  auto& b = node.builder();
  if (axis == rank - 1) {
    node.setOutput(0, b.create<SoftmaxOp>(node.loc(), type, x, axis));
    return mlir::success();
  }
  llvm::ArrayRef<int64_t> dims = type.getShape();
  std::optional<int64_t> rowCount = staticElementCount(dims.take_front(axis));
  std::optional<int64_t> colCount = staticElementCount(dims.drop_front(axis));
  if (!rowCount || !colCount) return node.error("the input shape has too many elements");
  // -1 for a side with a dynamic dim.
  int64_t rows = llvm::any_of(dims.take_front(axis), mlir::ShapedType::isDynamic) ? -1 : *rowCount;
  int64_t cols = llvm::any_of(dims.drop_front(axis), mlir::ShapedType::isDynamic) ? -1 : *colCount;
  if (cols < 0 || llvm::count_if(dims, mlir::ShapedType::isDynamic) > 1)
    return node.error("softmax over a dynamic axis range is not supported before opset 13");
  Value matrix = node.reshape(x, {rows, cols});
  if (!matrix) return mlir::failure();
  Value normalized = b.create<SoftmaxOp>(node.loc(), matrix.getType(), matrix, 1);
  llvm::SmallVector<int64_t> back;
  for (int64_t d : dims) back.push_back(mlir::ShapedType::isDynamic(d) ? -1 : d);
  Value y = node.reshape(normalized, back);
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

}  // namespace

void registerSoftmaxImporters(OpRegistry& registry) {
  registry.add("Softmax", {1, 11}, importSoftmaxCoerced);
  registry.add("Softmax", {13}, importSoftmax13);
}

}  // namespace llmopt::onnx_import
