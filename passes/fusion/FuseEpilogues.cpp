//===- FuseEpilogues.cpp - activations and residual adds into the linear -===//
//
//   gelu(linear(x))        → linear(x) {activation = "gelu"}      (silu, relu, gelu tanh alike)
//   add(linear(x), r)      → linear(x) residual r                 (either operand order)
//   add(reshape(linear(x)), r) → reshape(linear(x) residual reshape(r))   (GPT-2's Conv1D)
//
// for fp32 and quantized linears whose result has no other use. The runtime applies both in the
// layer's epilogue: y = act(x · Wᵀ + b) + r.
//
//===----------------------------------------------------------------------===//
#include "ir/LLMOptOps.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <tuple>

namespace llmopt {
#define GEN_PASS_DEF_FUSEEPILOGUES
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

/// `layer` (a linear or quantized linear) rebuilt with another activation and residual, at the
/// layer's own location, replacing `replaced` (the layer itself, or its only user).
void rebuildLayer(PatternRewriter& rewriter, Operation* replaced, Operation* layer,
                  StringRef activation, Value residual) {
  rewriter.setInsertionPoint(replaced);
  Operation* rebuilt;
  if (auto linear = dyn_cast<LinearOp>(layer)) {
    rebuilt = rewriter.create<LinearOp>(linear.getLoc(), linear.getInput(), linear.getWeight(),
                                        linear.getBias(), residual, activation);
  } else {
    auto q = cast<QuantizedLinearOp>(layer);
    rebuilt = rewriter.create<QuantizedLinearOp>(
        q.getLoc(), q.getInput(), q.getWeight(), q.getScale(), q.getOffset(), q.getBias(),
        residual, q.getModeAttr(), q.getGroupSizeAttr(), rewriter.getStringAttr(activation));
  }
  rewriter.replaceOp(replaced, rebuilt->getResults());
  if (replaced != layer) rewriter.eraseOp(layer);
}

/// The f32 linear or quantized linear defining `value` when `value` is its only use, with its
/// current activation and residual.
struct Layer {
  Operation* op = nullptr;
  StringRef activation;
  Value residual;
};
std::optional<Layer> layerDefining(Value value) {
  Operation* op = value.getDefiningOp();
  if (!op || !op->hasOneUse() || !value.getType().cast<ShapedType>().getElementType().isF32())
    return std::nullopt;
  if (auto linear = dyn_cast<LinearOp>(op))
    return Layer{op, linear.getActivation(), linear.getResidual()};
  if (auto q = dyn_cast<QuantizedLinearOp>(op))
    return Layer{op, q.getActivation(), q.getResidual()};
  return std::nullopt;
}

/// `value`, or the input of the reshape it is the only use of, with that reshape (GPT-2's
/// Conv1D computes [B·S, E] and reshapes to [B, S, E] before its activation or residual add).
std::pair<Value, Operation*> throughReshape(Value value) {
  Operation* reshape = value.getDefiningOp();
  if (reshape && isa<ReshapeOp, ReshapeToOp>(reshape) && reshape->hasOneUse())
    return {reshape->getOperand(0), reshape};
  return {value, nullptr};
}

/// act(linear(x)) → linear(x) {activation}, when the layer has no epilogue yet. Also through a
/// reshape (GPT-2's Conv1D computes [B·S, E] and reshapes to [B, S, E]): an elementwise
/// activation commutes with it, act(reshape(linear)) → reshape(linear {activation}).
template <class ActivationOp>
struct FuseActivation : public OpRewritePattern<ActivationOp> {
  FuseActivation(MLIRContext* context, StringRef (*name)(ActivationOp))
      : OpRewritePattern<ActivationOp>(context), name(name) {}

  LogicalResult matchAndRewrite(ActivationOp act, PatternRewriter& rewriter) const override {
    auto [product, reshape] = throughReshape(act.getInput());
    std::optional<Layer> layer = layerDefining(product);
    if (!layer || layer->activation != "none" || layer->residual)
      return rewriter.notifyMatchFailure(act, "not the only use of a plain linear");
    if (!reshape) {
      rebuildLayer(rewriter, act, layer->op, name(act), Value());
      return success();
    }
    rebuildLayer(rewriter, layer->op, layer->op, name(act), Value());
    rewriter.replaceOp(act, reshape->getResults());
    return success();
  }

  StringRef (*name)(ActivationOp);
};

/// The ONNX-style reshape spec (one -1 at most) that gives `type`, or nothing when it has more
/// than one dynamic dim.
std::optional<SmallVector<int64_t>> reshapeSpec(RankedTensorType type) {
  SmallVector<int64_t> spec(type.getShape());
  if (type.getNumDynamicDims() > 1) return std::nullopt;
  for (int64_t& dim : spec)
    if (ShapedType::isDynamic(dim)) dim = -1;
  return spec;
}

/// linear(x) + r → linear(x) residual r, r of the sum's type; also through a reshape of the
/// layer's result (GPT-2's Conv1D computes [B·S, E] and reshapes to [B, S, E]), the residual
/// then reshaped the other way, which the memory plan makes free where r dies there.
struct FuseResidual : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add, PatternRewriter& rewriter) const override {
    for (auto [product, residual] : {std::pair(add.getLhs(), add.getRhs()),
                                     std::pair(add.getRhs(), add.getLhs())}) {
      if (product.getType() != add.getType() || residual.getType() != add.getType()) continue;
      Operation* reshape;
      std::tie(product, reshape) = throughReshape(product);
      std::optional<Layer> layer = layerDefining(product);
      if (!layer || layer->residual) continue;
      if (!reshape) {
        rebuildLayer(rewriter, add, layer->op, layer->activation, residual);
        return success();
      }
      // r must exist before the layer, which it becomes an operand of; the reshape keeps the
      // element count, so r (of the sum's type) reshapes to the layer's result exactly.
      Operation* residualOp = residual.getDefiningOp();
      std::optional<SmallVector<int64_t>> spec =
          reshapeSpec(product.getType().cast<RankedTensorType>());
      if (!spec || (residualOp && (residualOp->getBlock() != layer->op->getBlock() ||
                                   !residualOp->isBeforeInBlock(layer->op))))
        continue;
      rewriter.setInsertionPoint(layer->op);
      Value reshaped = rewriter.create<ReshapeOp>(add.getLoc(), residual,
                                                  rewriter.getDenseI64ArrayAttr(*spec));
      rebuildLayer(rewriter, layer->op, layer->op, layer->activation, reshaped);
      rewriter.replaceOp(add, reshape->getResults());
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no linear with a residual of its own type");
  }
};

struct FuseEpiloguesPass : public llmopt::impl::FuseEpiloguesBase<FuseEpiloguesPass> {
  using FuseEpiloguesBase::FuseEpiloguesBase;

  void runOnOperation() override {
    for (const std::string& name : disable)
      if (name != "activation" && name != "residual") {
        getOperation().emitError() << "llmopt-fuse-epilogues: unknown fusion '" << name
                                   << "' in disable (expected activation or residual)";
        return signalPassFailure();
      }
    auto disabled = [&](StringRef name) { return llvm::is_contained(disable, name.str()); };
    MLIRContext* context = &getContext();
    RewritePatternSet patterns(context);
    if (!disabled("activation")) {
      patterns.add<FuseActivation<GeluOp>>(context, [](GeluOp gelu) -> StringRef {
        return gelu.getApproximate() == "tanh" ? "gelu_tanh" : "gelu";
      });
      patterns.add<FuseActivation<SiluOp>>(context, [](SiluOp) -> StringRef { return "silu"; });
      patterns.add<FuseActivation<ReluOp>>(context, [](ReluOp) -> StringRef { return "relu"; });
    }
    if (!disabled("residual")) patterns.add<FuseResidual>(context);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

}  // namespace
