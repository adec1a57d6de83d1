//===- Prune.cpp - llmopt-prune: structured pruning of heads and FFN channels ===//
//
// Finds the blocks whose units can go together (an MLP's intermediate channels, an attention's
// heads), scores the units, and rewrites the block's weights, biases, reshapes and types to the
// units kept. See Passes.td for what each block looks like.
//
//===----------------------------------------------------------------------===//
#include "ir/ConstantFolding.h"
#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"
#include "passes/Passes.h"
#include "passes/compression/LayerRules.h"
#include "passes/compression/LayerStatistics.h"
#include "passes/compression/LinearWeights.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace llmopt {
#define GEN_PASS_DEF_PRUNE
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

/// A linear layer's constant weight [N, K] and bias [N] (empty when it has none).
struct LinearParams {
  LinearOp op;
  int64_t n = 0, k = 0;
  std::vector<float> weight;
  std::vector<float> bias;
};

std::optional<LinearParams> readParams(LinearOp linear) {
  std::optional<std::vector<float>> w = readLinearWeight(linear);
  auto type = linear.getWeight().getType().cast<RankedTensorType>();
  if (!w || !type.hasStaticShape()) return std::nullopt;
  LinearParams p;
  p.op = linear;
  p.n = type.getDimSize(0);
  p.k = type.getDimSize(1);
  p.weight = std::move(*w);
  if (Value bias = linear.getBias()) {
    auto constant = bias.getDefiningOp<ConstantOp>();
    std::optional<std::vector<float>> b =
        constant ? getFloatValues(constant.getValue()) : std::nullopt;
    if (!b || static_cast<int64_t>(b->size()) != p.n) return std::nullopt;
    p.bias = std::move(*b);
  }
  return p;
}

/// ||rows [begin, end) of W||_F.
double rowsNorm(const LinearParams& p, int64_t begin, int64_t end) {
  double sum = 0;
  for (int64_t i = begin * p.k; i < end * p.k; ++i) sum += double(p.weight[i]) * p.weight[i];
  return std::sqrt(sum);
}

/// ||columns [begin, end) of W||_F.
double columnsNorm(const LinearParams& p, int64_t begin, int64_t end) {
  double sum = 0;
  for (int64_t i = 0; i < p.n; ++i)
    for (int64_t j = begin; j < end; ++j) {
      const double w = p.weight[i * p.k + j];
      sum += w * w;
    }
  return std::sqrt(sum);
}

Value floatConstant(OpBuilder& builder, Location loc, ArrayRef<int64_t> shape,
                    ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  return builder.create<ConstantOp>(loc, makeFloatConstant(type, values, "pruned"));
}

/// Keeps rows [r·unit, (r+1)·unit) of W and b for every r in `units` (ascending).
void keepRows(LinearParams& p, ArrayRef<int64_t> units, int64_t unit) {
  std::vector<float> weight, bias;
  for (int64_t r : units)
    for (int64_t i = r * unit; i < (r + 1) * unit; ++i) {
      weight.insert(weight.end(), p.weight.begin() + i * p.k, p.weight.begin() + (i + 1) * p.k);
      if (!p.bias.empty()) bias.push_back(p.bias[i]);
    }
  OpBuilder builder(p.op);
  const int64_t n = static_cast<int64_t>(units.size()) * unit;
  Value oldWeight = p.op.getWeight(), oldBias = p.op.getBias();
  p.op.getWeightMutable().assign(floatConstant(builder, p.op.getLoc(), {n, p.k}, weight));
  eraseIfUnused(oldWeight);
  if (oldBias) {
    p.op.getBiasMutable().assign(floatConstant(builder, p.op.getLoc(), {n}, bias));
    eraseIfUnused(oldBias);
  }
}

/// Keeps columns [c·unit, (c+1)·unit) of W for every c in `units` (ascending).
void keepColumns(LinearParams& p, ArrayRef<int64_t> units, int64_t unit) {
  const int64_t k = static_cast<int64_t>(units.size()) * unit;
  std::vector<float> weight;
  weight.reserve(p.n * k);
  for (int64_t i = 0; i < p.n; ++i)
    for (int64_t c : units)
      for (int64_t j = c * unit; j < (c + 1) * unit; ++j) weight.push_back(p.weight[i * p.k + j]);
  OpBuilder builder(p.op);
  Value oldWeight = p.op.getWeight();
  p.op.getWeightMutable().assign(floatConstant(builder, p.op.getLoc(), {p.n, k}, weight));
  eraseIfUnused(oldWeight);
}

/// `value`'s type with its last dim (or, for `fromEnd` = 2, the one before) set to `size`.
void setDim(Value value, int64_t size, int fromEnd = 1) {
  auto type = value.getType().cast<RankedTensorType>();
  SmallVector<int64_t> shape(type.getShape());
  shape[shape.size() - fromEnd] = size;
  value.setType(RankedTensorType::get(shape, type.getElementType()));
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

bool isElementwiseActivation(Operation* op) {
  return isa<GeluOp, SiluOp, ReluOp, TanhOp, SigmoidOp>(op);
}

/// A reshape that keeps the last dim (and its size) where it is: only the leading dims change,
/// as exporters flatten [B, S, F] to [B·S, F] around a matmul (GPT-2's Conv1D).
bool keepsLastDim(Operation* op) {
  if (!isa<ReshapeOp, ReshapeToOp>(op)) return false;
  auto in = op->getOperand(0).getType().cast<RankedTensorType>();
  auto out = op->getResult(0).getType().cast<RankedTensorType>();
  if (in.getRank() < 1 || out.getRank() < 1 || in.isDynamicDim(in.getRank() - 1) ||
      in.getDimSize(in.getRank() - 1) != out.getDimSize(out.getRank() - 1))
    return false;
  if (auto reshape = dyn_cast<ReshapeOp>(op))
    return reshape.getShape().back() == in.getDimSize(in.getRank() - 1);
  auto last = cast<ReshapeToOp>(op).getShape().getValue().back().dyn_cast<IntegerAttr>();
  return last && last.getInt() == in.getDimSize(in.getRank() - 1);
}

/// `shape` (integers and symbolic dims) with its last entry, an integer, set to `size`.
ArrayAttr withLastDim(ArrayAttr shape, int64_t size) {
  SmallVector<Attribute> dims(shape.getValue());
  dims.back() = IntegerAttr::get(dims.back().cast<IntegerAttr>().getType(), size);
  return ArrayAttr::get(shape.getContext(), dims);
}

/// Gives an op that keeps the channels in its last dim (a reshape of the leading dims, an
/// elementwise op, a last-axis slice) `channels` there: its result type, and a reshape's or a
/// slice's shape.
void setChannels(Operation* op, int64_t channels) {
  if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    SmallVector<int64_t> shape(reshape.getShape());
    shape.back() = channels;
    reshape.setShapeAttr(DenseI64ArrayAttr::get(op->getContext(), shape));
  } else if (auto reshape = dyn_cast<ReshapeToOp>(op)) {
    reshape.setShapeAttr(withLastDim(reshape.getShape(), channels));
  } else if (auto slice = dyn_cast<SliceOp>(op)) {
    slice.setShapeAttr(withLastDim(slice.getShape(), channels));
  }
  setDim(op->getResult(0), channels);
}

/// A head-split reshape [.., H·D] -> [.., H, D] made to split into `heads` heads.
void setHeads(ReshapeOp split, int64_t heads) {
  SmallVector<int64_t> shape(split.getShape());
  shape[shape.size() - 2] = heads;
  split.setShapeAttr(DenseI64ArrayAttr::get(split.getContext(), shape));
  setDim(split.getResult(), heads, 2);
}

/// An MLP: `producers` (up, and gate for SwiGLU) make the channels, `between` are the
/// elementwise ops (and reshapes of the leading dims) from them to `down`, which reads the
/// channels as its input features.
struct FfnBlock {
  SmallVector<LinearOp, 2> producers;
  SmallVector<Operation*, 3> between;
  LinearOp down;
};

/// The linear making `value` through single-use elementwise activations and reshapes of the
/// leading dims, or null.
LinearOp producerThrough(Value value, SmallVectorImpl<Operation*>& between) {
  Operation* op = value.getDefiningOp();
  while (op && (isElementwiseActivation(op) || keepsLastDim(op)) && op->getResult(0).hasOneUse()) {
    between.push_back(op);
    op = op->getOperand(0).getDefiningOp();
  }
  auto linear = dyn_cast_or_null<LinearOp>(op);
  if (!linear || !linear.getResult().hasOneUse() || linear.getResidual() ||
      linear.getActivation() == "swiglu")
    return nullptr;
  return linear;
}

std::optional<FfnBlock> matchFfn(LinearOp down) {
  FfnBlock block;
  block.down = down;
  Value h = down.getInput();
  if (!h.hasOneUse()) return std::nullopt;
  // Reshapes of the leading dims between the channels' last op and down.
  for (Operation* op = h.getDefiningOp(); op && keepsLastDim(op) && op->getOperand(0).hasOneUse();
       op = h.getDefiningOp()) {
    block.between.push_back(op);
    h = op->getOperand(0);
  }
  if (auto mul = h.getDefiningOp<MulOp>()) {
    if (mul.getLhs().getType() != mul.getRhs().getType() || mul.getLhs().getType() != h.getType())
      return std::nullopt;
    block.between.push_back(mul);
    for (Value side : {mul.getLhs(), mul.getRhs()}) {
      LinearOp producer = producerThrough(side, block.between);
      if (!producer) return std::nullopt;
      block.producers.push_back(producer);
    }
  } else if (LinearOp producer = producerThrough(h, block.between)) {
    block.producers.push_back(producer);
  } else {
    return std::nullopt;
  }
  return block;
}

/// Q, K and V projections split into heads, the attention, and the output projection reading
/// the merged heads.
struct HeadBlock {
  LinearOp q, k, v, out;  // packed: q, k and v are the one projection making all three
  ReshapeOp qSplit, kSplit, vSplit, merge;
  AttentionOp attention;
  int64_t heads = 0, kvHeads = 0, dim = 0;
  // GPT-2's form: Q, K and V are consecutive last-axis slices of one projection's output,
  // reached through reshapes of the leading dims.
  bool packed = false;
  SmallVector<Operation*, 2> packedReshapes;
  SliceOp qSlice, kSlice, vSlice;
  SmallVector<Operation*, 2> afterMerge;  // reshapes of the leading dims from merge to out
};

/// A projection whose output rows may be cut: no residual, no epilogue activation.
bool plainProjection(LinearOp linear) {
  return linear && linear.getResult().hasOneUse() && !linear.getResidual() &&
         linear.getActivation() == "none";
}

/// `value` = reshape(x) splitting the last dim N of x into [H, D]: the reshape, or null.
ReshapeOp headSplit(Value value) {
  auto reshape = value.getDefiningOp<ReshapeOp>();
  if (!reshape || !value.hasOneUse()) return ReshapeOp();
  auto in = reshape.getInput().getType().cast<RankedTensorType>();
  auto out = value.getType().cast<RankedTensorType>();
  if (out.getRank() != in.getRank() + 1 || in.isDynamicDim(in.getRank() - 1) ||
      out.isDynamicDim(out.getRank() - 1) || out.isDynamicDim(out.getRank() - 2) ||
      out.getDimSize(out.getRank() - 1) * out.getDimSize(out.getRank() - 2) !=
          in.getDimSize(in.getRank() - 1))
    return ReshapeOp();
  ArrayRef<int64_t> shape = reshape.getShape();
  if (shape[shape.size() - 1] != out.getDimSize(out.getRank() - 1) ||
      shape[shape.size() - 2] != out.getDimSize(out.getRank() - 2))
    return ReshapeOp();
  return reshape;
}

/// `value` = reshape(linear(x)) splitting the last dim N into [H, D]: the two ops, or nothing.
std::optional<std::pair<ReshapeOp, LinearOp>> matchSplit(Value value) {
  ReshapeOp reshape = headSplit(value);
  auto linear = reshape ? reshape.getInput().getDefiningOp<LinearOp>() : LinearOp();
  if (!plainProjection(linear)) return std::nullopt;
  return std::make_pair(reshape, linear);
}

/// The integer start of a one-axis slice along the last axis with step 1, or -1.
int64_t lastAxisStart(SliceOp slice) {
  auto type = slice.getInput().getType().cast<RankedTensorType>();
  auto start = slice.getStarts().size() == 1 ? slice.getStarts()[0].dyn_cast<IntegerAttr>()
                                             : IntegerAttr();
  if (!start || slice.getAxes() != ArrayRef<int64_t>{type.getRank() - 1} ||
      slice.getSteps() != ArrayRef<int64_t>{1})
    return -1;
  return start.getInt();
}

/// GPT-2's form: query, key and value head-split reshapes of the slices [0, H·D), [H·D, 2·H·D),
/// [2·H·D, 3·H·D) of one tensor that a plain projection makes (through reshapes of the leading
/// dims) and that nothing else reads. Fills the packed fields of `block`.
bool matchPackedSplits(AttentionOp attention, HeadBlock& block) {
  Value packed;
  int64_t expected = 0;
  SmallVector<ReshapeOp, 3> splits;
  SmallVector<SliceOp, 3> slices;
  for (Value heads : {attention.getQuery(), attention.getKey(), attention.getValue()}) {
    ReshapeOp split = headSplit(heads);
    auto slice = split ? split.getInput().getDefiningOp<SliceOp>() : SliceOp();
    if (!slice || !slice.getResult().hasOneUse() || lastAxisStart(slice) != expected ||
        (packed && slice.getInput() != packed))
      return false;
    packed = slice.getInput();
    expected += split.getInput().getType().cast<RankedTensorType>().getShape().back();
    splits.push_back(split);
    slices.push_back(slice);
  }
  auto packedType = packed.getType().cast<RankedTensorType>();
  if (packedType.isDynamicDim(packedType.getRank() - 1) ||
      packedType.getShape().back() != expected ||
      std::distance(packed.getUses().begin(), packed.getUses().end()) != 3)
    return false;
  SmallVector<Operation*, 2> reshapes;
  Operation* op = packed.getDefiningOp();
  while (op && keepsLastDim(op) && op->getOperand(0).hasOneUse()) {
    reshapes.push_back(op);
    op = op->getOperand(0).getDefiningOp();
  }
  // The projection's only readers are the three slices (directly, or through the reshapes).
  auto linear = dyn_cast_or_null<LinearOp>(op);
  if (!linear || (!reshapes.empty() && !plainProjection(linear)) || linear.getResidual() ||
      linear.getActivation() != "none")
    return false;
  block.q = block.k = block.v = linear;
  block.qSplit = splits[0];
  block.kSplit = splits[1];
  block.vSplit = splits[2];
  block.qSlice = slices[0];
  block.kSlice = slices[1];
  block.vSlice = slices[2];
  block.packedReshapes = reshapes;
  block.packed = true;
  return true;
}

std::optional<HeadBlock> matchHeads(AttentionOp attention) {
  HeadBlock block;
  block.attention = attention;
  if (!attention.getResult().hasOneUse()) return std::nullopt;
  auto q = matchSplit(attention.getQuery()), k = matchSplit(attention.getKey()),
       v = matchSplit(attention.getValue());
  if (q && k && v) {
    std::tie(block.qSplit, block.q) = *q;
    std::tie(block.kSplit, block.k) = *k;
    std::tie(block.vSplit, block.v) = *v;
  } else if (!matchPackedSplits(attention, block)) {
    return std::nullopt;
  }
  auto merge = dyn_cast<ReshapeOp>(*attention.getResult().getUsers().begin());
  if (!merge || !merge.getResult().hasOneUse()) return std::nullopt;
  // GPT-2's Conv1D flattens the merged heads to [B·S, H·D] before the projection.
  Value merged = merge.getResult();
  Operation* user = *merged.getUsers().begin();
  while (keepsLastDim(user) && user->getResult(0).hasOneUse()) {
    block.afterMerge.push_back(user);
    merged = user->getResult(0);
    user = *merged.getUsers().begin();
  }
  auto out = dyn_cast<LinearOp>(user);
  if (!out || out.getInput() != merged) return std::nullopt;
  auto qType = attention.getQuery().getType().cast<RankedTensorType>();
  auto kType = attention.getKey().getType().cast<RankedTensorType>();
  auto mergedType = merge.getResult().getType().cast<RankedTensorType>();
  block.heads = qType.getDimSize(qType.getRank() - 2);
  block.kvHeads = kType.getDimSize(kType.getRank() - 2);
  block.dim = qType.getDimSize(qType.getRank() - 1);
  ArrayRef<int64_t> shape = merge.getShape();
  if (mergedType.getRank() != qType.getRank() - 1 || shape.back() != block.heads * block.dim ||
      block.kvHeads <= 0 || block.heads % block.kvHeads != 0 ||
      (block.packed && block.kvHeads != block.heads))  // packed grouped-query: not handled
    return std::nullopt;
  block.merge = merge;
  block.out = out;
  return block;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// The `count` indices with the highest scores, ascending (ties keep the lower index).
std::vector<int64_t> topUnits(const std::vector<double>& scores, int64_t count) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  order.resize(count);
  std::sort(order.begin(), order.end());
  return order;
}

/// Units kept of `total` when removing `fraction` of them, at least `minimum`.
int64_t keptCount(int64_t total, double fraction, int64_t minimum) {
  const int64_t removed = static_cast<int64_t>(std::llround(fraction * double(total)));
  return std::min(total, std::max(total - removed, std::max<int64_t>(minimum, 1)));
}

/// An MLP whose channels may go, scored. Only the scores are kept: the weights are read again
/// when the block is rewritten, so planning every block holds no second copy of the model.
struct FfnPlan {
  FfnBlock block;
  std::string name;            // of `down`
  std::vector<double> scores;  // per channel
  int64_t minimum = 1;         // channels kept at least
  int64_t keep = 0;            // channels kept (chosen)
};

/// An attention whose heads may go, scored (see FfnPlan).
struct HeadPlan {
  HeadBlock block;
  std::string name;            // of the output projection
  std::vector<double> scores;  // per query head
  int64_t minimum = 1;         // heads kept at least (grouped: a multiple of the groups)
  int64_t keep = 0;            // query heads kept (chosen; grouped: a multiple of the groups)

  int64_t group() const { return block.heads / block.kvHeads; }  // query heads per K/V head
};

/// One removable unit of a global ranking: `count` units of plan `plan`, worth `score` each.
struct RankedUnit {
  double score;
  size_t plan;
  int64_t count;
};

/// The mean of a block's scores (1 when they are all 0): a unit's score over it says how much
/// the unit weighs within its block.
double blockMean(const std::vector<double>& scores) {
  double sum = 0;
  for (double s : scores) sum += s;
  return sum > 0 ? sum / double(scores.size()) : 1.0;
}

/// Removes the lowest-scored units across all plans until `target` units are gone, never
/// taking plan p below `floor[p]` units of `total[p]`; returns the units each plan keeps.
/// A plan's units must come in ascending score order (as the caller lists them).
std::vector<int64_t> rankGlobally(std::vector<RankedUnit> units, const std::vector<int64_t>& total,
                                  const std::vector<int64_t>& floor, int64_t target) {
  std::stable_sort(units.begin(), units.end(),
                   [](const RankedUnit& a, const RankedUnit& b) { return a.score < b.score; });
  std::vector<int64_t> kept = total;
  int64_t removed = 0;
  for (const RankedUnit& unit : units) {
    if (removed + unit.count > target) continue;
    if (kept[unit.plan] - unit.count < floor[unit.plan]) continue;
    kept[unit.plan] -= unit.count;
    removed += unit.count;
  }
  return kept;
}

struct PrunePass : public llmopt::impl::PruneBase<PrunePass> {
  using PruneBase::PruneBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!parseOptions(module)) return signalPassFailure();
    stats.emplace(module);
    record = readModuleDictionary(module, kPruningAttr);

    SmallVector<AttentionOp> attentions;
    SmallVector<LinearOp> linears;
    module.walk([&](Operation* op) {
      if (auto attention = dyn_cast<AttentionOp>(op)) attentions.push_back(attention);
      if (auto linear = dyn_cast<LinearOp>(op)) linears.push_back(linear);
    });
    // Every block is scored before any is rewritten: a global ranking needs all the scores.
    std::vector<HeadPlan> headPlans;
    std::vector<FfnPlan> ffnPlans;
    bool ok = true;
    for (AttentionOp attention : attentions)
      if (std::optional<HeadBlock> block = matchHeads(attention)) ok &= planHeads(*block, headPlans);
    for (LinearOp down : linears)
      if (std::optional<FfnBlock> block = matchFfn(down)) ok &= planFfn(*block, ffnPlans);
    if (!ok) return signalPassFailure();
    if (global) {
      chooseGlobally(ffnPlans);
      chooseGlobally(headPlans);
    }
    for (const HeadPlan& plan : headPlans)
      if (plan.keep < static_cast<int64_t>(plan.scores.size())) applyHeads(plan);
    for (const FfnPlan& plan : ffnPlans)
      if (plan.keep < static_cast<int64_t>(plan.scores.size())) applyFfn(plan);

    stats->write(module);
    writeModuleDictionary(module, kPruningAttr, record);
  }

  bool parseOptions(ModuleOp module) {
    auto bad = [&](const Twine& message) {
      module.emitError() << "llmopt-prune: " << message;
      return false;
    };
    if (!(heads >= 0.0 && heads < 1.0))
      return bad("heads must be in [0, 1), got " + std::to_string(heads));
    if (!(ffn >= 0.0 && ffn < 1.0)) return bad("ffn must be in [0, 1), got " + std::to_string(ffn));
    activationCriterion = criterion.getValue() == "activation";
    if (!activationCriterion && criterion.getValue() != "magnitude")
      return bad("criterion must be magnitude or activation, got '" + criterion.getValue() + "'");
    if (activationCriterion && !module->hasAttr(kCalibrationRmsAttr))
      return bad("the activation criterion needs calibration statistics: compile with --calib "
                 "FILE (the module has no '" + kCalibrationRmsAttr + "' attribute)");
    if (minHeads < 1 || minFfnChannels < 1)
      return bad("min-heads and min-ffn-channels must be at least 1");
    if (global && (!headRules.empty() || !ffnRules.empty()))
      return bad("rules set a fraction per block; a global ranking spreads the fraction itself "
                 "(min-heads and min-ffn-channels still hold)");
    auto isFraction = [](double f) { return f >= 0.0 && f < 1.0; };
    std::string error;
    headFractions = GlobValueRules::parse(headRules, isFraction, "FRACTION with FRACTION in [0, 1)",
                                          error);
    if (headFractions)
      ffnFractions =
          GlobValueRules::parse(ffnRules, isFraction, "FRACTION with FRACTION in [0, 1)", error);
    if (!headFractions || !ffnFractions) return bad(error);
    return true;
  }

  /// The calibration RMS of `layer`'s K input channels; empty when there is none.
  std::vector<float> inputRms(const std::string& layer, int64_t k) const {
    DenseFPElementsAttr dense = stats->rms(layer, k);
    if (!dense) return {};
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }

  /// The activation criterion's statistics for `layer`, or an error naming it.
  bool needRms(Operation* op, const std::string& layer, int64_t k, std::vector<float>& out) {
    if (!activationCriterion) return true;
    out = inputRms(layer, k);
    if (!out.empty()) return true;
    op->emitError() << "llmopt-prune: no calibration statistics for layer '" << layer
                    << "' (the activation criterion needs them for every pruned layer)";
    return false;
  }

  /// Cuts `layer`'s calibration vectors to the channels kept and records the pruning.
  void recordPruning(const std::string& layer, StringRef kind, ArrayRef<int64_t> units,
                     int64_t unit, int64_t total) {
    std::vector<int64_t> channels;
    for (int64_t u : units)
      for (int64_t c = u * unit; c < (u + 1) * unit; ++c) channels.push_back(c);
    stats->keepChannels(layer, total * unit, channels);
    Builder b(&getContext());
    record.set(layer, b.getDictionaryAttr({b.getNamedAttr("kind", b.getStringAttr(kind)),
                                           b.getNamedAttr("kept", b.getDenseI64ArrayAttr(channels)),
                                           b.getNamedAttr("of", b.getI64IntegerAttr(total * unit))}));
  }

  /// Scores `block`'s channels and adds its plan (with the per-block fraction's keep) unless
  /// nothing of it would go. False after an error.
  bool planFfn(FfnBlock& block, std::vector<FfnPlan>& plans) {
    const std::string name = layerName(block.down);
    const double fraction = global ? ffn : ffnFractions->valueFor(name, ffn);
    std::optional<LinearParams> down = readParams(block.down);
    if (!down || fraction <= 0.0) return true;
    FfnPlan plan;
    SmallVector<LinearParams, 2> producers;
    for (LinearOp producer : block.producers) {
      std::optional<LinearParams> p = readParams(producer);
      if (!p || p->n != down->k) return true;  // not constant, or not the channels down reads
      producers.push_back(std::move(*p));
    }
    const int64_t channels = down->k;
    plan.minimum = std::max<int64_t>(1, std::min(channels, int64_t(minFfnChannels)));
    plan.keep = keptCount(channels, fraction, plan.minimum);
    if (!global && plan.keep == channels) return true;

    std::vector<float> act;
    if (!needRms(block.down, name, channels, act)) return false;
    plan.scores.resize(channels);
    for (int64_t j = 0; j < channels; ++j) {
      double score = columnsNorm(*down, j, j + 1);
      if (activationCriterion) {
        score *= act[j];
      } else {
        for (const LinearParams& p : producers) score *= rowsNorm(p, j, j + 1);
      }
      plan.scores[j] = score;
    }
    // A linear between two linears can look like the down of one block and the up of the
    // next; blocks are scored on the weights as they are now, so each linear goes to one block.
    if (!claim({block.down.getOperation(), block.producers[0].getOperation(),
                block.producers.back().getOperation()}))
      return true;
    plan.block = block;
    plan.name = name;
    plans.push_back(std::move(plan));
    return true;
  }

  /// Scores `block`'s heads and adds its plan (see planFfn).
  bool planHeads(HeadBlock& block, std::vector<HeadPlan>& plans) {
    const std::string name = layerName(block.out);
    const double fraction = global ? heads : headFractions->valueFor(name, heads);
    if (fraction <= 0.0) return true;
    // Packed (GPT-2): one projection, its rows [Q heads | K heads | V heads].
    std::optional<LinearParams> q = readParams(block.q), out = readParams(block.out);
    std::optional<LinearParams> k, v;
    if (!block.packed) {
      k = readParams(block.k);
      v = readParams(block.v);
    }
    const int64_t h = block.heads, hkv = block.kvHeads, d = block.dim, group = h / hkv;
    if (!q || !out || (!block.packed && (!k || !v)) || out->k != h * d ||
        (block.packed && q->n != 3 * h * d))
      return true;
    const LinearParams& kp = block.packed ? *q : *k;
    const LinearParams& vp = block.packed ? *q : *v;
    const int64_t kBase = block.packed ? h : 0, vBase = block.packed ? 2 * h : 0;  // in heads

    // One query head per key/value head: heads go with their keys and values. Grouped: every
    // group keeps the same number of query heads, and every key/value head stays.
    HeadPlan plan;
    const bool grouped = group > 1;
    const int64_t minimumPerGroup = std::max<int64_t>(1, (minHeads + hkv - 1) / hkv);
    plan.minimum = grouped ? minimumPerGroup * hkv : std::max<int64_t>(1, minHeads);
    plan.keep = grouped ? keptCount(group, fraction, minimumPerGroup) * hkv
                        : keptCount(h, fraction, minHeads);
    if (!global && plan.keep == h) return true;

    std::vector<float> act;
    if (!needRms(block.out, name, h * d, act)) return false;
    plan.scores.resize(h);
    for (int64_t i = 0; i < h; ++i) {
      double score = columnsNorm(*out, i * d, (i + 1) * d);
      if (activationCriterion) {
        double sum = 0;
        for (int64_t c = i * d; c < (i + 1) * d; ++c) sum += double(act[c]) * act[c];
        score *= std::sqrt(sum);
      } else {
        score *= rowsNorm(*q, i * d, (i + 1) * d);
        if (!grouped)
          score *= rowsNorm(kp, (kBase + i) * d, (kBase + i + 1) * d) *
                   rowsNorm(vp, (vBase + i) * d, (vBase + i + 1) * d);
      }
      plan.scores[i] = score;
    }
    if (!claim({block.q.getOperation(), block.k.getOperation(), block.v.getOperation(),
                block.out.getOperation()}))
      return true;
    plan.block = block;
    plan.name = name;
    plans.push_back(std::move(plan));
    return true;
  }

  /// Marks `ops` as one block's; false (marking nothing) when one of them is another's.
  bool claim(std::initializer_list<Operation*> ops) {
    for (Operation* op : ops)
      if (claimed.contains(op)) return false;
    claimed.insert(ops.begin(), ops.end());
    return true;
  }

  /// global: `ffn` of all the MLPs' channels go, the lowest-scored across blocks. The scores
  /// are compared as they are: each is the size of what the channel adds to the residual
  /// stream, which every MLP writes to (on charlm-gpt, 20% of the channels: +2.1% bits per
  /// byte ranked raw, +3.1% with each block's scores over their mean, +3.3% per block).
  void chooseGlobally(std::vector<FfnPlan>& plans) {
    std::vector<RankedUnit> units;
    std::vector<int64_t> total, floor;
    int64_t all = 0;
    for (size_t p = 0; p < plans.size(); ++p) {
      for (double score : plans[p].scores) units.push_back({score, p, 1});
      total.push_back(plans[p].scores.size());
      floor.push_back(plans[p].minimum);
      all += total.back();
    }
    const int64_t target = std::llround(ffn * double(all));
    std::vector<int64_t> kept = rankGlobally(std::move(units), total, floor, target);
    for (size_t p = 0; p < plans.size(); ++p) plans[p].keep = kept[p];
  }

  /// global for heads: `heads` of all the query heads go. A head is compared by its score over
  /// its block's mean: raw scores follow each block's output scale, and the first block's
  /// attention writes small values the later blocks depend on (on charlm-gpt a raw ranking of
  /// 25% took 7 of its 8 heads, +71% bits per byte). A grouped attention's unit is one head of
  /// every group (the next lowest-scored of each), worth their mean.
  void chooseGlobally(std::vector<HeadPlan>& plans) {
    std::vector<RankedUnit> units;
    std::vector<int64_t> total, floor;
    int64_t all = 0;
    for (size_t p = 0; p < plans.size(); ++p) {
      const HeadPlan& plan = plans[p];
      const int64_t h = plan.scores.size(), group = plan.group(), groups = h / group;
      const double mean = blockMean(plan.scores);
      if (group == 1) {
        for (double score : plan.scores) units.push_back({score / mean, p, 1});
      } else {
        std::vector<std::vector<double>> sorted(groups);
        for (int64_t g = 0; g < groups; ++g) {
          sorted[g].assign(plan.scores.begin() + g * group, plan.scores.begin() + (g + 1) * group);
          std::sort(sorted[g].begin(), sorted[g].end());
        }
        for (int64_t j = 0; j < group; ++j) {
          double sum = 0;
          for (int64_t g = 0; g < groups; ++g) sum += sorted[g][j];
          units.push_back({sum / double(groups) / mean, p, groups});
        }
      }
      total.push_back(h);
      floor.push_back(plan.minimum);
      all += h;
    }
    const int64_t target = std::llround(heads * double(all));
    std::vector<int64_t> kept = rankGlobally(std::move(units), total, floor, target);
    for (size_t p = 0; p < plans.size(); ++p) plans[p].keep = kept[p];
  }

  /// Rewrites a planned block (its weights read again: they were constant at planning, and no
  /// other block claimed them).
  void applyFfn(const FfnPlan& plan) {
    const int64_t channels = plan.scores.size(), keep = plan.keep;
    std::vector<int64_t> kept = topUnits(plan.scores, keep);
    for (LinearOp producer : plan.block.producers) {
      LinearParams p = *readParams(producer);
      keepRows(p, kept, 1);
      setDim(producer.getResult(), keep);
    }
    for (Operation* op : plan.block.between) setChannels(op, keep);
    LinearParams down = *readParams(plan.block.down);
    keepColumns(down, kept, 1);
    recordPruning(plan.name, "ffn", kept, 1, channels);
  }

  void applyHeads(const HeadPlan& plan) {
    HeadBlock block = plan.block;  // op handles: copies, and not const-callable
    const int64_t h = block.heads, hkv = block.kvHeads, d = block.dim, group = plan.group();
    const bool grouped = group > 1;
    const int64_t keep = plan.keep;
    std::vector<int64_t> kept;
    if (grouped) {
      for (int64_t g = 0; g < hkv; ++g) {
        std::vector<double> groupScores(plan.scores.begin() + g * group,
                                        plan.scores.begin() + (g + 1) * group);
        for (int64_t i : topUnits(groupScores, keep / hkv)) kept.push_back(g * group + i);
      }
    } else {
      kept = topUnits(plan.scores, keep);
    }

    auto splitTo = [&](LinearOp projection, ReshapeOp split) {
      LinearParams p = *readParams(projection);
      keepRows(p, kept, d);
      setDim(projection.getResult(), keep * d);
      setHeads(split, keep);
    };
    if (block.packed) {
      applyPackedHeads(block, kept);
    } else {
      splitTo(block.q, block.qSplit);
      if (!grouped) {
        splitTo(block.k, block.kSplit);
        splitTo(block.v, block.vSplit);
      }
    }
    setDim(block.attention.getResult(), keep, 2);
    SmallVector<int64_t> merged(block.merge.getShape());
    merged.back() = keep * d;
    block.merge.setShapeAttr(DenseI64ArrayAttr::get(block.merge.getContext(), merged));
    setDim(block.merge.getResult(), keep * d);
    for (Operation* op : block.afterMerge) setChannels(op, keep * d);
    LinearParams out = *readParams(block.out);
    keepColumns(out, kept, d);
    recordPruning(plan.name, "heads", kept, d, h);
  }

  /// GPT-2's form: the projection keeps the rows of the heads `kept` in each of its Q, K and V
  /// sections; the reshapes after it, the three slices (now [0, kD), [kD, 2kD), [2kD, 3kD)) and
  /// the head splits follow.
  void applyPackedHeads(HeadBlock block, ArrayRef<int64_t> kept) {
    const int64_t h = block.heads, d = block.dim, keep = kept.size();
    std::vector<int64_t> units;
    for (int64_t section = 0; section < 3; ++section)
      for (int64_t i : kept) units.push_back(section * h + i);
    LinearParams projection = *readParams(block.q);
    keepRows(projection, units, d);
    setDim(block.q.getResult(), 3 * keep * d);
    for (Operation* op : block.packedReshapes) setChannels(op, 3 * keep * d);
    int64_t section = 0;
    for (auto [slice, split] : {std::pair(block.qSlice, block.qSplit),
                                std::pair(block.kSlice, block.kSplit),
                                std::pair(block.vSlice, block.vSplit)}) {
      auto startType = slice.getStarts()[0].cast<IntegerAttr>().getType();
      slice.setStartsAttr(
          ArrayAttr::get(slice.getContext(), {IntegerAttr::get(startType, section++ * keep * d)}));
      setChannels(slice, keep * d);
      setHeads(split, keep);
    }
  }

  bool activationCriterion = false;
  std::optional<LayerStatistics> stats;
  NamedAttrList record;
  std::optional<GlobValueRules> headFractions, ffnFractions;
  llvm::DenseSet<Operation*> claimed;  // the linears of the blocks planned
};

}  // namespace
