//===- Quantize.cpp - llmopt-quantize: weights in int8/int4/fp16/bf16 -----===//
#include "ir/ConstantFolding.h"
#include "ir/LLMOptOps.h"
#include "passes/Passes.h"
#include "passes/compression/LayerRules.h"
#include "passes/compression/LinearWeights.h"
#include "passes/compression/WeightQuantizer.h"

#include "mlir/IR/Builders.h"

namespace llmopt {
#define GEN_PASS_DEF_QUANTIZE
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

/// The IR values of a quantized matrix: weight, scale (or null), offset (or null).
struct QuantizedOperands {
  Value weight, scale, offset;
};

QuantizedOperands materialize(OpBuilder& builder, Location loc, const QuantizedMatrix& m) {
  MLIRContext* context = builder.getContext();
  QuantizedOperands result;
  auto weightType =
      RankedTensorType::get({m.rows, m.cols}, quantWeightElementType(m.mode, context));
  result.weight = builder.create<ConstantOp>(loc, makeRawConstant(weightType, m.data, "quantized"));
  if (!m.scale.empty()) {
    auto type = RankedTensorType::get({m.rows}, builder.getF32Type());
    result.scale = builder.create<ConstantOp>(loc, makeFloatConstant(type, m.scale, "scale"));
  }
  if (!m.groupScale.empty()) {
    int64_t groups = quantGroupCount(m.cols, m.groupSize);
    auto type = RankedTensorType::get({m.rows, groups}, builder.getF16Type());
    auto bytes = [](const std::vector<uint16_t>& bits) {
      return ArrayRef<char>(reinterpret_cast<const char*>(bits.data()), bits.size() * 2);
    };
    result.scale = builder.create<ConstantOp>(loc, makeRawConstant(type, bytes(m.groupScale), "scale"));
    result.offset =
        builder.create<ConstantOp>(loc, makeRawConstant(type, bytes(m.groupOffset), "offset"));
  }
  return result;
}

/// Tables are stored per row; W8A8's activations do not apply to a lookup.
QuantMode tableMode(QuantMode mode) {
  return mode == QuantMode::Int8Weight ? QuantMode::Int8 : mode;
}

struct QuantizePass : public llmopt::impl::QuantizeBase<QuantizePass> {
  using QuantizeBase::QuantizeBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    std::string error;
    std::optional<LayerRules> layerRules = LayerRules::parse(mode, rules, keepFp32, lmHead, error);
    if (!layerRules) {
      func.emitError() << "llmopt-quantize: " << error;
      return signalPassFailure();
    }
    if (groupSize <= 0) {
      func.emitError() << "llmopt-quantize: group-size must be positive, got "
                      << static_cast<int64_t>(groupSize);
      return signalPassFailure();
    }

    SmallVector<Operation*> candidates;
    func.walk([&](Operation* op) {
      if (isa<LinearOp>(op) || (embeddings && isa<GatherOp>(op))) candidates.push_back(op);
    });
    // Each call may erase `op`: nothing looks at it afterwards.
    for (Operation* op : candidates) {
      if (auto linear = dyn_cast<LinearOp>(op))
        quantizeLinear(linear, *layerRules);
      else
        quantizeGather(cast<GatherOp>(op), *layerRules);
    }
  }

  void quantizeLinear(LinearOp linear, const LayerRules& layerRules) {
    std::optional<QuantMode> layerMode =
        layerRules.modeFor({layerName(linear), "linear", isLmHead(linear)});
    if (!layerMode) return;
    if (!linear.getInput().getType().cast<RankedTensorType>().getElementType().isF32()) return;
    std::optional<std::vector<float>> weight = readLinearWeight(linear);
    if (!weight) return;  // not a constant: stays fp32
    auto weightType = linear.getWeight().getType().cast<RankedTensorType>();
    int64_t n = weightType.getDimSize(0), k = weightType.getDimSize(1);
    QuantizedMatrix m = quantizeMatrix(*weight, n, k, *layerMode, groupSize);

    OpBuilder builder(linear);
    QuantizedOperands q = materialize(builder, linear.getLoc(), m);
    auto quantized = builder.create<QuantizedLinearOp>(
        linear.getLoc(), linear.getInput(), q.weight, q.scale, q.offset, linear.getBias(),
        linear.getResidual(), builder.getStringAttr(quantModeName(*layerMode)),
        builder.getI64IntegerAttr(m.groupSize), linear.getActivationAttr());
    Value oldWeight = linear.getWeight();
    linear.getResult().replaceAllUsesWith(quantized.getResult());
    linear.erase();
    eraseIfUnused(oldWeight);
  }

  void quantizeGather(GatherOp gather, const LayerRules& layerRules) {
    auto tableType = gather.getData().getType().cast<RankedTensorType>();
    if (gather.getAxis() != 0 || tableType.getRank() != 2 || !tableType.getElementType().isF32())
      return;
    std::optional<QuantMode> layerMode =
        layerRules.modeFor({layerName(gather), "gather", false});
    if (!layerMode) return;
    std::optional<std::vector<float>> table = readConstantMatrix(gather.getData());
    if (!table) return;
    QuantMode stored = tableMode(*layerMode);
    QuantizedMatrix m = quantizeMatrix(*table, tableType.getDimSize(0), tableType.getDimSize(1),
                                       stored, groupSize);
    OpBuilder builder(gather);
    QuantizedOperands q = materialize(builder, gather.getLoc(), m);
    auto quantized = builder.create<QuantizedGatherOp>(
        gather.getLoc(), q.weight, gather.getIndices(), q.scale, q.offset,
        builder.getStringAttr(quantModeName(stored)), builder.getI64IntegerAttr(m.groupSize));
    Value oldTable = gather.getData();
    gather.getResult().replaceAllUsesWith(quantized.getResult());
    gather.erase();
    eraseIfUnused(oldTable);
  }
};

}  // namespace
