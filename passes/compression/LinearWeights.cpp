//===- LinearWeights.cpp - reading the weights compression passes rewrite -===//
#include "passes/compression/LinearWeights.h"

#include "ir/ConstantFolding.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace llmopt {

std::optional<std::vector<float>> readConstantMatrix(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  auto type = value.getType().cast<RankedTensorType>();
  if (!constant || type.getRank() != 2) return std::nullopt;
  return getFloatValues(constant.getValue());
}

std::vector<float> transposeMatrix(const std::vector<float>& values, int64_t rows, int64_t cols) {
  std::vector<float> transposed(values.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) transposed[j * rows + i] = values[i * cols + j];
  return transposed;
}

namespace {

/// The constant C of transpose(C) with perm [1, 0], or null.
ConstantOp transposedConstant(Value value) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose || transpose.getPerm() != ArrayRef<int64_t>{1, 0}) return nullptr;
  return transpose.getInput().getDefiningOp<ConstantOp>();
}

/// A 2-D constant read as [N, K]: as stored (`isNK`), or transposed from [K, N].
std::optional<std::vector<float>> readAsNK(ConstantOp constant, bool isNK) {
  std::optional<std::vector<float>> values = readConstantMatrix(constant);
  if (!values || isNK) return values;
  auto type = constant.getType().cast<RankedTensorType>();
  return transposeMatrix(*values, type.getDimSize(0), type.getDimSize(1));
}

}  // namespace

std::optional<std::vector<float>> readLinearWeight(LinearOp linear) {
  // The weight is [N, K]: a constant, or transpose(constant [K, N]).
  if (ConstantOp kn = transposedConstant(linear.getWeight())) return readAsNK(kn, false);
  return readConstantMatrix(linear.getWeight());
}

std::optional<std::vector<float>> readMatMulWeight(MatMulOp matmul) {
  if (ConstantOp nk = transposedConstant(matmul.getRhs())) return readAsNK(nk, true);
  if (auto kn = matmul.getRhs().getDefiningOp<ConstantOp>()) return readAsNK(kn, false);
  return std::nullopt;
}

Value weightedLayerInput(Operation* op) {
  if (auto linear = dyn_cast<LinearOp>(op)) return linear.getInput();
  auto matmul = dyn_cast<MatMulOp>(op);
  if (!matmul || matmul.getRhs().getType().cast<ShapedType>().getRank() != 2) return nullptr;
  if (transposedConstant(matmul.getRhs()) || matmul.getRhs().getDefiningOp<ConstantOp>())
    return matmul.getLhs();
  return nullptr;
}

std::string LayerNames::operator()(Operation* op) {
  std::string name = layerName(op);
  int repeat = uses[name]++;
  return repeat ? name + "#" + std::to_string(repeat) : name;
}

std::string layerName(Operation* op) {
  Location loc = op->getLoc();
  if (auto fused = loc.dyn_cast<FusedLoc>())
    for (Location inner : fused.getLocations())
      if (auto name = inner.dyn_cast<NameLoc>()) return name.getName().str();
  if (auto name = loc.dyn_cast<NameLoc>()) return name.getName().str();
  return op->getName().getStringRef().str();
}

NamedAttrList readModuleDictionary(ModuleOp module, StringRef name) {
  if (auto dictionary = module->getAttrOfType<DictionaryAttr>(name)) return NamedAttrList(dictionary);
  return NamedAttrList();
}

void writeModuleDictionary(ModuleOp module, StringRef name, const NamedAttrList& entries) {
  if (!entries.empty()) module->setAttr(name, entries.getDictionary(module.getContext()));
}

bool isLmHead(Operation* op) {
  SmallVector<Value> frontier{op->getResult(0)};
  while (!frontier.empty()) {
    Value value = frontier.pop_back_val();
    for (Operation* user : value.getUsers()) {
      if (isa<func::ReturnOp>(user)) return true;
      if (isa<ReshapeOp, ReshapeToOp, TransposeOp>(user)) frontier.push_back(user->getResult(0));
    }
  }
  return false;
}

void eraseIfUnused(Value value) {
  Operation* op = value.getDefiningOp();
  if (!op || !op->use_empty() || !isa<ConstantOp, TransposeOp>(op)) return;
  SmallVector<Value> operands(op->getOperands());
  op->erase();
  for (Value operand : operands) eraseIfUnused(operand);
}

}  // namespace llmopt
