//===- Constant.cpp - Constant --------------------------------------------===//
#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "frontends/onnx/TensorConversion.h"
#include "ir/LLMOptOps.h"

#include "mlir/IR/BuiltinAttributes.h"

namespace llmopt::onnx_import {
namespace {

mlir::LogicalResult importConstant(NodeContext& node) {
  auto& b = node.builder();
  mlir::ElementsAttr value;
  if (const auto* tensor = node.attr("value")) {
    std::string error;
    value = convertTensor(b.getContext(), tensor->t(), node.graph().storage(), error);
    if (!value) return node.error(error);
  } else if (auto f = node.floatAttr("value_float")) {
    value = mlir::DenseElementsAttr::get(mlir::RankedTensorType::get({}, b.getF32Type()), *f);
  } else if (auto i = node.intAttr("value_int")) {
    value = mlir::DenseElementsAttr::get(mlir::RankedTensorType::get({}, b.getI64Type()), *i);
  } else if (auto ints = node.intsAttr("value_ints")) {
    auto type = mlir::RankedTensorType::get({static_cast<int64_t>(ints->size())}, b.getI64Type());
    value = mlir::DenseElementsAttr::get(type, llvm::ArrayRef<int64_t>(*ints));
  } else if (const auto* floats = node.attr("value_floats")) {
    std::vector<float> values(floats->floats().begin(), floats->floats().end());
    auto type = mlir::RankedTensorType::get({static_cast<int64_t>(values.size())}, b.getF32Type());
    value = mlir::DenseElementsAttr::get(type, llvm::ArrayRef<float>(values));
  } else {
    return node.error("only tensor, float(s) and int(s) constants are supported");
  }
  node.setOutput(0, b.create<ConstantOp>(node.loc(), value));
  return mlir::success();
}

}  // namespace

void registerConstantImporters(OpRegistry& registry) {
  registry.add("Constant", {1, 9, 11, 12, 13}, importConstant);
}

}  // namespace llmopt::onnx_import
