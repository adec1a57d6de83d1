//===- FuseActivations.cpp - decomposed GELU and SiLU → one op -------------===//
//
// Exporters write GELU as the arithmetic of its formula. Each form becomes one llmopt.gelu, one
// pass over the tensor instead of five to eight:
//
//   gelu-erf   0.5 · x · (1 + erf(x / √2))                   (x · (1/√2) too)
//   gelu-tanh  0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))   (x³ as pow(x, 3))
//
// The products and sums match in any operand order and either association of the outer
// product; constants match within 1e-6 relative. silu: x · sigmoid(x) → llmopt.silu.
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
#define GEN_PASS_DEF_FUSEACTIVATIONS
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

/// `value` is a one-element f32 constant within 1e-6 relative of `expected`.
bool isScalar(Value value, double expected) {
  std::optional<float> v = scalarConstant(value);
  return v && std::fabs(*v - expected) <= 1e-6 * std::fabs(expected);
}

/// The operand of the commutative op `op` that is not `known`, when the other one is.
Value otherOperand(Operation* op, Value known) {
  if (op->getOperand(0) == known) return op->getOperand(1);
  if (op->getOperand(1) == known) return op->getOperand(0);
  return nullptr;
}

/// For a commutative binary op: the operand that is not a scalar `constant` (or null).
template <typename OpT>
Value nonScalarOperand(Value value, double constant) {
  auto op = value.getDefiningOp<OpT>();
  if (!op) return nullptr;
  if (isScalar(op.getRhs(), constant)) return op.getLhs();
  if (isScalar(op.getLhs(), constant)) return op.getRhs();
  return nullptr;
}

/// erf(x / √2) or erf(x · 1/√2).
bool isErfOfScaled(Value f, Value x) {
  auto erf = f.getDefiningOp<ErfOp>();
  if (!erf) return false;
  Value arg = erf.getInput();
  if (auto div = arg.getDefiningOp<DivOp>())
    return div.getLhs() == x && isScalar(div.getRhs(), M_SQRT2);
  return nonScalarOperand<MulOp>(arg, M_SQRT1_2) == x;
}

/// x³ as pow(x, 3), x · x · x in either association.
bool isCube(Value v, Value x) {
  if (auto pow = v.getDefiningOp<PowOp>()) return pow.getLhs() == x && isScalar(pow.getRhs(), 3.0);
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul) return false;
  Value rest = otherOperand(mul, x);
  auto square = rest ? rest.getDefiningOp<MulOp>() : nullptr;
  return square && square.getLhs() == x && square.getRhs() == x;
}

/// tanh(√(2/π) · (x + 0.044715 · x³)).
bool isTanhForm(Value f, Value x) {
  auto tanh = f.getDefiningOp<TanhOp>();
  if (!tanh) return false;
  Value inner = nonScalarOperand<MulOp>(tanh.getInput(), std::sqrt(2.0 / M_PI));
  auto sum = inner ? inner.getDefiningOp<AddOp>() : nullptr;
  if (!sum) return false;
  Value cubic = otherOperand(sum, x);
  Value cube = cubic ? nonScalarOperand<MulOp>(cubic, 0.044715) : nullptr;
  return cube && isCube(cube, x);
}

struct FuseGelu : public OpRewritePattern<MulOp> {
  FuseGelu(MLIRContext* context, bool erfForm, bool tanhForm)
      : OpRewritePattern(context), erfForm(erfForm), tanhForm(tanhForm) {}

  LogicalResult matchAndRewrite(MulOp root, PatternRewriter& rewriter) const override {
    // The outer product's three factors: 0.5, x and (1 + f), with one of root's operands a
    // single-use product of two of them.
    for (auto [inner, third] : {std::pair{root.getLhs(), root.getRhs()},
                                std::pair{root.getRhs(), root.getLhs()}}) {
      auto product = inner.getDefiningOp<MulOp>();
      if (!product || !product->hasOneUse()) continue;
      Value factors[3] = {product.getLhs(), product.getRhs(), third};
      for (int half = 0; half < 3; ++half) {
        if (!isScalar(factors[half], 0.5)) continue;
        for (int xi = 0; xi < 3; ++xi) {
          if (xi == half) continue;
          Value x = factors[xi], onePlus = factors[3 - half - xi];
          if (x.getType() != root.getType()) continue;
          Value f = nonScalarOperand<AddOp>(onePlus, 1.0);
          if (!f) continue;
          StringRef approximate;
          if (erfForm && isErfOfScaled(f, x)) approximate = "none";
          else if (tanhForm && isTanhForm(f, x)) approximate = "tanh";
          else continue;
          rewriter.replaceOpWithNewOp<GeluOp>(root, root.getType(), x,
                                              rewriter.getStringAttr(approximate));
          return success();
        }
      }
    }
    return rewriter.notifyMatchFailure(root, "not 0.5 · x · (1 + erf or tanh form)");
  }

  bool erfForm, tanhForm;
};

/// x · sigmoid(x) (either order) -> silu(x).
struct FuseSilu : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp mul, PatternRewriter& rewriter) const override {
    for (auto [x, s] : {std::pair{mul.getLhs(), mul.getRhs()},
                        std::pair{mul.getRhs(), mul.getLhs()}}) {
      auto sigmoid = s.getDefiningOp<SigmoidOp>();
      if (!sigmoid || sigmoid.getInput() != x || x.getType() != mul.getType()) continue;
      rewriter.replaceOpWithNewOp<SiluOp>(mul, mul.getType(), x);
      return success();
    }
    return rewriter.notifyMatchFailure(mul, "not x · sigmoid(x)");
  }
};

struct FuseActivationsPass : public llmopt::impl::FuseActivationsBase<FuseActivationsPass> {
  using FuseActivationsBase::FuseActivationsBase;

  void runOnOperation() override {
    for (const std::string& name : disable)
      if (name != "gelu-erf" && name != "gelu-tanh" && name != "silu") {
        getOperation().emitError() << "llmopt-fuse-activations: unknown fusion '" << name
                                   << "' in disable (expected gelu-erf, gelu-tanh or silu)";
        return signalPassFailure();
      }
    auto disabled = [&](StringRef name) { return llvm::is_contained(disable, name.str()); };
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseGelu>(&getContext(), !disabled("gelu-erf"), !disabled("gelu-tanh"));
    if (!disabled("silu")) patterns.add<FuseSilu>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

}  // namespace
