//===- GraphImporter.cpp - an ONNX graph → func.func @main ----------------===//
#include "frontends/onnx/GraphImporter.h"

#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "frontends/onnx/TensorConversion.h"
#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "onnx/defs/schema.h"

#include <set>

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
  // An initializer stays a resource blob (no copy) even when it was read as a known value.
  auto knownIt = initializers.count(name) ? knownValues.end() : knownValues.find(name);
  if (knownIt != knownValues.end()) {
    if (!knownIt->second.isStatic()) return nullptr;
    Location loc = NameLoc::get(StringAttr::get(ctx, name), FileLineColLoc::get(ctx, file, 0, 0));
    Value value = builder.create<ConstantOp>(loc, constantFromKnown(knownIt->second));
    values[name] = value;
    return value;
  }
  auto init = initializers.find(name);
  if (init == initializers.end()) return nullptr;
  ElementsAttr attr = initializerAttr(name);
  Location loc = NameLoc::get(StringAttr::get(ctx, name), FileLineColLoc::get(ctx, file, 0, 0));
  if (!attr) return nullptr;
  Value value = builder.create<ConstantOp>(loc, attr);
  values[name] = value;
  return value;
}

void GraphImporter::define(const std::string& name, Value value) { values[name] = value; }

ElementsAttr GraphImporter::initializerAttr(const std::string& name) {
  auto cached = initializerAttrs.find(name);
  if (cached != initializerAttrs.end()) return cached->second;
  std::string error;
  ElementsAttr attr = convertTensor(ctx, *initializers.at(name), modelStorage, error);
  if (!attr) emitError(FileLineColLoc::get(ctx, file, 0, 0)) << error;  // it names the tensor
  return initializerAttrs[name] = attr;
}

const KnownValue* GraphImporter::known(const std::string& name, OpBuilder& builder) {
  auto it = knownValues.find(name);
  if (it != knownValues.end()) return &it->second;
  auto init = initializers.find(name);
  if (!values.count(name) && init != initializers.end()) {
    // Read straight from the initializer: a shape operand leaves no constant in the IR.
    ElementsAttr attr = initializerAttr(name);
    std::optional<KnownValue> converted = attr ? knownFromConstant(attr) : std::nullopt;
    if (converted) return &(knownValues[name] = std::move(*converted));
  }
  Value value = lookup(name, builder);
  auto constant = value ? value.getDefiningOp<ConstantOp>() : nullptr;
  if (!constant) return nullptr;
  std::optional<KnownValue> converted = knownFromConstant(constant.getValue());
  if (!converted) return nullptr;
  return &(knownValues[name] = std::move(*converted));
}

void GraphImporter::defineKnown(const std::string& name, KnownValue value) {
  values.erase(name);
  knownValues[name] = std::move(value);
}

bool GraphImporter::isSymbolic(const std::string& name) const {
  auto it = knownValues.find(name);
  return it != knownValues.end() && !it->second.isStatic() && !values.count(name);
}

LogicalResult GraphImporter::inferNewShapes() {
  auto next = lastShaped ? std::next(Block::iterator(lastShaped)) : body->begin();
  for (; next != body->end(); ++next) {
    if (failed(shapeInference.visit(&*next))) return failure();
    lastShaped = &*next;
  }
  return success();
}

const SymShape* GraphImporter::symbolicShape(Value value) {
  if (failed(inferNewShapes())) return nullptr;
  return shapeInference.lookup(value);
}

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

namespace {

// The names Hugging Face exports (transformers, optimum) give a decoder's cache: inputs
// past_key_values.{i}.key / .value (older: past.{i}, past_key.{i}), outputs present.{i}.*.
bool isPastInput(llvm::StringRef name) {
  return name.startswith("past_key_values") || name.startswith("past.") ||
         name.startswith("past_key") || name.startswith("past_value");
}
bool isPresentOutput(llvm::StringRef name) { return name.startswith("present"); }

}  // namespace

// A decoder exported with past keys and values is imported with an empty past: each past
// input becomes a zero-filled tensor whose past-length dim (the one no other input names) is 0,
// so Concat(past, new) is the new keys alone, Shape(past) folds to 0 and the positions and
// causal mask follow as in an export without past. What remains is the incremental form that
// llmopt-kv-cache derives from any decoder: the runtime keeps the past (present.* outputs are
// left out; they live in the session's KV cache).
LogicalResult GraphImporter::importPastInput(const onnx::ValueInfoProto& input,
                                             const std::set<std::string>& otherSymbols,
                                             OpBuilder& builder) {
  Location fileLoc = FileLineColLoc::get(ctx, file, 0, 0);
  const auto& tensorType = input.type().tensor_type();
  Type elementType = convertElementType(ctx, tensorType.elem_type());
  if (!elementType || !tensorType.has_shape())
    return emitError(fileLoc) << "past input '" << input.name()
                              << "' must be a tensor of known rank and type";
  SmallVector<int64_t> shape;
  SmallVector<Attribute> shapeEntries;
  bool hasPastLength = false;
  for (const auto& dim : tensorType.shape().dim()) {
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      shape.push_back(dim.dim_value());
      shapeEntries.push_back(builder.getI64IntegerAttr(dim.dim_value()));
    } else if (otherSymbols.count(dim.dim_param())) {  // batch: bound by another input
      shape.push_back(ShapedType::kDynamic);
      shapeEntries.push_back(builder.getStringAttr(dim.dim_param()));
    } else {  // the past length, named by past inputs only
      shape.push_back(0);
      shapeEntries.push_back(builder.getI64IntegerAttr(0));
      hasPastLength = true;
    }
  }
  if (!hasPastLength)
    return emitError(fileLoc) << "past input '" << input.name()
                              << "': no dim is a past length (a dynamic dim no other input names)";
  values[input.name()] = builder.create<FillOp>(
      fileLoc, RankedTensorType::get(shape, elementType), builder.getF64FloatAttr(0.0),
      builder.getArrayAttr(shapeEntries));
  return success();
}

LogicalResult GraphImporter::importInputs(func::FuncOp& func, OpBuilder& builder) {
  const onnx::GraphProto& graph = modelStorage.model.graph();
  Location fileLoc = FileLineColLoc::get(ctx, file, 0, 0);
  SmallVector<Type> argTypes;
  SmallVector<const onnx::ValueInfoProto*> args;
  SmallVector<const onnx::ValueInfoProto*> pastInputs;
  std::set<std::string> otherSymbols;  // dim names of the inputs that are not past
  const bool anyPresent = llvm::any_of(
      graph.output(), [](const onnx::ValueInfoProto& o) { return isPresentOutput(o.name()); });
  for (const onnx::ValueInfoProto& input : graph.input()) {
    // An input that also has an initializer is a weight with a default value: a constant.
    if (initializers.count(input.name())) continue;
    if (anyPresent && isPastInput(input.name())) {
      pastInputs.push_back(&input);
      continue;
    }
    if (input.type().has_tensor_type() && input.type().tensor_type().has_shape())
      for (const auto& dim : input.type().tensor_type().shape().dim())
        if (!dim.has_dim_value()) otherSymbols.insert(dim.dim_param());
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
  for (const onnx::ValueInfoProto* past : pastInputs)
    if (failed(importPastInput(*past, otherSymbols, builder))) return failure();
  decoderWithPast = !pastInputs.empty();
  // llmopt-kv-cache must then succeed: without it the past would be lost.
  if (decoderWithPast) func->setAttr(kDecoderWithPastAttr, UnitAttr::get(ctx));
  body = entry;
  return shapeInference.bindArguments(func);
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
      if (input.empty() || knownValues.count(input) || initializers.count(input) ||
          lookup(input, builder))
        continue;
      if (initializers.count(input)) return failure();  // the initializer's error is reported
      return emitError(loc) << "node '" << name << "' (" << node.op_type() << "): input '"
                            << input << "' is not defined by a graph input, an initializer or an "
                            << "earlier node (missing initializer, or a cycle)";
    }
    std::string why;
    const OpImporter* importer = registry.lookup(node.op_type(), opset, why);
    NodeContext context(*this, node, builder, loc, opset);
    if (!importer) return context.error(why);
    // Only shape-aware importers read inputs that are symbolic compile-time values.
    static const std::set<std::string> kFoldsShapes = {
        "Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Neg", "Abs", "Not", "Where", "Cast",
        "Gather", "Concat", "Slice", "Split", "Expand", "Tile", "ConstantOfShape", "Range",
        "Reshape", "Unsqueeze", "Squeeze", "Flatten", "Identity", "Transpose", "Shape"};
    if (!kFoldsShapes.count(node.op_type()))
      for (int in = 0; in < node.input_size(); ++in)
        if (isSymbolic(node.input(in)) && !context.input(in)) return failure();
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
    // Shapes as the node's ops are made: errors point at this node, and the next nodes can fold
    // Shape() of these results.
    if (failed(inferNewShapes())) return failure();
    for (int o = 0; o < node.output_size(); ++o)
      if (!node.output(o).empty() && !values.count(node.output(o)) &&
          !knownValues.count(node.output(o)))
        return context.error("output " + std::to_string(o) + " ('" + node.output(o) +
                             "') is not produced by the importer");
  }
  return success();
}

LogicalResult GraphImporter::importOutputs(func::FuncOp func, OpBuilder& builder) {
  const onnx::GraphProto& graph = modelStorage.model.graph();
  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  SmallVector<std::string> names;
  for (const onnx::ValueInfoProto& output : graph.output()) {
    if (decoderWithPast && isPresentOutput(output.name())) continue;  // kept in the KV cache
    if (output.name().find('\0') != std::string::npos)
      return emitError(FileLineColLoc::get(ctx, file, 0, 0))
             << "a graph output name contains a NUL character";
    if (isSymbolic(output.name()))
      return emitError(FileLineColLoc::get(ctx, file, 0, 0))
             << "graph output '" << output.name()
             << "' is a shape computed from the inputs' dynamic dims; llmopt computes such "
                "values at compile time only";
    Value value = lookup(output.name(), builder);
    if (!value)
      return emitError(FileLineColLoc::get(ctx, file, 0, 0))
             << "graph output '" << output.name() << "' is not produced by any node";
    results.push_back(value);
    resultTypes.push_back(value.getType());
    names.push_back(output.name());
  }
  builder.create<func::ReturnOp>(func.getLoc(), results);
  func.setType(FunctionType::get(ctx, func.getArgumentTypes(), resultTypes));
  for (size_t i = 0; i < names.size(); ++i)
    func.setResultAttr(i, kNameAttr, StringAttr::get(ctx, names[i]));
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

  // Any error reported while importing fails the import, even one whose caller went on (the
  // handler only counts; the diagnostic still reaches the CLI's printer).
  int errors = 0;
  ScopedDiagnosticHandler countErrors(ctx, [&](Diagnostic& diagnostic) {
    if (diagnostic.getSeverity() == DiagnosticSeverity::Error) ++errors;
    return failure();
  });
  OpBuilder builder(ctx);
  func::FuncOp func;
  if (failed(importInputs(func, builder))) return failure();
  module.push_back(func);
  if (failed(importNodes(opset, builder)) || failed(importOutputs(func, builder)))
    return failure();
  return success(errors == 0);
}

}  // namespace llmopt::onnx_import
