//===- RecognizeLinear.cpp - matmul/gemm + bias → llmopt.linear -----------===//
#include "ir/LLMOptOps.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace llmopt {
#define GEN_PASS_DEF_RECOGNIZELINEAR
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

bool isConstant(Value value) { return value.getDefiningOp<ConstantOp>() != nullptr; }

/// A transpose [1, 0] of a constant matrix: how a [K, N] weight is seen as [N, K].
ConstantOp getTransposedConstant(Value value) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose || transpose.getPerm() != ArrayRef<int64_t>{1, 0}) return nullptr;
  return transpose.getInput().getDefiningOp<ConstantOp>();
}

Value transposeMatrix(PatternRewriter& rewriter, Location loc, Value matrix) {
  return rewriter.create<TransposeOp>(loc, matrix, ArrayRef<int64_t>{1, 0});
}

/// matmul(x, W[K, N]) -> linear(x, Wᵀ)
struct MatMulToLinear : public OpRewritePattern<MatMulOp> {
  MatMulToLinear(MLIRContext* context, int64_t minFeatures)
      : OpRewritePattern(context), minFeatures(minFeatures) {}

  LogicalResult matchAndRewrite(MatMulOp op, PatternRewriter& rewriter) const override {
    Value rhs = op.getRhs();
    auto rhsType = rhs.getType().cast<RankedTensorType>();
    if (rhsType.getRank() != 2 || !rhsType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "rhs is not a static matrix");
    if (rhsType.getDimSize(0) < minFeatures || rhsType.getDimSize(1) < minFeatures)
      return rewriter.notifyMatchFailure(op, "below min-features");
    Value weight;
    if (ConstantOp nk = getTransposedConstant(rhs))
      weight = nk;  // Gemm transB=1: the constant already is [N, K]
    else if (isConstant(rhs))
      weight = transposeMatrix(rewriter, op.getLoc(), rhs);
    else
      return rewriter.notifyMatchFailure(op, "rhs is not a constant");
    rewriter.replaceOpWithNewOp<LinearOp>(op, op.getLhs(), weight, Value(), Value());
    return success();
  }

  int64_t minFeatures;
};

/// The linear (fp32, or quantized as an already-quantized ONNX model imports) producing
/// `value` if it has no bias and no epilogue (a bias cannot move past them) and `value` is its
/// only use.
Operation* getBiaslessLinear(Value value) {
  Operation* op = value.getDefiningOp();
  if (!op || !op->hasOneUse()) return nullptr;
  if (auto linear = dyn_cast<LinearOp>(op))
    return linear.getBias() || hasEpilogue(linear) ? nullptr : op;
  if (auto linear = dyn_cast<QuantizedLinearOp>(op))
    return linear.getBias() || hasEpilogue(linear) ? nullptr : op;
  return nullptr;
}

/// The same layer with `bias`, at the layer's location (the name calibration, reports and
/// rules use).
Value withBias(PatternRewriter& rewriter, Operation* layer, Value bias) {
  if (auto linear = dyn_cast<LinearOp>(layer))
    return rewriter.create<LinearOp>(linear.getLoc(), linear.getInput(), linear.getWeight(), bias,
                                     Value());
  auto q = cast<QuantizedLinearOp>(layer);
  return rewriter.create<QuantizedLinearOp>(q.getLoc(), q.getInput(), q.getWeight(), q.getScale(),
                                            q.getOffset(), bias, Value(), q.getModeAttr(),
                                            q.getGroupSizeAttr(), /*activation=*/nullptr);
}

/// add(linear(x, W), b) -> linear(x, W, b) for a constant b that broadcasts along N only;
/// quantized_linear likewise.
struct FoldBiasAdd : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp op, PatternRewriter& rewriter) const override {
    for (auto [linearSide, biasSide] : {std::pair{op.getLhs(), op.getRhs()},
                                        std::pair{op.getRhs(), op.getLhs()}}) {
      Operation* linear = getBiaslessLinear(linearSide);
      if (!linear || !isConstant(biasSide) || linear->getResult(0).getType() != op.getType())
        continue;
      auto biasType = biasSide.getType().cast<RankedTensorType>();
      auto linearType = op.getType().cast<RankedTensorType>();
      int64_t n = linearType.getShape().back();
      ArrayRef<int64_t> biasShape = biasType.getShape();
      bool alongN = !biasShape.empty() && biasShape.back() == n &&
                    biasType.getRank() <= linearType.getRank() &&
                    llvm::all_of(biasShape.drop_back(), [](int64_t d) { return d == 1; });
      if (!alongN) continue;
      Value bias = biasSide;
      if (biasType.getRank() != 1)
        bias = rewriter.create<ReshapeOp>(op.getLoc(), biasSide, ArrayRef<int64_t>{n});
      Value folded = withBias(rewriter, linear, bias);
      rewriter.replaceOp(op, folded);
      rewriter.eraseOp(linear);
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not a linear plus a constant bias along N");
  }
};

/// mul(linear(x, W, b), s) -> linear(x, W·s, b·s) for a scalar constant s (Gemm's alpha).
struct FoldScale : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp op, PatternRewriter& rewriter) const override {
    for (auto [linearSide, scaleSide] : {std::pair{op.getLhs(), op.getRhs()},
                                         std::pair{op.getRhs(), op.getLhs()}}) {
      auto linear = linearSide.getDefiningOp<LinearOp>();
      auto scaleType = scaleSide.getType().cast<RankedTensorType>();
      if (!linear || hasEpilogue(linear) || !linear->hasOneUse() || !isConstant(scaleSide) ||
          !scaleType.hasStaticShape() || scaleType.getNumElements() != 1 ||
          linear.getType() != op.getType())
        continue;
      if (linear.getBias() && !isConstant(linear.getBias())) continue;
      // Decide before creating any op: a pattern that fails must leave the IR untouched.
      ConstantOp transposedWeight = getTransposedConstant(linear.getWeight());
      if (!transposedWeight && !isConstant(linear.getWeight())) continue;
      Location loc = op.getLoc();
      Value scalar = rewriter.create<ReshapeOp>(loc, scaleSide, ArrayRef<int64_t>{});
      // Scale the constant itself, so that the product folds into a new constant.
      Value weight;
      if (transposedWeight)
        weight = transposeMatrix(rewriter, loc,
                                 rewriter.create<MulOp>(loc, transposedWeight, scalar));
      else
        weight = rewriter.create<MulOp>(loc, linear.getWeight(), scalar);
      Value bias;
      if (linear.getBias()) bias = rewriter.create<MulOp>(loc, linear.getBias(), scalar);
      Value folded =
          rewriter.create<LinearOp>(linear.getLoc(), linear.getInput(), weight, bias, Value());
      rewriter.replaceOp(op, folded);
      rewriter.eraseOp(linear);
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not a linear times a scalar constant");
  }
};

struct RecognizeLinearPass : public llmopt::impl::RecognizeLinearBase<RecognizeLinearPass> {
  using RecognizeLinearBase::RecognizeLinearBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MatMulToLinear>(&getContext(), minFeatures);
    patterns.add<FoldScale>(&getContext());
    if (foldBias) patterns.add<FoldBiasAdd>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError("llmopt-recognize-linear: the rewrite did not converge");
      signalPassFailure();
    }
  }
};

}  // namespace
