//===- FuseAttention.cpp - scaled dot-product attention → llmopt.attention -===//
//
// The attention block as exporters write it, heads split by reshape + transpose:
//
//   qT = transpose(q [B, S, H, D], [0, 2, 1, 3])      kT = transpose(k, [0, 2, 3, 1])
//   s  = matmul(qT, kT) (/ c | · c)                    (optional scale)
//   s  = where(keep, s, fill) | where(drop, fill, s)   (optional causal mask, fill <= -1e30)
//   y  = matmul(softmax(s, last axis), transpose(v, [0, 2, 1, 3]))
//
// becomes transpose(attention(q, k, v), [0, 2, 1, 3]); canonicalize then cancels that transpose
// against the one that merges the heads. The mask counts as causal when it is a constant
// lower-triangular boolean matrix sliced from its origin to [seq, seq] (the tril buffer of GPT
// exports) and broadcast over batch and heads.
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
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

RankedTensorType rankedType(Value value) { return value.getType().cast<RankedTensorType>(); }

/// The input of `transpose(input, perm)` when `value` is one, else null.
Value transposedFrom(Value value, ArrayRef<int64_t> perm) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose || transpose.getPerm() != perm) return nullptr;
  return transpose.getInput();
}

/// A constant boolean [.., L, L] matrix (leading dims 1) that is true exactly on and below the
/// diagonal.
bool isLowerTriangularConstant(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  auto type = rankedType(value);
  if (!constant || !type.getElementType().isInteger(1) || !type.hasStaticShape() ||
      type.getRank() < 2)
    return false;
  for (int64_t d = 0; d + 2 < type.getRank(); ++d)
    if (type.getDimSize(d) != 1) return false;
  int64_t rows = type.getDimSize(type.getRank() - 2), cols = type.getDimSize(type.getRank() - 1);
  if (rows != cols) return false;
  std::optional<std::vector<char>> bytes = getExpandedRawBytes(constant.getValue());
  if (!bytes) return false;
  // One byte per element (ONNX tensors), or bits packed eight to a byte (MLIR's dense i1).
  const int64_t count = rows * cols, size = static_cast<int64_t>(bytes->size());
  const bool packed = size < count;
  if (packed && size * 8 < count) return false;
  auto at = [&](int64_t i) -> bool {
    return packed ? ((*bytes)[i / 8] >> (i % 8)) & 1 : (*bytes)[i] != 0;
  };
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      if (at(i * cols + j) != (j <= i)) return false;
  return true;
}

/// The causal keep-mask: a lower-triangular constant sliced (any number of times) from offset 0
/// with step 1 along its last two axes, to a square [.., n, n] whose two lengths are the same
/// value (symbol or number).
bool isCausalKeepMask(Value mask) {
  auto type = rankedType(mask);
  if (type.getRank() < 2) return false;
  for (int64_t d = 0; d + 2 < type.getRank(); ++d)
    if (type.getDimSize(d) != 1) return false;
  Value source = mask;
  ArrayAttr resultShape;
  while (auto slice = source.getDefiningOp<SliceOp>()) {
    if (!resultShape) resultShape = slice.getShape();
    for (auto [start, step] : llvm::zip(slice.getStarts(), slice.getSteps())) {
      auto integer = start.dyn_cast<IntegerAttr>();
      if (!integer || integer.getInt() != 0 || step != 1) return false;
    }
    source = slice.getInput();
  }
  if (!isLowerTriangularConstant(source)) return false;
  if (!resultShape) return true;  // the whole square
  int64_t rank = type.getRank();
  if (static_cast<int64_t>(resultShape.size()) != rank) return false;
  return resultShape[rank - 2] == resultShape[rank - 1];
}

struct FuseScaledDotProductAttention : public OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatMulOp out, PatternRewriter& rewriter) const override {
    auto softmax = out.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || !softmax->hasOneUse() ||
        static_cast<int64_t>(softmax.getAxis()) != rankedType(softmax.getInput()).getRank() - 1)
      return rewriter.notifyMatchFailure(out, "lhs is not a last-axis softmax");
    Value v = transposedFrom(out.getRhs(), {0, 2, 1, 3});
    if (!v) return rewriter.notifyMatchFailure(out, "rhs is not v with its heads moved up");

    // The mask.
    Value scores = softmax.getInput();
    bool causal = false;
    if (auto where = scores.getDefiningOp<WhereOp>()) {
      if (!where->hasOneUse()) return failure();
      auto isFill = [](Value x) {
        std::optional<float> f = scalarConstant(x);
        return f && *f <= -1e30f;
      };
      Value cond = where.getCondition();
      if (isFill(where.getRhs()) && isCausalKeepMask(cond)) {
        scores = where.getLhs();
      } else if (auto drop = cond.getDefiningOp<NotOp>();
                 drop && isFill(where.getLhs()) && isCausalKeepMask(drop.getInput())) {
        scores = where.getRhs();
      } else {
        return rewriter.notifyMatchFailure(out, "a mask that is not causal");
      }
      causal = true;
    }

    // The scale.
    double scale = 1.0;
    if (auto div = scores.getDefiningOp<DivOp>()) {
      std::optional<float> c = scalarConstant(div.getRhs());
      if (!c || *c == 0.0f || !div->hasOneUse()) return failure();
      scale = 1.0 / *c;
      scores = div.getLhs();
    } else if (auto mul = scores.getDefiningOp<MulOp>()) {
      std::optional<float> c = scalarConstant(mul.getRhs());
      Value other = mul.getLhs();
      if (!c) {
        c = scalarConstant(mul.getLhs());
        other = mul.getRhs();
      }
      if (!c || !mul->hasOneUse()) return failure();
      scale = *c;
      scores = other;
    }

    auto product = scores.getDefiningOp<MatMulOp>();
    if (!product || !product->hasOneUse()) return rewriter.notifyMatchFailure(out, "no q·kᵀ");
    Value q = transposedFrom(product.getLhs(), {0, 2, 1, 3});
    Value k = transposedFrom(product.getRhs(), {0, 2, 3, 1});
    if (!q || !k) return rewriter.notifyMatchFailure(out, "q·kᵀ of other layouts");
    if (!out.getType().getElementType().isF32()) return failure();

    if (attentionShapeError(rankedType(q), rankedType(k), rankedType(v)))
      return rewriter.notifyMatchFailure(out, "shapes the fused op does not take");
    Value attention = rewriter.create<AttentionOp>(
        out.getLoc(), q.getType(), q, k, v, rewriter.getF32FloatAttr(static_cast<float>(scale)),
        rewriter.getBoolAttr(causal));
    rewriter.replaceOpWithNewOp<TransposeOp>(out, attention, ArrayRef<int64_t>{0, 2, 1, 3});
    return success();
  }
};

struct FuseAttentionPass : public llmopt::impl::FuseAttentionBase<FuseAttentionPass> {
  using FuseAttentionBase::FuseAttentionBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseScaledDotProductAttention>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

}  // namespace
