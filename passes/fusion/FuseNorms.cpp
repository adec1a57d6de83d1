//===- FuseNorms.cpp - decomposed RMSNorm → llmopt.rms_norm ---------------===//
//
// Llama-style exports write RMSNorm as
//
//   inv = 1 / sqrt(reduce_mean(x², last axis, keepdims) + eps)     (div(1, ·) or reciprocal)
//   y   = weight · (x · inv)                                       (any operand order)
//
// which becomes rms_norm(x, weight) over the last axis (a weight of ones when there is none).
//
//===----------------------------------------------------------------------===//
#include "ir/ConstantFolding.h"
#include "ir/LLMOptOps.h"
#include "passes/Passes.h"
#include "passes/fusion/FusionMatchers.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace llmopt {
#define GEN_PASS_DEF_FUSENORMS
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

RankedTensorType rankedType(Value value) { return value.getType().cast<RankedTensorType>(); }

/// x² as pow(x, 2) or x · x.
bool isSquareOf(Value v, Value x) {
  if (auto pow = v.getDefiningOp<PowOp>())
    return pow.getLhs() == x && scalarConstant(pow.getRhs()) == 2.0f;
  auto mul = v.getDefiningOp<MulOp>();
  return mul && mul.getLhs() == x && mul.getRhs() == x;
}

/// 1 / sqrt(mean(x², last axis) + eps): the epsilon, or nothing.
std::optional<float> inverseRms(Value inv, Value x) {
  Value root;
  if (auto div = inv.getDefiningOp<DivOp>()) {
    if (scalarConstant(div.getLhs()) != 1.0f) return std::nullopt;
    root = div.getRhs();
  } else if (auto reciprocal = inv.getDefiningOp<ReciprocalOp>()) {
    root = reciprocal.getInput();
  } else {
    return std::nullopt;
  }
  auto sqrt = root.getDefiningOp<SqrtOp>();
  auto add = sqrt ? sqrt.getInput().getDefiningOp<AddOp>() : nullptr;
  if (!add) return std::nullopt;
  std::optional<float> eps = scalarConstant(add.getRhs());
  Value mean = add.getLhs();
  if (!eps) {
    eps = scalarConstant(add.getLhs());
    mean = add.getRhs();
  }
  auto reduce = mean.getDefiningOp<ReduceMeanOp>();
  int64_t last = rankedType(x).getRank() - 1;
  if (!eps || *eps < 0.0f || !std::isfinite(*eps) || !reduce || !reduce.getKeepdims() ||
      reduce.getAxes() != ArrayRef<int64_t>{last} || !isSquareOf(reduce.getInput(), x))
    return std::nullopt;
  return eps;
}

struct FuseRmsNorm : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp core, PatternRewriter& rewriter) const override {
    auto type = rankedType(core.getResult());
    if (type.getRank() < 1 || type.isDynamicDim(type.getRank() - 1) ||
        !type.getElementType().isF32())
      return failure();
    for (auto [x, inv] : {std::pair{core.getLhs(), core.getRhs()},
                          std::pair{core.getRhs(), core.getLhs()}}) {
      if (x.getType() != type) continue;
      std::optional<float> eps = inverseRms(inv, x);
      if (!eps) continue;
      int64_t d = type.getDimSize(type.getRank() - 1);
      // The weight: the single user multiplying by a constant [d] vector.
      Operation* replaced = core;
      Value weight;
      if (core->hasOneUse())
        if (auto scale = dyn_cast<MulOp>(*core->getUsers().begin())) {
          Value other = scale.getLhs() == core.getResult() ? scale.getRhs() : scale.getLhs();
          auto otherType = rankedType(other);
          if (other.getDefiningOp<ConstantOp>() && otherType.getRank() == 1 &&
              otherType.getDimSize(0) == d && scale.getType() == type) {
            weight = other;
            replaced = scale;
          }
        }
      rewriter.setInsertionPoint(replaced);
      if (!weight) {
        auto ones = RankedTensorType::get({d}, rewriter.getF32Type());
        weight = rewriter.create<ConstantOp>(
            core.getLoc(), makeFloatConstant(ones, std::vector<float>(d, 1.0f), "ones"));
      }
      rewriter.replaceOpWithNewOp<RmsNormOp>(
          replaced, type, x, weight, rewriter.getI64IntegerAttr(type.getRank() - 1),
          rewriter.getF32FloatAttr(*eps));
      return success();
    }
    return rewriter.notifyMatchFailure(core, "not x · 1/sqrt(mean(x²) + eps)");
  }
};

struct FuseNormsPass : public llmopt::impl::FuseNormsBase<FuseNormsPass> {
  using FuseNormsBase::FuseNormsBase;

  void runOnOperation() override {
    for (const std::string& name : disable)
      if (name != "rms-norm") {
        getOperation().emitError() << "llmopt-fuse-norms: unknown fusion '" << name
                                   << "' in disable (expected rms-norm)";
        return signalPassFailure();
      }
    if (llvm::is_contained(disable, std::string("rms-norm"))) return;
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseRmsNorm>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

}  // namespace
