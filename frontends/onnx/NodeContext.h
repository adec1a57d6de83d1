//===- NodeContext.h - what an op importer sees of one ONNX node ----------===//
#ifndef LLMOPT_FRONTENDS_ONNX_NODECONTEXT_H
#define LLMOPT_FRONTENDS_ONNX_NODECONTEXT_H

#include "frontends/onnx/KnownValues.h"
#include "ir/SymbolicShapes.h"

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

  /// Input i as a compile-time value (computed shape arithmetic or a small constant), or null.
  const KnownValue* known(size_t i) const;
  /// Every present input is known.
  bool allInputsKnown() const;
  /// Sets output i to a compile-time value.
  void setKnownOutput(size_t i, KnownValue value);
  /// When every input is known, sets output 0 to `evaluate()` and returns its success; returns
  /// nullopt when the node is to be imported as ops instead (an input is a run-time tensor, or
  /// a static evaluation declined). A value that depends on symbols and cannot be evaluated is
  /// an error at this node.
  std::optional<mlir::LogicalResult> foldKnown(llvm::function_ref<KnownOrError()> evaluate);
  /// Some input is a symbolic known value (it has no IR value).
  bool hasSymbolicInput() const;
  /// The symbolic shape of a value (null, with an error at this node, if it has none).
  const SymShape* symbolicShape(mlir::Value value) const;
  const std::vector<std::string>& symbolNames() const;
  /// The ONNX name of input i ("" if absent).
  const std::string& inputName(size_t i) const;

  std::optional<int64_t> intAttr(const std::string& name) const;
  std::optional<float> floatAttr(const std::string& name) const;
  std::optional<std::string> stringAttr(const std::string& name) const;
  std::optional<std::vector<int64_t>> intsAttr(const std::string& name) const;
  const onnx::AttributeProto* attr(const std::string& name) const;

  /// Reports an error at this node ("node 'name' (OpType): message") and returns failure.
  mlir::LogicalResult error(const llvm::Twine& message) const;
  /// Fails unless every present input is a float32 tensor.
  mlir::LogicalResult requireFloat32Inputs() const;
  /// Fails unless every present input has one of `allowed` element types (checked by
  /// predicate), naming what is supported.
  mlir::LogicalResult requireInputTypes(llvm::function_ref<bool(mlir::Type)> allowed,
                                        llvm::StringRef what) const;

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
