//===- FuseAttention.cpp - scaled dot-product attention → llmopt.attention -===//
//
// The attention block as exporters write it, heads split by reshape + transpose:
//
//   qT = transpose(q [B, S, H, D], [0, 2, 1, 3])      (then RoPE, optionally)
//   kT = transpose(k, [0, 2, 3, 1]) | transpose(rope(k) or repeat(k), [0, 1, 3, 2])
//   s  = matmul(qT, kT) (/ c | · c)                    (optional scale)
//   s  = masks(s)                                      (causal, padding: any number, any order)
//   y  = matmul(softmax(s, last axis), vT)             (vT: v's heads moved up, maybe repeated)
//
// becomes transpose(attention(q, k, v, ...), [0, 2, 1, 3]); canonicalize then cancels that
// transpose against the one that merges the heads. What is absorbed:
//   - causal masks, however built: `where(keep, s, fill)`, `where(drop, fill, s)` or `s + M`,
//     when the mask depends on constants and symbols only and evaluates (MaskEvaluator.h) to the
//     causal pattern at every probed sequence length;
//   - padding masks: `s + M` with M [B or 1, 1, 1, Sk] (one bias per key) → key_bias;
//   - RoPE, rotate-half form, on q and k with the same tables:
//       x·cos + concat(−x[.., D/2:], x[.., :D/2])·sin   (cos, sin [.., S, D] with leading 1s);
//   - grouped-query repeat of k and v: reshape [B, Hkv, 1, S, D] → expand [B, Hkv, n, S, D] →
//     reshape [B, Hkv·n, S, D] (head h reads kv head h / n, as the fused op does).
//
//===----------------------------------------------------------------------===//
#include "ir/ConstantFolding.h"
#include "ir/LLMOptOps.h"
#include "passes/Passes.h"
#include "passes/fusion/FusionMatchers.h"
#include "passes/fusion/MaskEvaluator.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>
#include <map>

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

/// What a heads-first [B, H, S, D] operand of the unfused graph is made of.
struct HeadsFirst {
  Value inPlace;         // the [B, S, H', D] tensor it comes from (H' = H / repeat)
  Value cos, sin;        // RoPE tables, when rotated
};

class AttentionMatcher {
 public:
  explicit AttentionMatcher(const SymbolicShapes& shapes) : shapes(shapes) {}

  const SymShape* shapeOf(Value value) const {
    auto it = shapes.shapes.find(value);
    return it == shapes.shapes.end() ? nullptr : &it->second;
  }

  /// x when `value` is the grouped-query repeat of x [B, Hkv, S, D]:
  /// reshape(expand(reshape(x, [B, Hkv, 1, S, D]), [B, Hkv, n, S, D]), [B, Hkv·n, S, D]).
  Value repeatedFrom(Value value) const {
    auto merge = value.getDefiningOp<ReshapeOp>();
    auto expand = merge ? merge.getInput().getDefiningOp<ExpandOp>() : nullptr;
    auto split = expand ? expand.getInput().getDefiningOp<ReshapeOp>() : nullptr;
    if (!split) return nullptr;
    const SymShape *x = shapeOf(split.getInput()), *unsqueezed = shapeOf(split),
                   *expanded = shapeOf(expand), *merged = shapeOf(merge);
    if (!x || !unsqueezed || !expanded || !merged || x->size() != 4 || unsqueezed->size() != 5 ||
        expanded->size() != 5 || merged->size() != 4)
      return nullptr;
    const SymShape& e = *expanded;
    const SymDim one = SymDim::constant(1);
    std::optional<SymDim> heads = e[1].times(e[2]);
    bool ok = (*unsqueezed)[0] == (*x)[0] && (*unsqueezed)[1] == (*x)[1] &&
              (*unsqueezed)[2] == one && (*unsqueezed)[3] == (*x)[2] &&
              (*unsqueezed)[4] == (*x)[3] && e[0] == (*x)[0] && e[1] == (*x)[1] &&
              e[3] == (*x)[2] && e[4] == (*x)[3] && (*merged)[0] == (*x)[0] && heads &&
              (*merged)[1] == *heads && (*merged)[2] == (*x)[2] && (*merged)[3] == (*x)[3];
    return ok ? Value(split.getInput()) : Value();
  }

  /// x when `value` is concat(−x[.., D/2:], x[.., :D/2]) along the last axis of x [B, H, S, D].
  static Value rotatedHalfOf(Value value) {
    auto concat = value.getDefiningOp<ConcatOp>();
    if (!concat || concat.getInputs().size() != 2) return nullptr;
    auto neg = concat.getInputs()[0].getDefiningOp<NegOp>();
    auto high = neg ? neg.getInput().getDefiningOp<SliceOp>() : nullptr;
    auto low = concat.getInputs()[1].getDefiningOp<SliceOp>();
    if (!high || !low || high.getInput() != low.getInput()) return nullptr;
    Value x = low.getInput();
    auto type = rankedType(x);
    const int64_t rank = type.getRank(), dim = type.getDimSize(rank - 1);
    if (rank != 4 || ShapedType::isDynamic(dim) || dim % 2 != 0 ||
        static_cast<int64_t>(concat.getAxis()) != rank - 1)
      return nullptr;
    auto isHalf = [&](SliceOp slice, int64_t start) {
      auto starts = slice.getStarts();
      auto first = starts.size() == 1 ? starts[0].dyn_cast<IntegerAttr>() : nullptr;
      return slice.getAxes().size() == 1 && slice.getAxes()[0] == rank - 1 && first &&
             first.getInt() == start && slice.getSteps()[0] == 1 &&
             rankedType(slice).getDimSize(rank - 1) == dim / 2;
    };
    return isHalf(high, dim / 2) && isHalf(low, 0) ? x : Value();
  }

  /// A table [.., S, D] (leading dims 1) that multiplies x [B, H, S, D] row by row.
  bool isRopeTable(Value table, Value x) const {
    const SymShape *t = shapeOf(table), *xs = shapeOf(x);
    if (!t || !xs || t->size() < 2 || t->size() > 4 || !rankedType(table).getElementType().isF32())
      return false;
    for (size_t d = 0; d + 2 < t->size(); ++d)
      if ((*t)[d] != SymDim::constant(1)) return false;
    return (*t)[t->size() - 2] == (*xs)[2] && (*t)[t->size() - 1] == (*xs)[3];
  }

  /// x, cos and sin when `value` is x·cos + rotate_half(x)·sin (either order everywhere).
  bool matchRope(Value value, Value& x, Value& cos, Value& sin) const {
    auto add = value.getDefiningOp<AddOp>();
    if (!add) return false;
    for (auto [direct, rotated] : {std::pair(add.getLhs(), add.getRhs()),
                                   std::pair(add.getRhs(), add.getLhs())}) {
      auto rotMul = rotated.getDefiningOp<MulOp>();
      auto directMul = direct.getDefiningOp<MulOp>();
      if (!rotMul || !directMul) continue;
      for (auto [rot, s] : {std::pair(rotMul.getLhs(), rotMul.getRhs()),
                            std::pair(rotMul.getRhs(), rotMul.getLhs())}) {
        Value source = rotatedHalfOf(rot);
        if (!source) continue;
        Value c;
        if (directMul.getLhs() == source) c = directMul.getRhs();
        else if (directMul.getRhs() == source) c = directMul.getLhs();
        if (!c || !isRopeTable(c, source) || !isRopeTable(s, source)) continue;
        x = source;
        cos = c;
        sin = s;
        return true;
      }
    }
    return false;
  }

  /// Resolves a heads-first operand: an optional repeat (k, v), an optional RoPE (q, k), and the
  /// transpose of the in-place tensor.
  std::optional<HeadsFirst> resolve(Value value, bool allowRepeat, bool allowRope) const {
    HeadsFirst result;
    if (allowRepeat)
      if (Value x = repeatedFrom(value)) value = x;
    if (allowRope) {
      Value x;
      if (matchRope(value, x, result.cos, result.sin)) value = x;
    }
    result.inPlace = transposedFrom(value, {0, 2, 1, 3});
    if (!result.inPlace) return std::nullopt;
    return result;
  }

  /// One mask around the scores: peels it off `scores` and records what it does.
  bool peelMask(Value& scores, bool& causal, Value& keyBias) const {
    const SymShape* shape = shapeOf(scores);
    if (!shape || shape->size() != 4 || !scores.hasOneUse()) return false;
    const SymDim &batch = (*shape)[0], &rows = (*shape)[2], &keys = (*shape)[3];
    if (auto where = scores.getDefiningOp<WhereOp>()) {
      auto isFill = [](Value x) {
        std::optional<float> f = scalarConstant(x);
        return f && *f <= -1e30f;
      };
      if (rows != keys) return false;
      Value cond = where.getCondition();
      if (isFill(where.getRhs()) && causalMask(cond, CausalForm::Keep, rows)) {
        scores = where.getLhs();
      } else if (isFill(where.getLhs()) && causalMask(cond, CausalForm::Drop, rows)) {
        scores = where.getRhs();
      } else {
        return false;
      }
      causal = true;
      return true;
    }
    auto add = scores.getDefiningOp<AddOp>();
    if (!add) return false;
    for (auto [s, mask] : {std::pair(add.getLhs(), add.getRhs()),
                           std::pair(add.getRhs(), add.getLhs())}) {
      if (!rankedType(mask).getElementType().isF32()) continue;
      const SymShape* m = shapeOf(mask);
      const SymShape* sShape = shapeOf(s);
      if (!m || !sShape || *sShape != *shape) continue;  // the mask must not broadcast s
      const SymDim one = SymDim::constant(1);
      if (!keyBias && m->size() == 4 && ((*m)[0] == batch || (*m)[0] == one) && (*m)[1] == one &&
          (*m)[2] == one && (*m)[3] == keys) {
        keyBias = mask;
        scores = s;
        return true;
      }
      if (rows == keys && causalMask(mask, CausalForm::Additive, rows)) {
        causal = true;
        scores = s;
        return true;
      }
    }
    return false;
  }

 private:
  /// isCausalMask, once per mask: every layer of a model usually reads the same one.
  bool causalMask(Value mask, CausalForm form, const SymDim& seq) const {
    auto key = std::make_pair(mask.getAsOpaquePointer(), static_cast<int>(form));
    auto [it, inserted] = causalCache.try_emplace(key, false);
    if (inserted) it->second = isCausalMask(mask, form, seq, shapes);
    return it->second;
  }

  const SymbolicShapes& shapes;
  mutable std::map<std::pair<const void*, int>, bool> causalCache;
};

/// Everything the fused op is built from, found before anything is rewritten (the shapes are
/// those of the graph as it stands).
struct AttentionMatch {
  MatMulOp out;
  HeadsFirst q, k, v;
  Value keyBias;
  double scale = 1.0;
  bool causal = false;
};

std::optional<AttentionMatch> matchAttention(MatMulOp out, const AttentionMatcher& matcher) {
  AttentionMatch match;
  match.out = out;
  auto softmax = out.getLhs().getDefiningOp<SoftmaxOp>();
  if (!softmax || !softmax->hasOneUse() || !out.getType().getElementType().isF32() ||
      static_cast<int64_t>(softmax.getAxis()) != rankedType(softmax.getInput()).getRank() - 1)
    return std::nullopt;
  std::optional<HeadsFirst> v = matcher.resolve(out.getRhs(), /*allowRepeat=*/true,
                                                /*allowRope=*/false);
  if (!v) return std::nullopt;
  match.v = *v;

  // The masks, in any order; an add or where left over is a mask the fused op cannot take.
  Value scores = softmax.getInput();
  while (matcher.peelMask(scores, match.causal, match.keyBias)) {
  }
  if (scores.getDefiningOp<WhereOp>() || scores.getDefiningOp<AddOp>()) return std::nullopt;

  // The scale.
  if (auto div = scores.getDefiningOp<DivOp>()) {
    std::optional<float> c = scalarConstant(div.getRhs());
    if (!c || *c == 0.0f || !div->hasOneUse()) return std::nullopt;
    match.scale = 1.0 / *c;
    scores = div.getLhs();
  } else if (auto mul = scores.getDefiningOp<MulOp>()) {
    std::optional<float> c = scalarConstant(mul.getRhs());
    Value other = mul.getLhs();
    if (!c) {
      c = scalarConstant(mul.getLhs());
      other = mul.getRhs();
    }
    if (!c || !mul->hasOneUse()) return std::nullopt;
    match.scale = *c;
    scores = other;
  }

  auto product = scores.getDefiningOp<MatMulOp>();
  if (!product || !product->hasOneUse()) return std::nullopt;
  std::optional<HeadsFirst> q = matcher.resolve(product.getLhs(), false, true);
  std::optional<HeadsFirst> k;
  if (Value direct = transposedFrom(product.getRhs(), {0, 2, 3, 1}))
    k = HeadsFirst{direct, nullptr, nullptr};
  else if (Value kT = transposedFrom(product.getRhs(), {0, 1, 3, 2}))
    k = matcher.resolve(kT, true, true);
  if (!q || !k || q->cos != k->cos || q->sin != k->sin) return std::nullopt;
  if (attentionShapeError(rankedType(q->inPlace), rankedType(k->inPlace), rankedType(v->inPlace)))
    return std::nullopt;
  match.q = *q;
  match.k = *k;
  return match;
}

void rewriteAttention(AttentionMatch match, OpBuilder& builder) {
  builder.setInsertionPoint(match.out);
  Location loc = match.out.getLoc();
  auto flatten = [&](Value table, ArrayRef<int64_t> spec, ArrayRef<int64_t> dims) -> Value {
    auto type = RankedTensorType::get(dims, rankedType(table).getElementType());
    return builder.create<ReshapeOp>(loc, type, table, builder.getDenseI64ArrayAttr(spec));
  };
  Value cos, sin, bias;
  if (match.q.cos) {
    auto kType = rankedType(match.k.inPlace);
    int64_t len = kType.getDimSize(1), dim = kType.getDimSize(3);
    cos = flatten(match.q.cos, {-1, dim}, {len, dim});
    sin = flatten(match.q.sin, {-1, dim}, {len, dim});
  }
  if (match.keyBias) {
    auto type = rankedType(match.keyBias);
    bias = flatten(match.keyBias, {0, -1}, {type.getDimSize(0), type.getDimSize(3)});
  }
  Value attention = builder.create<AttentionOp>(
      loc, match.q.inPlace.getType(), match.q.inPlace, match.k.inPlace, match.v.inPlace, cos,
      sin, bias, builder.getF32FloatAttr(static_cast<float>(match.scale)),
      builder.getBoolAttr(match.causal), /*kv_cache=*/nullptr);
  Value heads = builder.create<TransposeOp>(loc, attention, ArrayRef<int64_t>{0, 2, 1, 3});
  match.out.getResult().replaceAllUsesWith(heads);
}

struct FuseAttentionPass : public llmopt::impl::FuseAttentionBase<FuseAttentionPass> {
  using FuseAttentionBase::FuseAttentionBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Without symbolic shapes (a function whose dims name no symbols, say) only the forms that
    // need none fuse: no mask, no RoPE, no repeat. Their diagnostics are not this pass's errors.
    SymbolicShapes shapes;
    {
      ScopedDiagnosticHandler quiet(&getContext(), [](Diagnostic&) { return success(); });
      if (FailureOr<SymbolicShapes> inferred = inferSymbolicShapes(func); succeeded(inferred))
        shapes = std::move(*inferred);
    }
    // Match everything first, then rewrite: the shapes describe the graph as it was.
    AttentionMatcher matcher(shapes);
    std::vector<AttentionMatch> matches;
    func.walk([&](MatMulOp out) {
      if (std::optional<AttentionMatch> match = matchAttention(out, matcher))
        matches.push_back(*match);
    });
    if (matches.empty()) return;
    OpBuilder builder(&getContext());
    for (AttentionMatch& match : matches) rewriteAttention(match, builder);
    // The unfused ops are dead now.
    for (Operation& op : llvm::make_early_inc_range(llvm::reverse(func.getBody().front())))
      if (isOpTriviallyDead(&op)) op.erase();
  }
};

}  // namespace
