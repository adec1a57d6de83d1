//===- ShapeOps.cpp - Reshape, Transpose, Flatten, Identity ---------------===//
#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "ir/ConstantFolding.h"
#include "ir/LLMOptOps.h"
#include "ir/ShapeInference.h"

namespace llmopt::onnx_import {
namespace {

using mlir::RankedTensorType;
using mlir::ShapedType;
using mlir::Value;

mlir::LogicalResult importReshape(NodeContext& node) {
  mlir::ElementsAttr shapeAttr = node.constantInput(1);
  if (!shapeAttr)
    return node.error("the target shape (input 1) must be a constant: an initializer or a "
                      "Constant node");
  if (!shapeAttr.getElementType().isInteger(64) || shapeAttr.getType().cast<mlir::ShapedType>().getRank() != 1)
    return node.error("the target shape must be a 1-D int64 tensor");
  llvm::SmallVector<int64_t> spec;
  if (auto dense = shapeAttr.dyn_cast<mlir::DenseIntElementsAttr>()) {
    for (const llvm::APInt& v : dense.getValues<llvm::APInt>()) spec.push_back(v.getSExtValue());
  } else if (auto bytes = getRawBytes(shapeAttr)) {
    spec.resize(bytes->size() / sizeof(int64_t));
    std::memcpy(spec.data(), bytes->data(), spec.size() * sizeof(int64_t));
  } else {
    return node.error("cannot read the target shape");
  }
  if (node.intAttr("allowzero").value_or(0) && llvm::is_contained(spec, 0))
    return node.error("allowzero=1 with a 0 in the target shape (empty tensors) is not supported");
  Value y = node.reshape(node.input(0), spec);
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

mlir::LogicalResult importTranspose(NodeContext& node) {
  Value x = node.input(0);
  int64_t rank = x.getType().cast<RankedTensorType>().getRank();
  llvm::SmallVector<int64_t> perm;
  if (auto given = node.intsAttr("perm")) {
    perm.assign(given->begin(), given->end());
  } else {
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);  // default: reverse the dims
  }
  if (static_cast<int64_t>(perm.size()) != rank)
    return node.error("perm has " + std::to_string(perm.size()) + " entries for rank " +
                      std::to_string(rank));
  Value y = node.transpose(x, perm);
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

/// Flatten(axis): [d0, ..., dn-1] → [d0·…·d(axis-1), d(axis)·…·d(n-1)], as a reshape spec.
mlir::LogicalResult importFlatten(NodeContext& node) {
  Value x = node.input(0);
  llvm::ArrayRef<int64_t> dims = x.getType().cast<RankedTensorType>().getShape();
  int64_t rank = dims.size();
  int64_t axis = node.intAttr("axis").value_or(1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) return node.error("axis is out of range");
  // Each side's product, or nullopt when it has a dynamic dim.
  std::optional<int64_t> outer = staticElementCount(dims.take_front(axis));
  std::optional<int64_t> inner = staticElementCount(dims.drop_front(axis));
  if (!outer || !inner) return node.error("the input shape has too many elements");
  if (llvm::any_of(dims.take_front(axis), ShapedType::isDynamic)) outer = std::nullopt;
  if (llvm::any_of(dims.drop_front(axis), ShapedType::isDynamic)) inner = std::nullopt;
  llvm::SmallVector<int64_t, 2> spec;
  // A dynamic side is either a copy of one dynamic dim at the same index, or inferred (-1).
  if (outer)
    spec.push_back(*outer);
  else
    spec.push_back(axis == 1 ? 0 : -1);
  if (inner)
    spec.push_back(*inner);
  else if (spec[0] != -1)
    spec.push_back(-1);
  else
    return node.error("flattening dynamic dims on both sides of the axis is not supported");
  Value y = node.reshape(x, spec);
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

mlir::LogicalResult importIdentity(NodeContext& node) {
  node.setOutput(0, node.input(0));
  return mlir::success();
}

}  // namespace

void registerShapeImporters(OpRegistry& registry) {
  registry.add("Reshape", {5, 13, 14}, importReshape);
  registry.add("Transpose", {1, 13}, importTranspose);
  registry.add("Flatten", {1, 9, 11, 13}, importFlatten);
  registry.add("Identity", {1, 13, 14, 16}, importIdentity);
}

}  // namespace llmopt::onnx_import
