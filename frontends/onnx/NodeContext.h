//===- NodeContext.h - what an op importer sees of one ONNX node ----------===//
#ifndef LLMOPT_FRONTENDS_ONNX_NODECONTEXT_H
#define LLMOPT_FRONTENDS_ONNX_NODECONTEXT_H

#include "onnx/onnx_pb.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"

#include <optional>
#include <string>

namespace llmopt::onnx_import {

class GraphImporter;

/// One ONNX node being imported: its inputs as MLIR values, its attributes, a builder positioned
/// where its ops go, and the place to put its outputs.
class NodeContext {
 public:
  NodeContext(GraphImporter& graph, const onnx::NodeProto& node, mlir::OpBuilder& builder,
              mlir::Location loc, int opsetVersion);

  const onnx::NodeProto& node() const { return nodeProto; }
  mlir::OpBuilder& builder() { return opBuilder; }
  mlir::Location loc() const { return location; }
  int opset() const { return opsetVersion; }

  size_t numInputs() const { return nodeProto.input_size(); }
  /// Input i, or a null Value when it is absent (optional input left empty or not given).
  mlir::Value input(size_t i) const;
  /// The constant value of input i when it is an initializer or a Constant result.
  mlir::ElementsAttr constantInput(size_t i) const;
  /// Sets output i (ignored if the node names no such output).
  void setOutput(size_t i, mlir::Value value);

  std::optional<int64_t> intAttr(const std::string& name) const;
  std::optional<float> floatAttr(const std::string& name) const;
  std::optional<std::string> stringAttr(const std::string& name) const;
  std::optional<std::vector<int64_t>> intsAttr(const std::string& name) const;
  const onnx::AttributeProto* attr(const std::string& name) const;

  /// Reports an error at this node ("node 'name' (OpType): message") and returns failure.
  mlir::LogicalResult error(const llvm::Twine& message) const;
  /// Fails unless every present input is a float32 tensor (all v1 compute ops need that).
  mlir::LogicalResult requireFloat32Inputs() const;

  /// A float32 scalar constant (rank 0).
  mlir::Value scalar(float value);

  /// Creates an op whose result type is inferred from its operands (binary ops, matmul, reshape,
  /// transpose). When the shapes do not fit, the op's reason is reported at this node and the
  /// result is null: the generated builders would abort the process instead.
  template <typename OpT>
  mlir::Value create(mlir::ValueRange operands,
                     llvm::ArrayRef<mlir::NamedAttribute> attributes = {}) {
    llvm::SmallVector<mlir::Type, 1> types;
    if (mlir::failed(OpT::inferReturnTypes(opBuilder.getContext(), location, operands,
                                           opBuilder.getDictionaryAttr(attributes), {}, types)))
      return nullptr;
    return opBuilder.create<OpT>(location, types, operands, attributes);
  }
  /// create<ReshapeOp> / create<TransposeOp> with their one attribute.
  mlir::Value reshape(mlir::Value input, llvm::ArrayRef<int64_t> spec);
  mlir::Value transpose(mlir::Value input, llvm::ArrayRef<int64_t> perm);

  GraphImporter& graph() { return graphImporter; }

 private:
  GraphImporter& graphImporter;
  const onnx::NodeProto& nodeProto;
  mlir::OpBuilder& opBuilder;
  mlir::Location location;
  int opsetVersion;
};

}  // namespace llmopt::onnx_import

#endif  // LLMOPT_FRONTENDS_ONNX_NODECONTEXT_H
