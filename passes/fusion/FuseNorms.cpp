//===- FuseNorms.cpp - decomposed RMSNorm, LayerNorm → rms_norm, layer_norm ===//
//
// Llama-style exports write RMSNorm as
//
//   inv = 1 / sqrt(reduce_mean(x², last axis, keepdims) + eps)     (div(1, ·) or reciprocal)
//   y   = weight · (x · inv)                                       (any operand order)
//
// which becomes rms_norm(x, weight) over the last axis (a weight of ones when there is none).
//
// LayerNorm written out (torch/HF modules, TF/keras) becomes layer_norm(x, gamma, beta) over the
// trailing dims [axis, rank) both means reduce, keepdims:
//
//   mean = reduce_mean(x, [axis, rank));   d = x - mean
//   var  = reduce_mean(d², [axis, rank))                 (d² as pow(d, 2) or d · d; d may be a
//                                                         second x - mean, not merged by CSE)
//   y    = d / sqrt(var + eps)     or   d · 1/sqrt(var + eps)    (div(1, ·) or reciprocal)
//   out  = y · gamma + beta                                      (both optional, any order)
//
// and the keras batch_normalization form, with a = 1/sqrt(var + eps) or a = that · gamma:
//
//   out  = x · a + (beta - mean · a)
//
// gamma and beta must have the normalised dims' shape (leading 1s are reshaped away); a missing
// gamma is a constant of ones.
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

/// The x of x² written pow(x, 2) or x · x, or null.
Value squareBase(Value v) {
  if (auto pow = v.getDefiningOp<PowOp>())
    return scalarConstant(pow.getRhs()) == 2.0f ? pow.getLhs() : Value();
  auto mul = v.getDefiningOp<MulOp>();
  return mul && mul.getLhs() == mul.getRhs() ? mul.getLhs() : Value();
}

/// The r of 1/r written div(1, r) or reciprocal(r), or null.
Value reciprocalOf(Value inv) {
  if (auto div = inv.getDefiningOp<DivOp>())
    return scalarConstant(div.getLhs()) == 1.0f ? div.getRhs() : Value();
  if (auto reciprocal = inv.getDefiningOp<ReciprocalOp>()) return reciprocal.getInput();
  return {};
}

/// sqrt(m + eps) in either order, eps a finite non-negative scalar constant: m and eps.
std::optional<std::pair<Value, float>> sqrtPlusEps(Value root) {
  auto sqrt = root.getDefiningOp<SqrtOp>();
  auto add = sqrt ? sqrt.getInput().getDefiningOp<AddOp>() : nullptr;
  if (!add) return std::nullopt;
  for (auto [m, epsValue] : {std::pair{add.getLhs(), add.getRhs()},
                             std::pair{add.getRhs(), add.getLhs()}}) {
    std::optional<float> eps = scalarConstant(epsValue);
    if (eps && *eps >= 0.0f && std::isfinite(*eps)) return std::pair{m, *eps};
  }
  return std::nullopt;
}

/// 1 / sqrt(mean(x², last axis) + eps): the epsilon, or nothing.
std::optional<float> inverseRms(Value inv, Value x) {
  Value root = reciprocalOf(inv);
  auto sum = root ? sqrtPlusEps(root) : std::nullopt;
  if (!sum) return std::nullopt;
  auto reduce = sum->first.getDefiningOp<ReduceMeanOp>();
  int64_t last = rankedType(x).getRank() - 1;
  if (!reduce || !reduce.getKeepdims() || reduce.getAxes() != ArrayRef<int64_t>{last} ||
      squareBase(reduce.getInput()) != x)
    return std::nullopt;
  return sum->second;
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

//===----------------------------------------------------------------------===//
// LayerNorm
//===----------------------------------------------------------------------===//

/// What a LayerNorm match found: its input, first normalised dim and epsilon.
struct LayerNormMatch {
  Value x;
  int64_t axis;
  float eps;
};

/// `axis` when `mean` is reduce_mean(of, keepdims) over exactly the trailing dims [axis, rank).
std::optional<int64_t> trailingMeanAxis(Value mean, Value of) {
  auto reduce = mean.getDefiningOp<ReduceMeanOp>();
  if (!reduce || reduce.getInput() != of || !reduce.getKeepdims()) return std::nullopt;
  ArrayRef<int64_t> axes = reduce.getAxes();
  int64_t rank = rankedType(of).getRank(), axis = rank - static_cast<int64_t>(axes.size());
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != axis + static_cast<int64_t>(i)) return std::nullopt;
  return axes.empty() ? std::nullopt : std::optional<int64_t>(axis);
}

/// d = x - reduce_mean(x, [axis, rank)): x and axis (eps left 0).
std::optional<LayerNormMatch> centered(Value d) {
  auto sub = d.getDefiningOp<SubOp>();
  if (!sub || sub.getType() != sub.getLhs().getType()) return std::nullopt;
  std::optional<int64_t> axis = trailingMeanAxis(sub.getRhs(), sub.getLhs());
  if (!axis) return std::nullopt;
  return LayerNormMatch{sub.getLhs(), *axis, 0.0f};
}

/// sqrt(reduce_mean(d², [axis, rank)) + eps) for the centred x of `c`, d being `d` itself or a
/// second x - mean(x) over the same dims: c with its epsilon, or nothing.
std::optional<LayerNormMatch> withStdDev(Value root, Value d, LayerNormMatch c) {
  auto sum = sqrtPlusEps(root);
  auto reduce = sum ? sum->first.getDefiningOp<ReduceMeanOp>() : nullptr;
  if (!reduce || reduce.getInput().getType() != c.x.getType() ||
      trailingMeanAxis(reduce.getResult(), reduce.getInput()) != c.axis)
    return std::nullopt;
  Value base = squareBase(reduce.getInput());
  if (!base) return std::nullopt;
  if (base != d) {
    std::optional<LayerNormMatch> again = centered(base);
    if (!again || again->x != c.x || again->axis != c.axis) return std::nullopt;
  }
  c.eps = sum->second;
  return c;
}

/// True if `type` is f32 and its normalised dims [axis, rank) are static and non-empty (a 0
/// would read as "copy this dim" in the reshape of asNormalized).
bool normalizable(RankedTensorType type, int64_t axis) {
  return type.getElementType().isF32() && axis >= 0 && axis < type.getRank() &&
         llvm::all_of(type.getShape().drop_front(axis), [](int64_t dim) { return dim >= 1; });
}

/// `core` = (x - mean) / sqrt(var + eps) or (x - mean) · 1/sqrt(var + eps) (either order).
std::optional<LayerNormMatch> matchNormalized(Operation* core) {
  Value result = core->getResult(0);
  SmallVector<std::pair<Value, Value>, 2> candidates;  // (d, sqrt(var + eps))
  if (auto div = dyn_cast<DivOp>(core)) {
    candidates.push_back({div.getLhs(), div.getRhs()});
  } else if (auto mul = dyn_cast<MulOp>(core)) {
    for (auto [d, inv] : {std::pair{mul.getLhs(), mul.getRhs()},
                          std::pair{mul.getRhs(), mul.getLhs()}})
      if (Value root = reciprocalOf(inv)) candidates.push_back({d, root});
  }
  for (auto [d, root] : candidates) {
    std::optional<LayerNormMatch> c = centered(d);
    if (!c || c->x.getType() != result.getType() ||
        !normalizable(rankedType(result), c->axis))
      continue;
    if (std::optional<LayerNormMatch> match = withStdDev(root, d, *c)) return match;
  }
  return std::nullopt;
}

/// True if `param` can be layer_norm's scale or bias for `type` normalised from `axis`: f32 of
/// the normalised dims' shape, possibly with leading 1s.
bool fitsNormalized(Value param, RankedTensorType type, int64_t axis) {
  auto paramType = param.getType().dyn_cast<RankedTensorType>();
  ArrayRef<int64_t> normalized = type.getShape().drop_front(axis);
  if (!paramType || !paramType.getElementType().isF32() ||
      paramType.getRank() < static_cast<int64_t>(normalized.size()) ||
      paramType.getRank() > type.getRank())
    return false;
  ArrayRef<int64_t> shape = paramType.getShape();
  size_t lead = shape.size() - normalized.size();
  return shape.drop_front(lead) == normalized &&
         llvm::all_of(shape.take_front(lead), [](int64_t dim) { return dim == 1; });
}

/// `param` with the normalised dims' shape: itself, or its leading 1s reshaped away.
Value asNormalized(PatternRewriter& rewriter, Location loc, Value param, RankedTensorType type,
                   int64_t axis) {
  ArrayRef<int64_t> normalized = type.getShape().drop_front(axis);
  if (rankedType(param).getShape() == normalized) return param;
  return rewriter.create<ReshapeOp>(loc, param, normalized);
}

/// The only user of `v` when it is `v op param` or `param op v` with v's type and a `param` that
/// fits the normalised dims (gamma for a product, beta for a sum): the user and the param.
template <class OpTy>
std::pair<OpTy, Value> affineUser(Value v, int64_t axis) {
  if (!v.hasOneUse()) return {};
  auto op = dyn_cast<OpTy>(*v.getUsers().begin());
  if (!op || op.getType() != v.getType()) return {};
  Value param = op.getLhs() == v ? op.getRhs() : op.getLhs();
  if (param == v || !fitsNormalized(param, rankedType(v), axis)) return {};
  return {op, param};
}

/// Replaces `replaced` by layer_norm(x, scale or ones, bias).
void replaceWithLayerNorm(PatternRewriter& rewriter, Operation* replaced,
                          const LayerNormMatch& match, Value scale, Value bias) {
  auto type = rankedType(match.x);
  Location loc = replaced->getLoc();
  rewriter.setInsertionPoint(replaced);
  if (scale) {
    scale = asNormalized(rewriter, loc, scale, type, match.axis);
  } else {
    auto ones = RankedTensorType::get(type.getShape().drop_front(match.axis),
                                      rewriter.getF32Type());
    scale = rewriter.create<ConstantOp>(
        loc, makeFloatConstant(ones, std::vector<float>(ones.getNumElements(), 1.0f), "ones"));
  }
  if (bias) bias = asNormalized(rewriter, loc, bias, type, match.axis);
  rewriter.replaceOpWithNewOp<LayerNormOp>(replaced, type, match.x, scale, bias,
                                           rewriter.getI64IntegerAttr(match.axis),
                                           rewriter.getF32FloatAttr(match.eps));
}

/// (x - mean) / sqrt(var + eps) (DivOp) or (x - mean) · 1/sqrt(var + eps) (MulOp), then the
/// optional · gamma and + beta. Tried before FuseRmsNorm (benefit 2): d · 1/sqrt(mean(d²) + eps)
/// is also an RMSNorm of d.
template <class CoreOp>
struct FuseLayerNorm : public OpRewritePattern<CoreOp> {
  explicit FuseLayerNorm(MLIRContext* context)
      : OpRewritePattern<CoreOp>(context, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(CoreOp core, PatternRewriter& rewriter) const override {
    std::optional<LayerNormMatch> match = matchNormalized(core);
    if (!match) return rewriter.notifyMatchFailure(core, "not (x - mean) / sqrt(var + eps)");
    Operation* replaced = core;
    Value scale, bias;
    if (auto [mul, gamma] = affineUser<MulOp>(core.getResult(), match->axis); mul) {
      scale = gamma;
      replaced = mul;
    }
    if (auto [add, beta] = affineUser<AddOp>(replaced->getResult(0), match->axis); add) {
      bias = beta;
      replaced = add;
    }
    replaceWithLayerNorm(rewriter, replaced, *match, scale, bias);
    return success();
  }
};

/// keras/tf.nn.batch_normalization: x · a + (beta - mean · a), a = 1/sqrt(var + eps) with or
/// without · gamma (any operand order).
struct FuseLayerNormAffine : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  /// a = 1/sqrt(var + eps) or a = gamma · 1/sqrt(var + eps): the sqrt and gamma (null if none).
  static std::optional<std::pair<Value, Value>> scaledInverse(Value a, RankedTensorType type,
                                                              int64_t axis) {
    if (Value root = reciprocalOf(a)) return std::pair{root, Value()};
    auto mul = a.getDefiningOp<MulOp>();
    if (!mul) return std::nullopt;
    for (auto [inv, gamma] : {std::pair{mul.getLhs(), mul.getRhs()},
                              std::pair{mul.getRhs(), mul.getLhs()}})
      if (Value root = reciprocalOf(inv); root && fitsNormalized(gamma, type, axis))
        return std::pair{root, gamma};
    return std::nullopt;
  }

  LogicalResult matchAndRewrite(AddOp add, PatternRewriter& rewriter) const override {
    auto type = rankedType(add.getResult());
    for (auto [scaled, shift] : {std::pair{add.getLhs(), add.getRhs()},
                                 std::pair{add.getRhs(), add.getLhs()}}) {
      auto xa = scaled.getDefiningOp<MulOp>();
      auto sub = shift.getDefiningOp<SubOp>();
      auto meanA = sub ? sub.getRhs().getDefiningOp<MulOp>() : nullptr;
      if (!xa || !meanA || xa.getType() != type) continue;
      for (auto [mean, a] : {std::pair{meanA.getLhs(), meanA.getRhs()},
                             std::pair{meanA.getRhs(), meanA.getLhs()}}) {
        Value x = xa.getLhs() == a ? xa.getRhs() : xa.getRhs() == a ? xa.getLhs() : Value();
        std::optional<int64_t> axis = x ? trailingMeanAxis(mean, x) : std::nullopt;
        if (!axis || x.getType() != type || !normalizable(type, *axis) ||
            !fitsNormalized(sub.getLhs(), type, *axis))
          continue;
        std::optional<std::pair<Value, Value>> inverse = scaledInverse(a, type, *axis);
        std::optional<LayerNormMatch> match =
            inverse ? withStdDev(inverse->first, Value(), LayerNormMatch{x, *axis, 0.0f})
                    : std::nullopt;
        if (!match) continue;
        replaceWithLayerNorm(rewriter, add, *match, inverse->second, sub.getLhs());
        return success();
      }
    }
    return rewriter.notifyMatchFailure(add, "not x · a + (beta - mean · a)");
  }
};

struct FuseNormsPass : public llmopt::impl::FuseNormsBase<FuseNormsPass> {
  using FuseNormsBase::FuseNormsBase;

  void runOnOperation() override {
    for (const std::string& name : disable)
      if (name != "rms-norm" && name != "layer-norm") {
        getOperation().emitError() << "llmopt-fuse-norms: unknown fusion '" << name
                                   << "' in disable (expected rms-norm or layer-norm)";
        return signalPassFailure();
      }
    auto disabled = [&](StringRef name) { return llvm::is_contained(disable, name.str()); };
    RewritePatternSet patterns(&getContext());
    if (!disabled("rms-norm")) patterns.add<FuseRmsNorm>(&getContext());
    if (!disabled("layer-norm"))
      patterns.add<FuseLayerNorm<DivOp>, FuseLayerNorm<MulOp>, FuseLayerNormAffine>(
          &getContext());
    if (patterns.getNativePatterns().empty()) return;
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

}  // namespace
