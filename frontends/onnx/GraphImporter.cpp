//===- GraphImporter.cpp - an ONNX graph → func.func @main ----------------===//
#include "frontends/onnx/GraphImporter.h"

#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "frontends/onnx/TensorConversion.h"
#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "onnx/defs/schema.h"

namespace llmopt::onnx_import {

using namespace mlir;

GraphImporter::GraphImporter(MLIRContext* context, ModelStorage& storage, std::string fileName)
    : ctx(context), modelStorage(storage), file(std::move(fileName)) {}

namespace {
/// The node's name, or "<OpType>#<index>" for an unnamed node (ONNX names are optional).
std::string nodeName(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? node.op_type() + "#" + std::to_string(index) : node.name();
}
}  // namespace

Location GraphImporter::nodeLocation(const onnx::NodeProto& node, int index) const {
  std::string name = nodeName(node, index);
  return NameLoc::get(StringAttr::get(ctx, name), FileLineColLoc::get(ctx, file, 0, 0));
}

Value GraphImporter::lookup(const std::string& name, OpBuilder& builder) {
  auto it = values.find(name);
  if (it != values.end()) return it->second;
  auto init = initializers.find(name);
  if (init == initializers.end()) return nullptr;
  std::string error;
  ElementsAttr attr = convertTensor(ctx, *init->second, modelStorage, error);
  Location loc = NameLoc::get(StringAttr::get(ctx, name), FileLineColLoc::get(ctx, file, 0, 0));
  if (!attr) {
    emitError(FileLineColLoc::get(ctx, file, 0, 0)) << error;  // the message names the tensor
    return nullptr;
  }
  Value value = builder.create<ConstantOp>(loc, attr);
  values[name] = value;
  return value;
}

void GraphImporter::define(const std::string& name, Value value) { values[name] = value; }

LogicalResult GraphImporter::checkSupport(int opset) {
  const OpRegistry& registry = OpRegistry::get();
  std::string unsupported;
  int count = 0;
  const auto& nodes = modelStorage.model.graph().node();
  for (int i = 0; i < nodes.size(); ++i) {
    const onnx::NodeProto& node = nodes[i];
    std::string why;
    std::string domain = node.domain();
    if (!domain.empty() && domain != "ai.onnx")
      why = "domain '" + domain + "' is not supported";
    else if (registry.lookup(node.op_type(), opset, why))
      continue;
    std::string name = nodeName(node, i);
    unsupported += std::string(count ? "; " : "") + "node '" + name + "' (" + node.op_type() +
                   ", opset " + std::to_string(opset) + "): " + why;
    ++count;
  }
  if (count == 0) return success();
  emitError(FileLineColLoc::get(ctx, file, 0, 0))
      << count << " unsupported node" << (count > 1 ? "s" : "") << ": " << unsupported;
  return failure();
}

LogicalResult GraphImporter::importInputs(func::FuncOp& func, OpBuilder& builder) {
  const onnx::GraphProto& graph = modelStorage.model.graph();
  Location fileLoc = FileLineColLoc::get(ctx, file, 0, 0);
  SmallVector<Type> argTypes;
  SmallVector<const onnx::ValueInfoProto*> args;
  for (const onnx::ValueInfoProto& input : graph.input()) {
    // An input that also has an initializer is a weight with a default value: a constant.
    if (initializers.count(input.name())) continue;
    if (!input.type().has_tensor_type())
      return emitError(fileLoc) << "input '" << input.name() << "' is not a tensor";
    const auto& tensorType = input.type().tensor_type();
    Type elementType = convertElementType(ctx, tensorType.elem_type());
    if (!elementType)
      return emitError(fileLoc) << "input '" << input.name() << "' has unsupported data type "
                                << dataTypeName(tensorType.elem_type());
    if (!tensorType.has_shape())
      return emitError(fileLoc) << "input '" << input.name()
                                << "' has no shape (its rank must be known)";
    // Names reach the artifact and the runtime's C API as C strings.
    if (input.name().find('\0') != std::string::npos)
      return emitError(fileLoc) << "an input name contains a NUL character";
    SmallVector<int64_t> shape;
    for (const auto& dim : tensorType.shape().dim()) {
      if (!dim.has_dim_value() && dim.dim_param().find('\0') != std::string::npos)
        return emitError(fileLoc) << "input '" << input.name() << "': dim " << shape.size()
                                  << " is named with a NUL character";
      shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value()
                                                                  : ShapedType::kDynamic);
    }
    argTypes.push_back(RankedTensorType::get(shape, elementType));
    args.push_back(&input);
  }
  func = func::FuncOp::create(fileLoc, "main", FunctionType::get(ctx, argTypes, {}));
  Block* entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (size_t i = 0; i < args.size(); ++i) {
    const onnx::ValueInfoProto& input = *args[i];
    SmallVector<Attribute> dimNames;
    for (const auto& dim : input.type().tensor_type().shape().dim())
      dimNames.push_back(StringAttr::get(ctx, dim.has_dim_value() ? "" : dim.dim_param()));
    func.setArgAttr(i, kNameAttr, StringAttr::get(ctx, input.name()));
    func.setArgAttr(i, kDimNamesAttr, ArrayAttr::get(ctx, dimNames));
    values[input.name()] = entry->getArgument(i);
  }
  return success();
}

LogicalResult GraphImporter::importNodes(int opset, OpBuilder& builder) {
  const OpRegistry& registry = OpRegistry::get();
  const auto& nodes = modelStorage.model.graph().node();
  for (int i = 0; i < nodes.size(); ++i) {
    const onnx::NodeProto& node = nodes[i];
    Location loc = nodeLocation(node, i);
    std::string name = nodeName(node, i);
    // ONNX requires nodes in topological order: an input nobody defined yet is a cycle or a
    // missing initializer.
    for (const std::string& input : node.input()) {
      if (input.empty() || lookup(input, builder)) continue;
      if (initializers.count(input)) return failure();  // the initializer's error is reported
      return emitError(loc) << "node '" << name << "' (" << node.op_type() << "): input '"
                            << input << "' is not defined by a graph input, an initializer or an "
                            << "earlier node (missing initializer, or a cycle)";
    }
    std::string why;
    const OpImporter* importer = registry.lookup(node.op_type(), opset, why);
    NodeContext context(*this, node, builder, loc, opset);
    if (!importer) return context.error(why);
    // The node against its schema (input and output counts, required inputs given, attribute
    // types), as the ONNX checker does: the importers rely on it, with or without the checker.
    if (const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(node.op_type(), opset, "")) {
      try {
        schema->Verify(node);
      } catch (const std::exception& e) {
        std::string message = e.what();
        return context.error(message.substr(0, message.find('\n')));
      }
    }
    if (failed((*importer)(context))) return failure();
    for (int o = 0; o < node.output_size(); ++o)
      if (!node.output(o).empty() && !values.count(node.output(o)))
        return context.error("output " + std::to_string(o) + " ('" + node.output(o) +
                             "') is not produced by the importer");
  }
  return success();
}

LogicalResult GraphImporter::importOutputs(func::FuncOp func, OpBuilder& builder) {
  const onnx::GraphProto& graph = modelStorage.model.graph();
  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto& output : graph.output()) {
    if (output.name().find('\0') != std::string::npos)
      return emitError(FileLineColLoc::get(ctx, file, 0, 0))
             << "a graph output name contains a NUL character";
    Value value = lookup(output.name(), builder);
    if (!value)
      return emitError(FileLineColLoc::get(ctx, file, 0, 0))
             << "graph output '" << output.name() << "' is not produced by any node";
    results.push_back(value);
    resultTypes.push_back(value.getType());
  }
  builder.create<func::ReturnOp>(func.getLoc(), results);
  func.setType(FunctionType::get(ctx, func.getArgumentTypes(), resultTypes));
  for (int i = 0; i < graph.output_size(); ++i)
    func.setResultAttr(i, kNameAttr, StringAttr::get(ctx, graph.output(i).name()));
  return success();
}

LogicalResult GraphImporter::importGraph(ModuleOp module) {
  const onnx::ModelProto& model = modelStorage.model;
  Location fileLoc = FileLineColLoc::get(ctx, file, 0, 0);
  int opset = -1;
  for (const auto& entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx") opset = static_cast<int>(entry.version());
  if (opset < 0) return emitError(fileLoc) << "model imports no default-domain (ai.onnx) opset";
  if (opset > OpRegistry::newestKnownOpset())
    return emitError(fileLoc) << "model uses opset " << opset << "; this build knows ONNX opsets up to "
                              << OpRegistry::newestKnownOpset();
  for (const onnx::TensorProto& tensor : model.graph().initializer())
    initializers[tensor.name()] = &tensor;
  if (failed(checkSupport(opset))) return failure();

  OpBuilder builder(ctx);
  func::FuncOp func;
  if (failed(importInputs(func, builder))) return failure();
  module.push_back(func);
  if (failed(importNodes(opset, builder)) || failed(importOutputs(func, builder)))
    return failure();
  return success();
}

}  // namespace llmopt::onnx_import
