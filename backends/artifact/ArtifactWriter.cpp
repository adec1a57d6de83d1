//===- ArtifactWriter.cpp - llmopt dialect → .llmo artifact ---------------===//
#include "backends/artifact/ArtifactWriter.h"

#include "backends/artifact/AtomicFile.h"
#include "backends/artifact/MemoryPlan.h"
#include "ir/SymbolicShapes.h"
#include "backends/cpu/QuantizedPacking.h"
#include "backends/cpu/WeightPacking.h"
#include "ir/ConstantFolding.h"
#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"
#include "ir/QuantModes.h"

#include "artifact_format.h"
#include "format/artifact_container.h"
#include "format/xxhash64.h"
#include "llmopt/plan_generated.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <deque>
#include <functional>
#include <map>

namespace llmopt {

using namespace mlir;
namespace fb = llmopt::plan;

namespace {

constexpr const char* kProducer = "llmopt 0.1.0";

std::optional<fb::DType> planDType(Type type) {
  if (type.isF32()) return fb::DType::F32;
  if (type.isF16()) return fb::DType::F16;
  if (type.isBF16()) return fb::DType::BF16;
  if (type.isInteger(1)) return fb::DType::BOOL;
  if (type.isUnsignedInteger(8)) return fb::DType::U8;
  if (type.isInteger(8)) return fb::DType::I8;
  if (type.isInteger(32)) return fb::DType::I32;
  if (type.isInteger(64)) return fb::DType::I64;
  return std::nullopt;
}

/// A piece of the weights blob, produced only while the file is written (so packed copies of
/// all weights never sit in memory at once).
struct WeightChunk {
  uint64_t offset = 0;
  uint64_t bytes = 0;
  std::function<void(char* dst)> fill;
};

/// Bytes per element in the plan (a bool takes one byte).
uint64_t planElementBytes(Type type) {
  unsigned bits = type.getIntOrFloatBitWidth();
  return bits == 1 ? 1 : bits / 8;
}

/// The bytes of a constant of static shape, splats expanded, as a fill function.
std::optional<std::function<void(char*)>> constantFiller(ElementsAttr value, uint64_t bytes) {
  if (bytes == 0) return [](char*) {};  // an empty tensor (memcpy must not see its null data)
  if (value.getElementType().isInteger(1)) {
    // dense<...> i1 is bit-packed in MLIR: expand it; resource blobs hold a byte per bool.
    if (auto dense = value.dyn_cast<DenseElementsAttr>()) {
      std::vector<char> flags;
      for (bool flag : dense.getValues<bool>()) flags.push_back(flag ? 1 : 0);
      if (flags.size() != bytes) return std::nullopt;
      return [flags](char* dst) { std::memcpy(dst, flags.data(), flags.size()); };
    }
  }
  if (std::optional<ArrayRef<char>> raw = getRawBytes(value)) {
    if (raw->size() != bytes) return std::nullopt;
    const char* data = raw->data();
    return [data, bytes](char* dst) { std::memcpy(dst, data, bytes); };
  }
  auto dense = value.dyn_cast<DenseElementsAttr>();
  if (!dense || !dense.isSplat()) return std::nullopt;
  ArrayRef<char> one = dense.getRawData();  // a splat stores one element
  return [one, bytes](char* dst) {
    for (uint64_t at = 0; at + one.size() <= bytes; at += one.size())
      std::memcpy(dst + at, one.data(), one.size());
  };
}

/// The plan's KV cache element type for the function's `llmopt.kv_cache_type` (llmopt-kv-cache
/// accepts only these; absent without a cache).
fb::KvCacheType kvCacheType(StringAttr type) {
  if (type && type.getValue() == "f16") return fb::KvCacheType::F16;
  if (type && type.getValue() == "i8") return fb::KvCacheType::I8;
  return fb::KvCacheType::F32;
}

fb::BinaryKind binaryKind(Operation* op) {
  return llvm::TypeSwitch<Operation*, fb::BinaryKind>(op)
      .Case([](AddOp) { return fb::BinaryKind::Add; })
      .Case([](SubOp) { return fb::BinaryKind::Sub; })
      .Case([](MulOp) { return fb::BinaryKind::Mul; })
      .Case([](DivOp) { return fb::BinaryKind::Div; })
      .Case([](PowOp) { return fb::BinaryKind::Pow; })
      .Case([](MinOp) { return fb::BinaryKind::Min; })
      .Case([](MaxOp) { return fb::BinaryKind::Max; })
      .Case([](EqualOp) { return fb::BinaryKind::Equal; })
      .Case([](LessOp) { return fb::BinaryKind::Less; })
      .Case([](GreaterOp) { return fb::BinaryKind::Greater; })
      .Case([](LessEqualOp) { return fb::BinaryKind::LessOrEqual; })
      .Case([](GreaterEqualOp) { return fb::BinaryKind::GreaterOrEqual; })
      .Case([](AndOp) { return fb::BinaryKind::And; })
      .Case([](OrOp) { return fb::BinaryKind::Or; })
      .Default([](Operation*) { return fb::BinaryKind::Xor; });
}

fb::UnaryKind unaryKind(Operation* op) {
  return llvm::TypeSwitch<Operation*, fb::UnaryKind>(op)
      .Case([](ReluOp) { return fb::UnaryKind::Relu; })
      .Case([](TanhOp) { return fb::UnaryKind::Tanh; })
      .Case([](SigmoidOp) { return fb::UnaryKind::Sigmoid; })
      .Case([](SiluOp) { return fb::UnaryKind::Silu; })
      .Case([](GeluOp gelu) {
        return gelu.getApproximate() == "tanh" ? fb::UnaryKind::GeluTanh : fb::UnaryKind::Gelu;
      })
      .Case([](NegOp) { return fb::UnaryKind::Neg; })
      .Case([](AbsOp) { return fb::UnaryKind::Abs; })
      .Case([](ExpOp) { return fb::UnaryKind::Exp; })
      .Case([](LogOp) { return fb::UnaryKind::Log; })
      .Case([](SqrtOp) { return fb::UnaryKind::Sqrt; })
      .Case([](ReciprocalOp) { return fb::UnaryKind::Reciprocal; })
      .Case([](ErfOp) { return fb::UnaryKind::Erf; })
      .Case([](CosOp) { return fb::UnaryKind::Cos; })
      .Case([](SinOp) { return fb::UnaryKind::Sin; })
      .Default([](Operation*) { return fb::UnaryKind::Not; });
}

/// What the plan (and the runtime's loader) can hold: refused at the op rather than in an
/// artifact that does not load.
template <typename EmitError>
LogicalResult checkExpressible(const SymShape& shape, const std::vector<std::string>& names,
                               EmitError emitError) {
  if (shape.size() > static_cast<size_t>(artifact::kMaxRank))
    return emitError() << "rank " << shape.size() << " is over the runtime's maximum of "
                       << artifact::kMaxRank;
  for (size_t d = 0; d < shape.size(); ++d) {
    const SymDim& dim = shape[d];
    if (dim.syms.size() > static_cast<size_t>(artifact::kMaxDimSymbols))
      return emitError() << "dim " << d << " = " << formatSymDim(dim, names) << " multiplies "
                         << dim.syms.size() << " symbols, over the runtime's maximum of "
                         << artifact::kMaxDimSymbols;
    if (dim.num < 0) return emitError() << "dim " << d << " is negative";
    if (dim.syms.empty() && dim.den != 1)
      return emitError() << "dim " << d << " = " << formatSymDim(dim, names)
                         << " is not a whole number";
  }
  return success();
}

/// Every value's symbolic shape, checked against what the plan can hold.
LogicalResult checkShapesExpressible(func::FuncOp func, const SymbolicShapes& shapes) {
  for (BlockArgument arg : func.getArguments()) {
    auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kNameAttr);
    if (failed(checkExpressible(shapes.shapes.lookup(arg), shapes.symbolNames, [&] {
          InFlightDiagnostic diagnostic = func.emitError();
          diagnostic << "input '" << (name ? name.str() : "?") << "': ";
          return diagnostic;
        })))
      return failure();
  }
  for (Operation& op : func.getBody().front())
    for (Value result : op.getResults())
      if (failed(checkExpressible(shapes.shapes.lookup(result), shapes.symbolNames,
                                  [&] { return op.emitError(); })))
        return failure();
  return success();
}

/// An op's ONNX node name, or its op name.
std::string layerNameOf(Operation* op) {
  if (auto name = op->getLoc().dyn_cast<NameLoc>()) return name.getName().str();
  return op->getName().stripDialect().str();
}

class PlanBuilder {
 public:
  PlanBuilder(func::FuncOp func, SymbolicShapes shapes, const CudaCode* cuda)
      : func(func), shapes(std::move(shapes)), cuda(cuda) {}

  LogicalResult build();
  LogicalResult write(const std::string& path, ArtifactStats* stats);

 private:
  LogicalResult collectSteps();
  FailureOr<uint32_t> tensorFor(Value value);
  uint32_t addTensor(const std::string& name, fb::DType dtype, const SymShape& shape,
                     fb::TensorKind kind, uint64_t weightOffset, uint64_t weightBytes, int slot);
  FailureOr<uint32_t> constantTensor(Value value, ConstantOp constant);
  FailureOr<uint32_t> packedWeight(LinearOp linear);
  FailureOr<cpu::QuantizedOperandBytes> quantizedOperands(Operation* op, Value weight, Value scale,
                                                          Value offset);
  FailureOr<ArrayRef<char>> constantBytes(Operation* op, Value value);
  uint32_t addPackedConstant(const std::string& base, cpu::PackedConstant constant);
  uint64_t addWeights(uint64_t bytes, std::function<void(char*)> fill);
  FailureOr<flatbuffers::Offset<fb::Op>> lowerOp(Operation* op);
  std::string uniqueName(Operation* op);
  LogicalResult addOutputs();

  func::FuncOp func;
  SymbolicShapes shapes;
  const CudaCode* cuda;  // null: a cpu artifact
  flatbuffers::FlatBufferBuilder fbb{1 << 16};
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  std::vector<flatbuffers::Offset<fb::Op>> ops;
  std::vector<uint32_t> inputs, outputs;
  llvm::DenseMap<Value, uint32_t> tensorOf;
  llvm::DenseMap<Value, uint32_t> packedWeightOf;
  std::map<std::string, int> nameUses;
  std::deque<std::vector<char>> expandedSplats;  // constantBytes of splats
  std::vector<WeightChunk> weights;
  uint64_t weightBytes = 0;

  std::vector<Operation*> planOps;
  SlotPlan slots;
  llvm::DenseMap<Value, std::string> outputNameOf;  // values that are model outputs in place
  int numSlots = 0;
};

/// A transpose of a constant whose every user reads it as a linear weight: packing reads the
/// constant in place, so the transpose never runs.
/// The plan's name for a linear layer's epilogue activation (the verifier checked the name).
fb::Activation epilogueActivation(StringRef activation) {
  return llvm::StringSwitch<fb::Activation>(activation)
      .Case("relu", fb::Activation::Relu)
      .Case("gelu", fb::Activation::Gelu)
      .Case("gelu_tanh", fb::Activation::GeluTanh)
      .Case("silu", fb::Activation::Silu)
      .Case("swiglu", fb::Activation::Swiglu)
      .Default(fb::Activation::None);
}

bool isFoldedIntoWeights(Operation* op) {
  auto transpose = dyn_cast<TransposeOp>(op);
  if (!transpose || !transpose.getInput().getDefiningOp<ConstantOp>()) return false;
  return llvm::all_of(transpose->getUses(), [](OpOperand& use) {
    auto linear = dyn_cast<LinearOp>(use.getOwner());
    return linear && use.getOperandNumber() == 1;
  });
}

/// The operands (plan input positions: lowerOp adds these ops' operands in order) whose arena
/// slot the op's runtime kernel may write its result into. The runtime allows the same
/// (runtime/src/op_kernel.cpp, inPlaceRule); the memory plan checks liveness and sizes.
SmallVector<unsigned, 2> inPlaceOperands(Operation* op, const SymbolicShapes& shapes) {
  // copy: skipped when source and destination are the same memory.
  if (isa<ReshapeOp, ReshapeToOp>(op)) return {0};
  SmallVector<unsigned, 2> candidates;
  // Unary math (y[i] = f(x[i]); silu's sigmoid goes through a buffer first), clip and
  // fake_quantize: element i is read before element i is written.
  if (isa<ReluOp, TanhOp, SigmoidOp, SiluOp, GeluOp, NegOp, AbsOp, ExpOp, LogOp, SqrtOp,
          ReciprocalOp, ErfOp, CosOp, SinOp, NotOp, ClipOp, FakeQuantizeOp>(op))
    candidates = {0};
  // Cast: out[i] = convert(in[i]); the memory plan keeps only casts between equal sizes.
  else if (isa<CastOp>(op))
    candidates = {0};
  // Softmax, layer_norm, rms_norm: each row (or strided column block) is read whole, for its
  // max / mean / sum of squares, before any of it is written, then element i read before
  // element i is written.
  else if (isa<SoftmaxOp, LayerNormOp, RmsNormOp>(op))
    candidates = {0};
  // Binary arithmetic and logic: each row y[i] = f(a[i], b[i]), a broadcast operand read once
  // up front; only an operand of the result's own shape (not broadcast) can be overwritten.
  // Comparisons write bools from wider elements: never in place.
  else if (isa<AddOp, SubOp, MulOp, DivOp, PowOp, MinOp, MaxOp, AndOp, OrOp, XorOp>(op))
    candidates = {0, 1};
  const SymShape& resultShape = shapes.shapes.lookup(op->getResult(0));
  SmallVector<unsigned, 2> inPlace;
  for (unsigned index : candidates)
    if (shapes.shapes.lookup(op->getOperand(index)) == resultShape) inPlace.push_back(index);
  return inPlace;
}

LogicalResult PlanBuilder::collectSteps() {
  std::vector<PlanStep> steps;
  for (Operation& op : func.getBody().front()) {
    if (isa<func::ReturnOp, ConstantOp>(op) || isFoldedIntoWeights(&op)) continue;
    planOps.push_back(&op);
    PlanStep step;
    for (Value operand : op.getOperands()) step.reads.push_back(operand);
    step.writes = op.getResult(0);
    step.inPlace = inPlaceOperands(&op, shapes);
    steps.push_back(step);
  }
  // A model output computed by a plan op is written in place; any other (an input, a constant,
  // or a value returned twice) gets a copy, added after the plan ops.
  auto returnOp = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  llvm::DenseSet<Value> keepAlive;
  for (auto [i, value] : llvm::enumerate(returnOp.getOperands())) {
    Operation* producer = value.getDefiningOp();
    bool computed = producer && llvm::is_contained(planOps, producer);
    if (computed && !keepAlive.contains(value)) {
      keepAlive.insert(value);
      auto name = func.getResultAttrOfType<StringAttr>(i, kNameAttr);
      outputNameOf[value] = name ? name.str() : "output" + std::to_string(i);
    }
  }
  slots = assignSlots(steps, keepAlive, shapes);
  numSlots = slots.numSlots;
  return success();
}

uint64_t PlanBuilder::addWeights(uint64_t bytes, std::function<void(char*)> fill) {
  uint64_t offset = artifact::alignUp(weightBytes, artifact::kWeightAlignment);
  weights.push_back({offset, bytes, std::move(fill)});
  weightBytes = offset + bytes;
  return offset;
}

uint32_t PlanBuilder::addTensor(const std::string& name, fb::DType dtype, const SymShape& shape,
                                fb::TensorKind kind, uint64_t weightOffset, uint64_t weightBytes,
                                int slot) {
  std::vector<flatbuffers::Offset<fb::Dim>> dims;
  for (const SymDim& d : shape) dims.push_back(fb::CreateDimDirect(fbb, d.num, d.den, &d.syms));
  tensors.push_back(fb::CreateTensorDirect(fbb, name.c_str(), dtype, &dims, kind, weightOffset,
                                           weightBytes, slot));
  return static_cast<uint32_t>(tensors.size() - 1);
}

std::string PlanBuilder::uniqueName(Operation* op) {
  std::string base = op->getName().stripDialect().str();
  if (auto name = op->getLoc().dyn_cast<NameLoc>()) base = name.getName().str();
  int uses = nameUses[base]++;
  return uses ? base + "#" + std::to_string(uses) : base;
}

FailureOr<uint32_t> PlanBuilder::constantTensor(Value value, ConstantOp constant) {
  auto type = value.getType().cast<RankedTensorType>();
  std::optional<fb::DType> dtype = planDType(type.getElementType());
  uint64_t bytes = type.getNumElements() * planElementBytes(type.getElementType());
  auto filler = dtype ? constantFiller(constant.getValue(), bytes) : std::nullopt;
  if (!filler) return constant.emitError("cannot store this constant in the artifact");
  uint64_t offset = addWeights(bytes, std::move(*filler));
  SymShape shape;
  for (int64_t d : type.getShape()) shape.push_back(SymDim::constant(d));
  return addTensor(uniqueName(constant), *dtype, shape, fb::TensorKind::Constant, offset, bytes, -1);
}

FailureOr<uint32_t> PlanBuilder::tensorFor(Value value) {
  auto it = tensorOf.find(value);
  if (it != tensorOf.end()) return it->second;
  if (auto constant = value.getDefiningOp<ConstantOp>()) {
    FailureOr<uint32_t> index = constantTensor(value, constant);
    if (failed(index)) return failure();
    return tensorOf[value] = *index;
  }
  return func.emitError("internal: value used before it is computed");
}

FailureOr<uint32_t> PlanBuilder::packedWeight(LinearOp linear) {
  Value weight = linear.getWeight();
  auto found = packedWeightOf.find(weight);
  if (found != packedWeightOf.end()) return found->second;
  // [N, K] as a constant, or as transpose(constant [K, N]) read in place.
  bool srcIsKN = false;
  auto constant = weight.getDefiningOp<ConstantOp>();
  if (!constant) {
    if (auto transpose = weight.getDefiningOp<TransposeOp>()) {
      constant = transpose.getInput().getDefiningOp<ConstantOp>();
      srcIsKN = true;
    }
  }
  auto type = weight.getType().cast<RankedTensorType>();
  if (!constant || !type.getElementType().isF32())
    return linear.emitError("the CPU backend needs a constant float32 linear weight");
  int64_t n = type.getDimSize(0), k = type.getDimSize(1);
  std::optional<ArrayRef<char>> raw = getRawBytes(constant.getValue());
  std::optional<std::vector<float>> values;
  if (!raw) values = getFloatValues(constant.getValue());  // splat
  if (!raw && !values) return linear.emitError("cannot read the linear weight");
  std::vector<int64_t> packedShape = cpu::packedN16Shape(n, k);
  uint64_t bytes = packedShape[0] * packedShape[1] * packedShape[2] * sizeof(float);
  std::vector<float> splat = values ? *values : std::vector<float>{};
  const char* src = raw ? raw->data() : nullptr;
  uint64_t offset = addWeights(bytes, [=](char* dst) {
    const float* w = splat.empty() ? reinterpret_cast<const float*>(src) : splat.data();
    std::vector<float> aligned;  // blob bytes need not be float-aligned: copy only then
    if (reinterpret_cast<uintptr_t>(w) % alignof(float) != 0) {
      aligned.resize(n * k);
      std::memcpy(aligned.data(), src, n * k * sizeof(float));
      w = aligned.data();
    }
    cpu::packN16(w, srcIsKN, n, k, reinterpret_cast<float*>(dst));
  });
  SymShape shape;
  for (int64_t d : packedShape) shape.push_back(SymDim::constant(d));
  uint32_t index = addTensor(uniqueName(constant), fb::DType::F32, shape, fb::TensorKind::Constant,
                             offset, bytes, -1);
  packedWeightOf[weight] = index;
  return index;
}

FailureOr<ArrayRef<char>> PlanBuilder::constantBytes(Operation* op, Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant) return op->emitError("the CPU backend needs constant quantized weights");
  ElementsAttr attr = constant.getValue();
  if (std::optional<ArrayRef<char>> raw = getRawBytes(attr)) return *raw;  // in place
  std::optional<std::vector<char>> expanded = getExpandedRawBytes(attr);    // a splat
  if (!expanded) return op->emitError("cannot read a quantized weight");
  return ArrayRef<char>(expandedSplats.emplace_back(std::move(*expanded)));
}

FailureOr<cpu::QuantizedOperandBytes> PlanBuilder::quantizedOperands(Operation* op, Value weight,
                                                                     Value scale, Value offset) {
  cpu::QuantizedOperandBytes bytes;
  FailureOr<ArrayRef<char>> w = constantBytes(op, weight);
  if (failed(w)) return failure();
  bytes.weight = *w;
  for (auto [value, out] : {std::pair{scale, &bytes.scale}, std::pair{offset, &bytes.offset}}) {
    if (!value) continue;
    FailureOr<ArrayRef<char>> param = constantBytes(op, value);
    if (failed(param)) return failure();
    *out = *param;
  }
  return bytes;
}

uint32_t PlanBuilder::addPackedConstant(const std::string& base, cpu::PackedConstant constant) {
  static constexpr fb::DType kDTypes[] = {fb::DType::I8,  fb::DType::U8,  fb::DType::I32,
                                          fb::DType::F32, fb::DType::F16, fb::DType::BF16};
  uint64_t offset = addWeights(constant.bytes, std::move(constant.fill));
  std::string name = base + "." + constant.role;
  int uses = nameUses[name]++;
  if (uses) name += "#" + std::to_string(uses);
  return addTensor(name, kDTypes[static_cast<int>(constant.dtype)],
                   {SymDim::constant(constant.count)}, fb::TensorKind::Constant, offset,
                   constant.bytes, -1);
}

/// The plan's format for a quantized op's mode.
fb::QuantFormat quantFormat(QuantMode mode) {
  switch (mode) {
    case QuantMode::Int8: return fb::QuantFormat::Int8W8A8;
    case QuantMode::Int8Weight: return fb::QuantFormat::Int8;
    case QuantMode::Int4: return fb::QuantFormat::Int4;
    case QuantMode::F16: return fb::QuantFormat::F16;
    case QuantMode::BF16: return fb::QuantFormat::BF16;
  }
  return fb::QuantFormat::Int8;
}

FailureOr<flatbuffers::Offset<fb::Op>> PlanBuilder::lowerOp(Operation* op) {
  std::vector<uint32_t> opInputs;
  auto addInput = [&](Value v) -> LogicalResult {
    FailureOr<uint32_t> index = tensorFor(v);
    if (failed(index)) return failure();
    opInputs.push_back(*index);
    return success();
  };
  fb::OpParams paramsType = fb::OpParams::NONE;
  flatbuffers::Offset<void> params;
  LogicalResult lowered =
      llvm::TypeSwitch<Operation*, LogicalResult>(op)
          .Case([&](LinearOp linear) -> LogicalResult {
            if (failed(addInput(linear.getInput()))) return failure();
            FailureOr<uint32_t> w = packedWeight(linear);
            if (failed(w)) return failure();
            opInputs.push_back(*w);
            if (linear.getBias() && failed(addInput(linear.getBias()))) return failure();
            if (linear.getResidual() && failed(addInput(linear.getResidual()))) return failure();
            auto wType = linear.getWeight().getType().cast<ShapedType>();
            paramsType = fb::OpParams::LinearParams;
            params = fb::CreateLinearParams(fbb, fb::WeightLayout::PackedN16, wType.getDimSize(0),
                                            wType.getDimSize(1), linear.getBias() != nullptr,
                                            epilogueActivation(linear.getActivation()),
                                            linear.getResidual() != nullptr)
                         .Union();
            return success();
          })
          .Case([&](QuantizedLinearOp q) -> LogicalResult {
            if (failed(addInput(q.getInput()))) return failure();
            FailureOr<cpu::QuantizedOperandBytes> bytes =
                quantizedOperands(q, q.getWeight(), q.getScale(), q.getOffset());
            if (failed(bytes)) return failure();
            auto wType = q.getWeight().getType().cast<ShapedType>();
            int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
            QuantMode mode = *parseQuantMode(q.getMode());  // the verifier checked it
            std::string base = layerNameOf(q);
            for (cpu::PackedConstant& c :
                 cpu::packQuantizedLinear(mode, n, k, q.getGroupSize(), *bytes))
              opInputs.push_back(addPackedConstant(base, std::move(c)));
            if (q.getBias() && failed(addInput(q.getBias()))) return failure();
            if (q.getResidual() && failed(addInput(q.getResidual()))) return failure();
            paramsType = fb::OpParams::QuantLinearParams;
            params = fb::CreateQuantLinearParams(fbb, quantFormat(mode), n, k, q.getGroupSize(),
                                                 q.getBias() != nullptr,
                                                 epilogueActivation(q.getActivation()),
                                                 q.getResidual() != nullptr)
                         .Union();
            return success();
          })
          .Case([&](QuantizedGatherOp q) -> LogicalResult {
            FailureOr<cpu::QuantizedOperandBytes> bytes =
                quantizedOperands(q, q.getTable(), q.getScale(), q.getOffset());
            if (failed(bytes)) return failure();
            auto tType = q.getTable().getType().cast<ShapedType>();
            int64_t rows = tType.getDimSize(0), dim = tType.getDimSize(1);
            QuantMode mode = *parseQuantMode(q.getMode());
            std::vector<cpu::PackedConstant> packed =
                cpu::packQuantizedTable(mode, rows, dim, q.getGroupSize(), *bytes);
            std::string base = layerNameOf(q);
            opInputs.push_back(addPackedConstant(base, std::move(packed[0])));
            if (failed(addInput(q.getIndices()))) return failure();
            for (size_t i = 1; i < packed.size(); ++i)
              opInputs.push_back(addPackedConstant(base, std::move(packed[i])));
            paramsType = fb::OpParams::QuantGatherParams;
            // A table is looked up, not multiplied: int8 tables are plain int8 rows.
            fb::QuantFormat format =
                mode == QuantMode::Int8 ? fb::QuantFormat::Int8 : quantFormat(mode);
            params = fb::CreateQuantGatherParams(fbb, format, rows, dim,
                                                 q.getGroupSize())
                         .Union();
            return success();
          })
          .Case([&](MatMulOp) {
            paramsType = fb::OpParams::MatMulParams;
            params = fb::CreateMatMulParams(fbb).Union();
            return success();
          })
          .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MinOp, MaxOp, EqualOp, LessOp, GreaterOp,
                LessEqualOp, GreaterEqualOp, AndOp, OrOp, XorOp>([&](Operation* binary) {
            paramsType = fb::OpParams::BinaryParams;
            params = fb::CreateBinaryParams(fbb, binaryKind(binary)).Union();
            return success();
          })
          .Case<ReluOp, TanhOp, SigmoidOp, SiluOp, GeluOp, NegOp, AbsOp, ExpOp, LogOp, SqrtOp,
                ReciprocalOp, ErfOp, CosOp, SinOp, NotOp>([&](Operation* unary) {
            paramsType = fb::OpParams::UnaryParams;
            params = fb::CreateUnaryParams(fbb, unaryKind(unary)).Union();
            return success();
          })
          .Case([&](ClipOp clip) {
            paramsType = fb::OpParams::ClipParams;
            params = fb::CreateClipParams(fbb, clip.getMin().convertToFloat(),
                                          clip.getMax().convertToFloat())
                         .Union();
            return success();
          })
          .Case([&](RmsNormOp norm) {
            paramsType = fb::OpParams::RMSNormParams;
            params = fb::CreateRMSNormParams(fbb, static_cast<int32_t>(norm.getAxis()),
                                             norm.getEpsilon().convertToFloat())
                         .Union();
            return success();
          })
          .Case([&](AttentionOp a) {
            paramsType = fb::OpParams::AttentionParams;
            params = fb::CreateAttentionParams(fbb, a.getScale().convertToFloat(), a.getCausal(),
                                               static_cast<bool>(a.getRopeCos()),
                                               static_cast<bool>(a.getKeyBias()), 0,
                                               a.getKvCache().value_or(-1))
                         .Union();
            return success();
          })
          .Case([&](PackedAttentionOp a) {
            paramsType = fb::OpParams::AttentionParams;
            params = fb::CreateAttentionParams(fbb, a.getScale().convertToFloat(), a.getCausal(),
                                               static_cast<bool>(a.getRopeCos()),
                                               static_cast<bool>(a.getKeyBias()),
                                               static_cast<int32_t>(a.getKvHeads()),
                                               a.getKvCache().value_or(-1))
                         .Union();
            return success();
          })
          .Case([&](FakeQuantizeOp f) {
            paramsType = fb::OpParams::FakeQuantParams;
            params = fb::CreateFakeQuantParams(fbb, f.getScale().convertToFloat(),
                                               static_cast<int32_t>(f.getZeroPoint()),
                                               static_cast<int32_t>(f.getQmin()),
                                               static_cast<int32_t>(f.getQmax()))
                         .Union();
            return success();
          })
          .Case([&](WhereOp) {
            paramsType = fb::OpParams::WhereParams;
            params = fb::CreateWhereParams(fbb).Union();
            return success();
          })
          .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp>([&](Operation* reduce) {
            fb::ReduceKind kind = isa<ReduceSumOp>(reduce)    ? fb::ReduceKind::Sum
                                  : isa<ReduceMeanOp>(reduce) ? fb::ReduceKind::Mean
                                  : isa<ReduceMaxOp>(reduce)  ? fb::ReduceKind::Max
                                                              : fb::ReduceKind::Min;
            auto axes64 = reduce->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
            std::vector<int32_t> axes(axes64.begin(), axes64.end());
            paramsType = fb::OpParams::ReduceParams;
            params = fb::CreateReduceParamsDirect(
                         fbb, kind, &axes,
                         reduce->getAttrOfType<BoolAttr>("keepdims").getValue())
                         .Union();
            return success();
          })
          .Case([&](LayerNormOp norm) {
            paramsType = fb::OpParams::LayerNormParams;
            params = fb::CreateLayerNormParams(fbb, static_cast<int32_t>(norm.getAxis()),
                                               norm.getEpsilon().convertToFloat(),
                                               norm.getBias() != nullptr)
                         .Union();
            return success();
          })
          .Case([&](GatherOp gather) {
            paramsType = fb::OpParams::GatherParams;
            params = fb::CreateGatherParams(fbb, static_cast<int32_t>(gather.getAxis())).Union();
            return success();
          })
          .Case([&](ConcatOp concat) {
            paramsType = fb::OpParams::ConcatParams;
            params = fb::CreateConcatParams(fbb, static_cast<int32_t>(concat.getAxis())).Union();
            return success();
          })
          .Case([&](SliceOp slice) -> LogicalResult {
            std::vector<int32_t> axes(slice.getAxes().begin(), slice.getAxes().end());
            std::vector<int64_t> steps(slice.getSteps().begin(), slice.getSteps().end());
            std::vector<flatbuffers::Offset<fb::SymInt>> starts;
            for (Attribute start : slice.getStarts()) {
              std::optional<SymInt> value = parseSymInt(start, shapes.symbolNames);
              if (!value) return slice.emitError("cannot read the slice start ") << start;
              flatbuffers::Offset<fb::Dim> dim;
              if (value->term)
                dim = fb::CreateDimDirect(fbb, value->term->num, value->term->den,
                                          &value->term->syms);
              starts.push_back(fb::CreateSymInt(fbb, value->offset, dim));
            }
            paramsType = fb::OpParams::SliceParams;
            params = fb::CreateSliceParamsDirect(fbb, &axes, &starts, &steps).Union();
            return success();
          })
          .Case([&](ExpandOp) {
            paramsType = fb::OpParams::ExpandParams;
            params = fb::CreateExpandParams(fbb).Union();
            return success();
          })
          .Case([&](FillOp fill) {
            paramsType = fb::OpParams::FillParams;
            params = fb::CreateFillParams(fbb, fill.getValue().convertToDouble()).Union();
            return success();
          })
          .Case([&](RangeOp range) {
            paramsType = fb::OpParams::RangeParams;
            params = fb::CreateRangeParams(fbb, range.getStart().convertToDouble(),
                                           range.getDelta().convertToDouble(),
                                           range.getOffsetByCache())
                         .Union();
            return success();
          })
          .Case([&](TriluOp trilu) {
            paramsType = fb::OpParams::TriluParams;
            params = fb::CreateTriluParams(fbb, trilu.getUpper(), trilu.getK()).Union();
            return success();
          })
          .Case([&](CastOp) {
            paramsType = fb::OpParams::CastParams;
            params = fb::CreateCastParams(fbb).Union();
            return success();
          })
          .Case([&](SoftmaxOp softmax) {
            paramsType = fb::OpParams::SoftmaxParams;
            params = fb::CreateSoftmaxParams(fbb, static_cast<int32_t>(softmax.getAxis())).Union();
            return success();
          })
          .Case<ReshapeOp, ReshapeToOp>([&](Operation*) {
            paramsType = fb::OpParams::CopyParams;
            params = fb::CreateCopyParams(fbb).Union();
            return success();
          })
          .Case([&](TransposeOp transpose) {
            std::vector<int32_t> perm(transpose.getPerm().begin(), transpose.getPerm().end());
            paramsType = fb::OpParams::TransposeParams;
            params = fb::CreateTransposeParamsDirect(fbb, &perm).Union();
            return success();
          })
          .Default([&](Operation* other) {
            return other->emitError("the CPU backend has no kernel for this op");
          });
  if (failed(lowered)) return failure();
  if (!isa<LinearOp, QuantizedLinearOp, QuantizedGatherOp>(op))
    for (Value operand : op->getOperands())
      if (failed(addInput(operand))) return failure();

  Value result = op->getResult(0);
  auto type = result.getType().cast<RankedTensorType>();
  std::optional<fb::DType> dtype = planDType(type.getElementType());
  if (!dtype) return op->emitError("unsupported element type ") << type.getElementType();
  auto outputName = outputNameOf.find(result);
  bool isOutput = outputName != outputNameOf.end();
  uint32_t out = addTensor(isOutput ? outputName->second : uniqueName(op), *dtype,
                           shapes.shapes.lookup(result),
                           isOutput ? fb::TensorKind::Output : fb::TensorKind::Intermediate, 0, 0,
                           slots.slotOf.lookup(result));
  tensorOf[result] = out;
  std::vector<uint32_t> opOutputs{out};
  std::string opName;
  if (auto name = op->getLoc().dyn_cast<NameLoc>()) opName = name.getName().str();
  return fb::CreateOpDirect(fbb, opName.c_str(), &opInputs, &opOutputs, paramsType, params);
}

LogicalResult PlanBuilder::addOutputs() {
  auto returnOp = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  llvm::DenseSet<Value> claimed;
  for (auto [i, value] : llvm::enumerate(returnOp.getOperands())) {
    auto it = outputNameOf.find(value);
    if (it != outputNameOf.end() && !claimed.contains(value)) {
      claimed.insert(value);
      outputs.push_back(tensorOf.lookup(value));
      continue;
    }
    // Not computed in place: copy into a tensor of its own (and a slot of its own).
    FailureOr<uint32_t> source = tensorFor(value);
    if (failed(source)) return failure();
    auto type = value.getType().cast<RankedTensorType>();
    std::optional<fb::DType> dtype = planDType(type.getElementType());
    if (!dtype) return func.emitError("unsupported output element type ") << type.getElementType();
    auto name = func.getResultAttrOfType<StringAttr>(i, kNameAttr);
    uint32_t out = addTensor(name ? name.str() : "output" + std::to_string(i), *dtype,
                             shapes.shapes.lookup(value), fb::TensorKind::Output, 0, 0, numSlots++);
    std::vector<uint32_t> copyIn{*source}, copyOut{out};
    ops.push_back(fb::CreateOpDirect(fbb, "output_copy", &copyIn, &copyOut,
                                     fb::OpParams::CopyParams, fb::CreateCopyParams(fbb).Union()));
    outputs.push_back(out);
  }
  return success();
}

LogicalResult PlanBuilder::build() {
  if (failed(collectSteps())) return failure();
  for (BlockArgument arg : func.getArguments()) {
    auto type = arg.getType().cast<RankedTensorType>();
    std::optional<fb::DType> dtype = planDType(type.getElementType());
    auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kNameAttr);
    std::string inputName = name ? name.str() : "input" + std::to_string(arg.getArgNumber());
    if (!dtype)
      return func.emitError("input '") << inputName << "' has unsupported element type "
                                       << type.getElementType();
    uint32_t index = addTensor(inputName, *dtype, shapes.shapes.lookup(arg),
                               fb::TensorKind::Input, 0, 0, -1);
    tensorOf[arg] = index;
    inputs.push_back(index);
  }
  for (Operation* op : planOps) {
    FailureOr<flatbuffers::Offset<fb::Op>> lowered = lowerOp(op);
    if (failed(lowered)) return failure();
    ops.push_back(*lowered);
  }
  if (failed(addOutputs())) return failure();

  std::vector<flatbuffers::Offset<fb::Symbol>> symbols;
  for (const std::string& name : shapes.symbolNames)
    symbols.push_back(fb::CreateSymbolDirect(fbb, name.c_str()));
  auto maxSeq = func->getAttrOfType<IntegerAttr>("llmopt.kv_cache_max_seq");
  auto cacheType = func->getAttrOfType<StringAttr>("llmopt.kv_cache_type");
  flatbuffers::Offset<fb::CudaModule> cudaModule;
  if (cuda) {
    if (cuda->opKernels.size() != ops.size())
      return func.emitError() << "the CUDA code has kernels for " << cuda->opKernels.size()
                              << " ops, the plan has " << ops.size();
    // After every constant, so that the plan's weights are where a cpu compile puts them.
    const std::vector<char>& image = cuda->image;
    uint64_t offset = addWeights(image.size(), [&image](char* dst) {
      std::memcpy(dst, image.data(), image.size());
    });
    std::vector<flatbuffers::Offset<flatbuffers::String>> archs;
    for (const std::string& arch : cuda->archs) archs.push_back(fbb.CreateString(arch));
    cudaModule = fb::CreateCudaModuleDirect(fbb, &archs, offset, image.size(), &cuda->opKernels);
  }
  auto plan = fb::CreatePlanDirect(
      fbb, kProducer, cuda ? "cuda" : "cpu", &symbols, &tensors, &inputs, &outputs, &ops,
      static_cast<uint32_t>(numSlots), maxSeq ? maxSeq.getInt() : 0,
      kvCacheType(cacheType),
      cudaModule);
  fb::FinishPlanBuffer(fbb, plan);
  return success();
}

LogicalResult PlanBuilder::write(const std::string& path, ArtifactStats* stats) {
  using namespace artifact;
  ArtifactHeader header = makeHeader(cuda ? Target::Cuda : Target::Cpu, fbb.GetSize(), weightBytes);
  AtomicFile file(path);
  artifact::Xxh64 hash;
  std::string error;
  uint64_t written = 0;
  auto emit = [&](const void* data, size_t size) {
    hash.update(data, size);
    written += size;
    return file.write(data, size, error);
  };
  static const char zeros[kWeightAlignment] = {};
  auto padTo = [&](uint64_t offset) {
    return offset <= written || emit(zeros, offset - written);
  };
  bool ok = file.open(error) && emit(&header, sizeof header) &&
            emit(fbb.GetBufferPointer(), fbb.GetSize());
  std::vector<char> buffer;
  for (const WeightChunk& chunk : weights) {
    if (!ok) break;
    buffer.assign(chunk.bytes, 0);
    chunk.fill(buffer.data());
    ok = padTo(header.weights_offset + chunk.offset) && emit(buffer.data(), buffer.size());
  }
  ok = ok && padTo(header.file_bytes);
  header.checksum = hash.digest();  // hashed with the checksum field still zero
  ok = ok && file.writeAt(kChecksumOffset, &header.checksum, sizeof header.checksum, error) &&
       file.commit(error);
  if (!ok) return emitError(UnknownLoc::get(func.getContext())) << error;  // names the file
  if (stats) {
    stats->fileBytes = header.file_bytes;
    stats->planBytes = header.plan_bytes;
    stats->weightBytes = weightBytes;
    stats->numOps = ops.size();
    stats->numTensors = tensors.size();
    stats->numSlots = numSlots;
  }
  return success();
}

}  // namespace

LogicalResult writeArtifact(ModuleOp module, const std::string& path, ArtifactStats* stats,
                            const CudaCode* cuda) {
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func) return module.emitError("no func.func @main to compile");
  if (!llvm::hasSingleElement(func.getBody()))
    return func.emitError("@main must have a single block");
  FailureOr<SymbolicShapes> shapes = inferSymbolicShapes(func);
  if (failed(shapes) || failed(checkShapesExpressible(func, *shapes))) return failure();
  PlanBuilder builder(func, std::move(*shapes), cuda);
  if (failed(builder.build())) return failure();
  return builder.write(path, stats);
}

}  // namespace llmopt
