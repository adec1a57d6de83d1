//===- GraphImporter.h - an ONNX graph → func.func @main ------------------===//
#ifndef LLMOPT_FRONTENDS_ONNX_GRAPHIMPORTER_H
#define LLMOPT_FRONTENDS_ONNX_GRAPHIMPORTER_H

#include "frontends/onnx/ModelLoader.h"

#include "mlir/IR/Builders.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>

namespace llmopt::onnx_import {

class GraphImporter {
 public:
  GraphImporter(mlir::MLIRContext* context, ModelStorage& storage, std::string fileName);

  /// Fills `module` with @main. Errors are emitted as diagnostics.
  mlir::LogicalResult importGraph(mlir::ModuleOp module);

  /// The value named `name`: an earlier node's output, a graph input, or an initializer (made a
  /// constant op at first use). Null if nothing defines it.
  mlir::Value lookup(const std::string& name, mlir::OpBuilder& builder);
  void define(const std::string& name, mlir::Value value);

  mlir::MLIRContext* context() const { return ctx; }
  ModelStorage& storage() { return modelStorage; }

 private:
  mlir::LogicalResult checkSupport(int opset);
  mlir::LogicalResult importInputs(mlir::func::FuncOp& func, mlir::OpBuilder& builder);
  mlir::LogicalResult importNodes(int opset, mlir::OpBuilder& builder);
  mlir::LogicalResult importOutputs(mlir::func::FuncOp func, mlir::OpBuilder& builder);
  mlir::Location nodeLocation(const onnx::NodeProto& node, int index) const;

  mlir::MLIRContext* ctx;
  ModelStorage& modelStorage;
  std::string file;
  std::map<std::string, mlir::Value> values;
  std::map<std::string, const onnx::TensorProto*> initializers;
};

}  // namespace llmopt::onnx_import

#endif  // LLMOPT_FRONTENDS_ONNX_GRAPHIMPORTER_H
