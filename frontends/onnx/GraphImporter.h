//===- GraphImporter.h - an ONNX graph → func.func @main ------------------===//
#ifndef LLMOPT_FRONTENDS_ONNX_GRAPHIMPORTER_H
#define LLMOPT_FRONTENDS_ONNX_GRAPHIMPORTER_H

#include "frontends/onnx/KnownValues.h"
#include "frontends/onnx/ModelLoader.h"
#include "ir/SymbolicShapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <set>
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

  /// The compile-time value named `name`: one computed by the importer (see KnownValues.h), or a
  /// small constant. Null if it is neither.
  const KnownValue* known(const std::string& name, mlir::OpBuilder& builder);
  void defineKnown(const std::string& name, KnownValue value);
  /// True for a known value that depends on the model's symbols (it has no IR value).
  bool isSymbolic(const std::string& name) const;
  /// The symbolic shape of a value built so far (null if it cannot be computed).
  const SymShape* symbolicShape(mlir::Value value);
  const std::vector<std::string>& symbolNames() const { return shapeInference.symbolNames(); }

  mlir::MLIRContext* context() const { return ctx; }
  ModelStorage& storage() { return modelStorage; }

 private:
  mlir::LogicalResult checkSupport(int opset);
  mlir::LogicalResult importInputs(mlir::func::FuncOp& func, mlir::OpBuilder& builder);
  mlir::LogicalResult importPastInput(const onnx::ValueInfoProto& input,
                                      const std::set<std::string>& otherSymbols,
                                      mlir::OpBuilder& builder);
  mlir::LogicalResult importNodes(int opset, mlir::OpBuilder& builder);
  mlir::LogicalResult importOutputs(mlir::func::FuncOp func, mlir::OpBuilder& builder);
  mlir::Location nodeLocation(const onnx::NodeProto& node, int index) const;

  mlir::MLIRContext* ctx;
  ModelStorage& modelStorage;
  std::string file;
  // A decoder exported with past keys and values (past_key_values.* in, present.* out): the
  // past inputs are imported empty and the present outputs left out (GraphImporter.cpp).
  bool decoderWithPast = false;
  std::map<std::string, mlir::Value> values;
  std::map<std::string, const onnx::TensorProto*> initializers;
  std::map<std::string, KnownValue> knownValues;
  SymbolicShapeInference shapeInference;
  mlir::Block* body = nullptr;
  mlir::Operation* lastShaped = nullptr;  // the last op whose shape inference ran
  mlir::LogicalResult inferNewShapes();
  /// An initializer as an attribute, converted once (null, with the error reported, if it
  /// cannot be).
  mlir::ElementsAttr initializerAttr(const std::string& name);
  std::map<std::string, mlir::ElementsAttr> initializerAttrs;
};

}  // namespace llmopt::onnx_import

#endif  // LLMOPT_FRONTENDS_ONNX_GRAPHIMPORTER_H
