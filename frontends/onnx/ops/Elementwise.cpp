//===- Elementwise.cpp - Add, Sub, Mul, Div, Relu, Tanh, Sigmoid ----------===//
#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "ir/LLMOptOps.h"

namespace llmopt::onnx_import {
namespace {

template <typename OpT>
mlir::LogicalResult importBinary(NodeContext& node) {
  if (failed(node.requireFloat32Inputs())) return mlir::failure();
  mlir::Value result = node.create<OpT>({node.input(0), node.input(1)});
  if (!result) return mlir::failure();
  node.setOutput(0, result);
  return mlir::success();
}

template <typename OpT>
mlir::LogicalResult importUnary(NodeContext& node) {
  if (failed(node.requireFloat32Inputs())) return mlir::failure();
  mlir::Value x = node.input(0);
  node.setOutput(0, node.builder().create<OpT>(node.loc(), x.getType(), x));
  return mlir::success();
}

}  // namespace

void registerElementwiseImporters(OpRegistry& registry) {
  // Versions before 7 had an explicit `broadcast` attribute; 7 and later broadcast like numpy.
  registry.add("Add", {7, 13, 14}, importBinary<AddOp>);
  registry.add("Sub", {7, 13, 14}, importBinary<SubOp>);
  registry.add("Mul", {7, 13, 14}, importBinary<MulOp>);
  registry.add("Div", {7, 13, 14}, importBinary<DivOp>);
  registry.add("Relu", {6, 13, 14}, importUnary<ReluOp>);
  registry.add("Tanh", {6, 13}, importUnary<TanhOp>);
  registry.add("Sigmoid", {6, 13}, importUnary<SigmoidOp>);
}

}  // namespace llmopt::onnx_import
