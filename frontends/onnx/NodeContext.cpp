//===- NodeContext.cpp - what an op importer sees of one ONNX node --------===//
#include "frontends/onnx/NodeContext.h"

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/TensorConversion.h"
#include "ir/LLMOptOps.h"

#include "mlir/IR/BuiltinAttributes.h"

namespace llmopt::onnx_import {

using namespace mlir;

NodeContext::NodeContext(GraphImporter& graph, const onnx::NodeProto& node, OpBuilder& builder,
                         Location loc, int opsetVersion)
    : graphImporter(graph), nodeProto(node), opBuilder(builder), location(loc),
      opsetVersion(opsetVersion) {}

Value NodeContext::input(size_t i) const {
  if (i >= numInputs() || nodeProto.input(i).empty()) return nullptr;
  if (graphImporter.isSymbolic(nodeProto.input(i))) {
    (void)error("input " + std::to_string(i) + " ('" + nodeProto.input(i) +
                "') is a shape computed from the inputs' dynamic dims; llmopt folds such values "
                "into shape arithmetic and the shape operands of Reshape, Expand, Slice, Range "
                "and ConstantOfShape, not into " + nodeProto.op_type());
    return nullptr;
  }
  return graphImporter.lookup(nodeProto.input(i), opBuilder);
}

const std::string& NodeContext::inputName(size_t i) const {
  static const std::string empty;
  return i < numInputs() ? nodeProto.input(i) : empty;
}

const KnownValue* NodeContext::known(size_t i) const {
  if (i >= numInputs() || nodeProto.input(i).empty()) return nullptr;
  return graphImporter.known(nodeProto.input(i), opBuilder);
}

bool NodeContext::allInputsKnown() const {
  for (size_t i = 0; i < numInputs(); ++i)
    if (!nodeProto.input(i).empty() && !known(i)) return false;
  return true;
}

void NodeContext::setKnownOutput(size_t i, KnownValue value) {
  if (i < static_cast<size_t>(nodeProto.output_size()) && !nodeProto.output(i).empty())
    graphImporter.defineKnown(nodeProto.output(i), std::move(value));
}

bool NodeContext::hasSymbolicInput() const {
  for (size_t i = 0; i < numInputs(); ++i)
    if (!nodeProto.input(i).empty() && graphImporter.isSymbolic(nodeProto.input(i))) return true;
  return false;
}

std::optional<LogicalResult> NodeContext::foldKnown(llvm::function_ref<KnownOrError()> evaluate) {
  if (!allInputsKnown()) return std::nullopt;
  KnownOrError result = evaluate();
  if (auto* value = std::get_if<KnownValue>(&result)) {
    setKnownOutput(0, std::move(*value));
    return success();
  }
  if (hasSymbolicInput())
    return error("cannot compute this shape value at compile time: " +
                 std::get<std::string>(result));
  return std::nullopt;
}

const SymShape* NodeContext::symbolicShape(Value value) const {
  // Null only after shape inference reported its error at the op.
  return graphImporter.symbolicShape(value);
}

const std::vector<std::string>& NodeContext::symbolNames() const {
  return graphImporter.symbolNames();
}

LogicalResult NodeContext::requireInputTypes(llvm::function_ref<bool(Type)> allowed,
                                             StringRef what) const {
  for (size_t i = 0; i < numInputs(); ++i) {
    Value value = input(i);
    if (!value) continue;
    Type elementType = value.getType().cast<ShapedType>().getElementType();
    if (!allowed(elementType)) {
      std::string typeName;
      llvm::raw_string_ostream os(typeName);
      os << elementType;
      return error("input " + std::to_string(i) + " is " + os.str() + "; this op supports " +
                   what.str());
    }
  }
  return success();
}

ElementsAttr NodeContext::constantInput(size_t i) const {
  Value value = input(i);
  if (!value) return {};
  if (auto constant = value.getDefiningOp<ConstantOp>()) return constant.getValue();
  return {};
}

void NodeContext::setOutput(size_t i, Value value) {
  if (i < static_cast<size_t>(nodeProto.output_size()) && !nodeProto.output(i).empty())
    graphImporter.define(nodeProto.output(i), value);
}

const onnx::AttributeProto* NodeContext::attr(const std::string& name) const {
  for (const auto& attribute : nodeProto.attribute())
    if (attribute.name() == name) return &attribute;
  return nullptr;
}

std::optional<int64_t> NodeContext::intAttr(const std::string& name) const {
  const auto* a = attr(name);
  if (!a || a->type() != onnx::AttributeProto::INT) return std::nullopt;
  return a->i();
}

std::optional<float> NodeContext::floatAttr(const std::string& name) const {
  const auto* a = attr(name);
  if (!a || a->type() != onnx::AttributeProto::FLOAT) return std::nullopt;
  return a->f();
}

std::optional<std::string> NodeContext::stringAttr(const std::string& name) const {
  const auto* a = attr(name);
  if (!a || a->type() != onnx::AttributeProto::STRING) return std::nullopt;
  return a->s();
}

std::optional<std::vector<int64_t>> NodeContext::intsAttr(const std::string& name) const {
  const auto* a = attr(name);
  if (!a || a->type() != onnx::AttributeProto::INTS) return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

LogicalResult NodeContext::error(const llvm::Twine& message) const {
  std::string name = location.isa<NameLoc>() ? location.cast<NameLoc>().getName().str()
                                              : nodeProto.name();
  return emitError(location) << "node '" << name << "' (" << nodeProto.op_type()
                             << "): " << message;
}

LogicalResult NodeContext::requireFloat32Inputs() const {
  for (size_t i = 0; i < numInputs(); ++i) {
    Value value = input(i);
    if (!value) continue;
    Type elementType = value.getType().cast<ShapedType>().getElementType();
    if (!elementType.isF32()) {
      std::string typeName;
      llvm::raw_string_ostream os(typeName);
      os << elementType;
      return error("input " + std::to_string(i) + " is " + os.str() +
                   "; this op is supported for float32 only");
    }
  }
  return success();
}

Value NodeContext::scalar(float value) {
  auto type = RankedTensorType::get({}, opBuilder.getF32Type());
  return opBuilder.create<ConstantOp>(location, DenseElementsAttr::get(type, value));
}

Value NodeContext::reshape(Value input, ArrayRef<int64_t> spec) {
  return create<ReshapeOp>(input,
                           opBuilder.getNamedAttr("shape", opBuilder.getDenseI64ArrayAttr(spec)));
}

Value NodeContext::transpose(Value input, ArrayRef<int64_t> perm) {
  return create<TransposeOp>(input,
                             opBuilder.getNamedAttr("perm", opBuilder.getDenseI64ArrayAttr(perm)));
}

}  // namespace llmopt::onnx_import
