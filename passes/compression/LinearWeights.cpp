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

std::optional<std::vector<float>> readLinearWeight(LinearOp linear) {
  Value weight = linear.getWeight();
  if (auto transpose = weight.getDefiningOp<TransposeOp>()) {
    if (transpose.getPerm() != ArrayRef<int64_t>{1, 0}) return std::nullopt;
    std::optional<std::vector<float>> kn = readConstantMatrix(transpose.getInput());
    if (!kn) return std::nullopt;
    auto type = transpose.getInput().getType().cast<RankedTensorType>();
    int64_t k = type.getDimSize(0), n = type.getDimSize(1);
    std::vector<float> nk(n * k);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j) nk[j * k + i] = (*kn)[i * n + j];
    return nk;
  }
  return readConstantMatrix(weight);
}

std::string layerName(Operation* op) {
  Location loc = op->getLoc();
  if (auto fused = loc.dyn_cast<FusedLoc>())
    for (Location inner : fused.getLocations())
      if (auto name = inner.dyn_cast<NameLoc>()) return name.getName().str();
  if (auto name = loc.dyn_cast<NameLoc>()) return name.getName().str();
  return op->getName().getStringRef().str();
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
