//===- Linear.cpp - MatMul, Gemm ------------------------------------------===//
//
// Both import as plain llmopt ops (matmul, transpose, mul, add) that say exactly what ONNX
// says; `llmopt-recognize-linear` then turns constant-weight forms into llmopt.linear.
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "ir/LLMOptOps.h"

namespace llmopt::onnx_import {
namespace {

using mlir::Value;

mlir::LogicalResult importMatMul(NodeContext& node) {
  if (failed(node.requireFloat32Inputs())) return mlir::failure();
  Value y = node.create<MatMulOp>({node.input(0), node.input(1)});
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

/// Y = alpha · op(A) · op(B) + beta · C, op = optional transpose.
mlir::LogicalResult importGemm(NodeContext& node) {
  if (failed(node.requireFloat32Inputs())) return mlir::failure();
  Value a = node.input(0), w = node.input(1), c = node.input(2);
  for (Value matrix : {a, w})
    if (matrix.getType().cast<mlir::RankedTensorType>().getRank() != 2)
      return node.error("A and B must be matrices (rank 2)");
  if (node.intAttr("transA").value_or(0)) a = node.transpose(a, {1, 0});
  if (node.intAttr("transB").value_or(0)) w = node.transpose(w, {1, 0});
  // Each step is null when the shapes do not fit (already reported).
  Value y = node.create<MatMulOp>({a, w});
  if (!y) return mlir::failure();
  float alpha = node.floatAttr("alpha").value_or(1.0f);
  float beta = node.floatAttr("beta").value_or(1.0f);
  if (alpha != 1.0f) y = node.create<MulOp>({y, node.scalar(alpha)});
  if (y && c && beta != 0.0f) {
    if (beta != 1.0f) c = node.create<MulOp>({c, node.scalar(beta)});
    y = node.create<AddOp>({y, c});
  }
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

}  // namespace

void registerLinearImporters(OpRegistry& registry) {
  registry.add("MatMul", {1, 9, 13}, importMatMul);
  registry.add("Gemm", {7, 9, 11, 13}, importGemm);
}

}  // namespace llmopt::onnx_import
