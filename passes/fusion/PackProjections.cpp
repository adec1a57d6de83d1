//===- PackProjections.cpp - projections of one input stacked into one linear ===//
//
//   attention(reshape(q(x)), reshape(k(x)), reshape(v(x)))
//       → packed_attention(reshape(qkv(x)))                              (qkv)
//   attention(reshape(slice(p)), reshape(slice(p)), reshape(slice(p)))
//       → packed_attention(reshape(p))                                   (qkv, GPT-2's form)
//   silu(gate(x)) · up(x)  → gate_up(x) {activation = "swiglu"}          (gate-up)
//
// where q, k, v, gate, up are linears (fp32 or quantized alike) whose rows are stacked into the
// packed layer's weight, scales, offsets and bias.
//
//===----------------------------------------------------------------------===//
#include "ir/ConstantFolding.h"
#include "ir/LLMOptOps.h"
#include "passes/Passes.h"
#include "passes/compression/LinearWeights.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace llmopt {
#define GEN_PASS_DEF_PACKPROJECTIONS
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

RankedTensorType rankedType(Value value) { return value.getType().cast<RankedTensorType>(); }

/// The constant `value` holds, or null.
ElementsAttr constantOf(Value value) {
  auto constant = value ? value.getDefiningOp<ConstantOp>() : ConstantOp();
  return constant ? constant.getValue() : ElementsAttr();
}

/// A layer a packing may stack: an llmopt.linear with a constant f32 weight and bias, or an
/// llmopt.quantized_linear with constant storage, whose result has one use and no residual.
/// Its activation must be "none" (the caller allows the gate's "silu").
struct Projection {
  Operation* op = nullptr;
  Value input;
  StringRef activation;
  std::vector<float> weight;  // an fp32 linear's weight, row-major [N, K] (read once)
};

std::optional<Projection> projectionDefining(Value value) {
  Operation* op = value.getDefiningOp();
  if (!op || !value.hasOneUse()) return std::nullopt;
  if (auto linear = dyn_cast<LinearOp>(op)) {
    if (linear.getResidual() || !rankedType(linear).getElementType().isF32() ||
        (linear.getBias() && !constantOf(linear.getBias())))
      return std::nullopt;
    std::optional<std::vector<float>> weight = readLinearWeight(linear);
    if (!weight) return std::nullopt;
    return Projection{op, linear.getInput(), linear.getActivation(), std::move(*weight)};
  }
  if (auto q = dyn_cast<QuantizedLinearOp>(op)) {
    for (Value storage : {q.getWeight(), q.getScale(), q.getOffset(), q.getBias()})
      if (storage && !constantOf(storage)) return std::nullopt;
    if (q.getResidual()) return std::nullopt;
    return Projection{op, q.getInput(), q.getActivation(), {}};
  }
  return std::nullopt;
}

/// Whether `layers` read one input and can share one weight: all fp32, or all quantized in one
/// mode and group size; biases (and scales, offsets) on all of them or on none.
bool stackable(ArrayRef<Projection> layers) {
  const Projection& first = layers.front();
  auto operandsPresent = [](Operation* op) {
    if (auto linear = dyn_cast<LinearOp>(op)) return SmallVector<bool>{bool(linear.getBias())};
    auto q = cast<QuantizedLinearOp>(op);
    return SmallVector<bool>{bool(q.getScale()), bool(q.getOffset()), bool(q.getBias())};
  };
  for (const Projection& layer : layers.drop_front()) {
    if (layer.input != first.input || layer.op == first.op ||
        layer.op->getName() != first.op->getName() ||
        operandsPresent(layer.op) != operandsPresent(first.op))
      return false;
    if (auto q = dyn_cast<QuantizedLinearOp>(layer.op)) {
      auto q0 = cast<QuantizedLinearOp>(first.op);
      if (q.getMode() != q0.getMode() || q.getGroupSize() != q0.getGroupSize()) return false;
    }
  }
  return true;
}

/// The constants `parts` (row-major, dim 0 the output feature) stacked along dim 0.
Value stackRows(PatternRewriter& rewriter, Location loc, ArrayRef<Value> parts) {
  auto first = rankedType(parts.front());
  SmallVector<int64_t> shape(first.getShape());
  shape[0] = 0;
  std::vector<char> bytes;
  for (Value part : parts) {
    shape[0] += rankedType(part).getDimSize(0);
    std::optional<std::vector<char>> raw = getExpandedRawBytes(constantOf(part));
    bytes.insert(bytes.end(), raw->begin(), raw->end());
  }
  auto type = RankedTensorType::get(shape, first.getElementType());
  return rewriter.create<ConstantOp>(loc, makeRawConstant(type, bytes, "packed"));
}

/// The name of a layer packing layers of these names: "a+b" with the path components they share
/// written once, "/l.0/attn/{q_proj+k_proj+v_proj}/MatMul".
std::string packedName(ArrayRef<std::string> names) {
  StringRef first = names.front();
  size_t prefix = first.size(), suffix = first.size();
  for (StringRef name : names.drop_front()) {
    size_t p = 0, s = 0;
    while (p < std::min(prefix, name.size()) && first[p] == name[p]) ++p;
    while (s < std::min(suffix, name.size()) && first.end()[-1 - s] == name.end()[-1 - s]) ++s;
    prefix = p;
    suffix = s;
  }
  // Whole path components only: the prefix ends after a '/', the suffix starts with one.
  prefix = first.substr(0, prefix).rfind('/') + 1;  // npos + 1 = 0: nothing shared
  size_t slash = first.substr(first.size() - suffix).find('/');
  suffix = slash == StringRef::npos ? 0 : suffix - slash;
  for (StringRef name : names)
    if (prefix + suffix >= name.size()) prefix = suffix = 0;  // a name would be left empty
  std::string middle;
  for (StringRef name : names)
    middle += (middle.empty() ? "" : "+") +
              name.drop_front(prefix).drop_back(suffix).str();
  if (prefix == 0 && suffix == 0) return middle;
  return first.take_front(prefix).str() + "{" + middle + "}" + first.take_back(suffix).str();
}

/// One layer computing what `layers` compute, their rows stacked in order, with `activation`
/// in its epilogue; named after its parts (packedName).
Value buildPacked(PatternRewriter& rewriter, ArrayRef<Projection> layers, StringRef activation) {
  SmallVector<std::string> names;
  SmallVector<Location> locs;
  for (const Projection& layer : layers) {
    names.push_back(layerName(layer.op));
    locs.push_back(layer.op->getLoc());
  }
  Location loc = NameLoc::get(rewriter.getStringAttr(packedName(names)),
                              rewriter.getFusedLoc(locs));
  rewriter.setInsertionPoint(layers.back().op);
  auto stacked = [&](auto operandOf) -> Value {
    SmallVector<Value> parts;
    for (const Projection& layer : layers) parts.push_back(operandOf(layer.op));
    return !parts.empty() && parts.front() ? stackRows(rewriter, loc, parts) : Value();
  };

  if (isa<LinearOp>(layers.front().op)) {
    std::vector<float> weight;
    int64_t rows = 0, k = 0;
    for (const Projection& layer : layers) {
      auto linear = cast<LinearOp>(layer.op);
      rows += rankedType(linear.getWeight()).getDimSize(0);
      k = rankedType(linear.getInput()).getShape().back();
      weight.insert(weight.end(), layer.weight.begin(), layer.weight.end());
    }
    auto weightType = RankedTensorType::get({rows, k}, rewriter.getF32Type());
    Value w = rewriter.create<ConstantOp>(loc, makeFloatConstant(weightType, weight, "packed"));
    Value bias = stacked([](Operation* op) { return cast<LinearOp>(op).getBias(); });
    return rewriter.create<LinearOp>(loc, layers.front().input, w, bias, Value(), activation);
  }
  auto first = cast<QuantizedLinearOp>(layers.front().op);
  // Each storage operand of the layers, stacked (null where the layers have none).
  auto field = [&](auto get) {
    return stacked([get](Operation* op) -> Value { return get(cast<QuantizedLinearOp>(op)); });
  };
  return rewriter.create<QuantizedLinearOp>(
      loc, first.getInput(), field([](QuantizedLinearOp q) { return q.getWeight(); }),
      field([](QuantizedLinearOp q) { return q.getScale(); }),
      field([](QuantizedLinearOp q) { return q.getOffset(); }),
      field([](QuantizedLinearOp q) { return q.getBias(); }), Value(), first.getModeAttr(),
      first.getGroupSizeAttr(), rewriter.getStringAttr(activation));
}

/// [B, S, H·D] → [B, S, H, D]: a reshape splitting the last dim into heads, with one use.
/// Returns its input.
Value headSplitInput(Value heads) {
  auto reshape = heads.getDefiningOp<ReshapeOp>();
  if (!reshape || !reshape->hasOneUse()) return Value();
  auto in = rankedType(reshape.getInput()), out = rankedType(heads);
  if (in.getRank() != 3 || out.getRank() != 4 || in.isDynamicDim(2) || out.isDynamicDim(2) ||
      out.isDynamicDim(3) || in.getDimSize(2) != out.getDimSize(2) * out.getDimSize(3))
    return Value();
  ArrayRef<int64_t> spec = reshape.getShape();
  if (spec.size() != 4 || spec[0] != 0 || spec[1] != 0) return Value();  // B and S kept
  return reshape.getInput();
}

/// `packed` [B, S, (H + 2·Hkv)·D] reshaped to heads and attended to, replacing `attention`.
void replaceByPackedAttention(PatternRewriter& rewriter, AttentionOp attention, Value packed) {
  auto k = rankedType(attention.getKey());
  int64_t kvHeads = k.getDimSize(2), d = k.getDimSize(3);
  int64_t heads = rankedType(attention.getQuery()).getDimSize(2);
  rewriter.setInsertionPoint(attention);
  Value qkv = rewriter.create<ReshapeOp>(
      attention.getLoc(), packed,
      rewriter.getDenseI64ArrayAttr({0, 0, heads + 2 * kvHeads, d}));
  rewriter.replaceOpWithNewOp<PackedAttentionOp>(
      attention, qkv, attention.getRopeCos(), attention.getRopeSin(), attention.getKeyBias(),
      rewriter.getI64IntegerAttr(kvHeads), attention.getScaleAttr(), attention.getCausalAttr(),
      attention.getKvCacheAttr());
}

/// attention(reshape(q(x)), reshape(k(x)), reshape(v(x))) → packed_attention(reshape(qkv(x))).
struct PackQkvProjections : public OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp attention, PatternRewriter& rewriter) const override {
    SmallVector<Projection> layers;
    SmallVector<Operation*> reshapes;
    for (Value heads : {attention.getQuery(), attention.getKey(), attention.getValue()}) {
      Value product = headSplitInput(heads);
      std::optional<Projection> layer = product ? projectionDefining(product) : std::nullopt;
      if (!layer || layer->activation != "none")
        return rewriter.notifyMatchFailure(attention, "q, k or v is not a head-split linear");
      layers.push_back(*layer);
      reshapes.push_back(heads.getDefiningOp());
    }
    if (reshapes[0] == reshapes[1] || reshapes[1] == reshapes[2] || reshapes[0] == reshapes[2] ||
        !stackable(layers))
      return rewriter.notifyMatchFailure(attention, "the projections cannot share a weight");
    Value packed = buildPacked(rewriter, layers, "none");
    replaceByPackedAttention(rewriter, attention, packed);
    for (Operation* reshape : reshapes) rewriter.eraseOp(reshape);
    for (const Projection& layer : layers) rewriter.eraseOp(layer.op);
    return success();
  }
};

/// attention of head-split reshapes of consecutive last-axis slices [0, H·D), [H·D, (H+Hkv)·D),
/// [(H+Hkv)·D, (H+2·Hkv)·D) of one tensor p that holds nothing else → packed_attention(p).
struct FoldSlicedQkv : public OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp attention, PatternRewriter& rewriter) const override {
    Value packed;
    int64_t expectedStart = 0;
    SmallVector<Operation*> dead;
    for (Value heads : {attention.getQuery(), attention.getKey(), attention.getValue()}) {
      Value part = headSplitInput(heads);
      auto slice = part ? part.getDefiningOp<SliceOp>() : SliceOp();
      if (!slice || !slice->hasOneUse())
        return rewriter.notifyMatchFailure(attention, "q, k or v is not a head-split slice");
      auto input = rankedType(slice.getInput());
      auto start = slice.getStarts().size() == 1
                       ? slice.getStarts()[0].dyn_cast<IntegerAttr>()
                       : IntegerAttr();
      if (slice.getAxes() != ArrayRef<int64_t>{2} || slice.getSteps() != ArrayRef<int64_t>{1} ||
          input.getRank() != 3 || !start || start.getInt() != expectedStart ||
          (packed && slice.getInput() != packed))
        return rewriter.notifyMatchFailure(attention, "not consecutive slices of one tensor");
      packed = slice.getInput();
      expectedStart += rankedType(part).getDimSize(2);
      dead.append({heads.getDefiningOp(), slice});
    }
    auto packedType = rankedType(packed);
    if (packedType.isDynamicDim(2) || packedType.getDimSize(2) != expectedStart)
      return rewriter.notifyMatchFailure(attention, "the slices do not cover the tensor");
    replaceByPackedAttention(rewriter, attention, packed);
    for (Operation* op : dead) rewriter.eraseOp(op);
    return success();
  }
};

/// silu(gate(x)) · up(x) → gate_up(x) {activation = "swiglu"}, the SiLU standalone or already
/// in the gate's epilogue.
struct PackGateUp : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp mul, PatternRewriter& rewriter) const override {
    for (auto [gated, other] : {std::pair(mul.getLhs(), mul.getRhs()),
                                std::pair(mul.getRhs(), mul.getLhs())}) {
      Operation* silu = gated.getDefiningOp<SiluOp>();
      if (silu && !silu->hasOneUse()) continue;
      std::optional<Projection> gate =
          projectionDefining(silu ? silu->getOperand(0) : gated);
      std::optional<Projection> up = projectionDefining(other);
      if (!gate || !up || gate->activation != (silu ? "none" : "silu") ||
          up->activation != "none" || gated.getType() != mul.getType() ||
          other.getType() != mul.getType())
        continue;
      SmallVector<Projection> layers{*gate, *up};
      if (!stackable(layers)) continue;
      Value packed = buildPacked(rewriter, layers, "swiglu");
      rewriter.replaceOp(mul, packed);
      if (silu) rewriter.eraseOp(silu);
      rewriter.eraseOp(gate->op);
      rewriter.eraseOp(up->op);
      return success();
    }
    return rewriter.notifyMatchFailure(mul, "not silu(gate(x)) · up(x) of stackable linears");
  }
};

struct PackProjectionsPass : public llmopt::impl::PackProjectionsBase<PackProjectionsPass> {
  using PackProjectionsBase::PackProjectionsBase;

  void runOnOperation() override {
    for (const std::string& name : disable)
      if (name != "qkv" && name != "gate-up") {
        getOperation().emitError() << "llmopt-pack-projections: unknown packing '" << name
                                   << "' in disable (expected qkv or gate-up)";
        return signalPassFailure();
      }
    auto disabled = [&](StringRef name) { return llvm::is_contained(disable, name.str()); };
    MLIRContext* context = &getContext();
    RewritePatternSet patterns(context);
    if (!disabled("qkv")) patterns.add<PackQkvProjections, FoldSlicedQkv>(context);
    if (!disabled("gate-up")) patterns.add<PackGateUp>(context);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

}  // namespace
