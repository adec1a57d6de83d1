//===- LowRank.cpp - llmopt-lowrank: linears factorized by truncated SVD ---===//
//
// W [N, K] ≈ U_r Σ_r V_rᵀ; the linear becomes x → x · (Σ_r^½ V_rᵀ)ᵀ → · (U_r Σ_r^½)ᵀ + b. With
// the activation criterion the SVD is of W · S (S = diag of the input's calibration RMS), whose
// truncation error is the output's error on inputs of those magnitudes, and S⁻¹ is folded back
// into the first factor.
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
#include "llvm/Support/GlobPattern.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/SVD>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <queue>

namespace llmopt {
#define GEN_PASS_DEF_LOWRANK
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr int64_t kRankStep = 16;

/// The smallest rank whose singular values hold `energy` of the sum of their squares.
int64_t rankForEnergy(const Eigen::VectorXf& sigma, double energy) {
  double total = 0;
  for (Eigen::Index i = 0; i < sigma.size(); ++i) total += double(sigma[i]) * sigma[i];
  double kept = 0;
  for (Eigen::Index i = 0; i < sigma.size(); ++i) {
    kept += double(sigma[i]) * sigma[i];
    if (kept >= energy * total) return i + 1;
  }
  return sigma.size();
}

Value floatConstant(OpBuilder& builder, Location loc, int64_t rows, int64_t cols,
                    const float* values) {
  auto type = RankedTensorType::get({rows, cols}, builder.getF32Type());
  return builder.create<ConstantOp>(
      loc, makeFloatConstant(type, ArrayRef<float>(values, rows * cols), "lowrank"));
}

/// `loc` named `name` (the form layerName reads).
Location namedLoc(Location loc, const std::string& name) {
  return NameLoc::get(StringAttr::get(loc.getContext(), name), loc);
}

/// A layer that may be factorized, with the SVD of its (whitened) weight.
struct Candidate {
  LinearOp linear;
  std::string name;
  int64_t n = 0, k = 0;
  Eigen::MatrixXd whitening;  // lower triangular [K, K], or empty
  Eigen::VectorXf scale;      // the RMS diagonal, or empty
  std::unique_ptr<Eigen::BDCSVD<RowMatrix>> svd;
  int64_t rank = 0;  // chosen; 0 leaves the layer alone

  double breakEven() const { return double(n) * double(k) / double(n + k); }
};

struct LowRankPass : public llmopt::impl::LowRankBase<LowRankPass> {
  using LowRankBase::LowRankBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!parseOptions(module)) return signalPassFailure();
    stats.emplace(module);
    record = readModuleDictionary(module, kLowRankAttr);

    SmallVector<LinearOp> linears;
    module.walk([&](LinearOp linear) { linears.push_back(linear); });
    // A ratio or an energy decides each layer alone: one SVD held at a time. A budget compares
    // the layers' spectra first.
    std::vector<Candidate> pending;
    for (LinearOp linear : linears) {
      std::optional<Candidate> candidate;
      if (!analyze(linear, candidate)) return signalPassFailure();
      if (!candidate) continue;
      if (budget > 0.0) {
        pending.push_back(std::move(*candidate));
        continue;
      }
      candidate->rank = rankFor(*candidate, valueFor(candidate->name));
      rewrite(*candidate);
    }
    if (budget > 0.0) {
      if (!spreadBudget(module, pending)) return signalPassFailure();
      for (Candidate& candidate : pending) rewrite(candidate);
    }

    stats->write(module);
    writeModuleDictionary(module, kLowRankAttr, record);
  }

  bool parseOptions(ModuleOp module) {
    auto bad = [&](const std::string& message) {
      module.emitError() << "llmopt-lowrank: " << message;
      return false;
    };
    if ((ratio > 0.0) + (energy > 0.0) + (budget > 0.0) != 1)
      return bad("set exactly one of ratio (parameters kept per layer), energy (spectrum kept) "
                 "and budget (parameters kept in all)");
    if (ratio > 0.0 && !(ratio < 1.0))
      return bad("ratio must be in (0, 1), got " + std::to_string(ratio));
    if (energy > 0.0 && !(energy <= 1.0))
      return bad("energy must be in (0, 1], got " + std::to_string(energy));
    if (budget > 0.0 && !(budget < 1.0))
      return bad("budget must be in (0, 1), got " + std::to_string(budget));
    if (!(margin > 0.0 && margin <= 1.0))
      return bad("margin must be in (0, 1], got " + std::to_string(margin));
    activationCriterion = criterion.getValue() == "activation";
    if (!activationCriterion && criterion.getValue() != "plain")
      return bad("criterion must be plain or activation, got '" + criterion.getValue() + "'");
    if (activationCriterion && !module->hasAttr(kCalibrationRmsAttr))
      return bad("the activation criterion needs calibration statistics: compile with --calib "
                 "FILE (the module has no '" + std::string(kCalibrationRmsAttr) + "' attribute)");
    for (const std::string& pattern : keep) {
      llvm::Expected<llvm::GlobPattern> glob = llvm::GlobPattern::create(pattern);
      if (!glob) return bad("keep '" + pattern + "': " + llvm::toString(glob.takeError()));
      keepGlobs.push_back(std::move(*glob));
    }
    if (!rules.empty() && budget > 0.0)
      return bad("rules set a ratio or an energy per layer; a budget spreads the ranks itself "
                 "(leave layers out with keep)");
    const bool byRatio = ratio > 0.0;
    std::string error;
    valueRules = GlobValueRules::parse(
        rules,
        [&](double v) { return byRatio ? v > 0.0 && v < 1.0 : v > 0.0 && v <= 1.0; },
        byRatio ? "RATIO with RATIO in (0, 1)" : "ENERGY with ENERGY in (0, 1]", error);
    if (!valueRules) return bad(error);
    return true;
  }

  /// The ratio (or energy) of layer `name`: the last matching rule's, else the option's.
  double valueFor(const std::string& name) const {
    return valueRules->valueFor(name, ratio > 0.0 ? ratio : energy);
  }

  /// The activation criterion's whitening of `layer`: the Cholesky factor of its inputs' mean
  /// x xᵀ (`llmopt.calibration_gram`, regularised by 1e-6 of its mean diagonal) when the
  /// calibration accumulated it, else the diagonal of their RMS (floored at 1e-3 of the largest
  /// so that its inverse stays finite). False with an error naming the layer when it has
  /// neither.
  bool inputWhitening(LinearOp linear, const std::string& name, int64_t k,
                      Eigen::MatrixXd& whitening, Eigen::VectorXf& scale) {
    if (DenseFPElementsAttr dense = stats->gram(name, k)) {
      std::vector<float> values(dense.getValues<float>().begin(), dense.getValues<float>().end());
      Eigen::MatrixXd g =
          Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
              values.data(), k, k)
              .cast<double>();
      const double ridge = std::max(1e-6 * g.diagonal().mean(), 1e-12);
      g.diagonal().array() += ridge;
      Eigen::LLT<Eigen::MatrixXd> cholesky(g);
      if (cholesky.info() == Eigen::Success) {
        whitening = cholesky.matrixL();
        return true;
      }
    }
    DenseFPElementsAttr dense = stats->rms(name, k);
    if (!dense) {
      linear.emitError() << "llmopt-lowrank: no calibration statistics for layer '" << name
                         << "' (the activation criterion needs them for every factorized layer)";
      return false;
    }
    scale.resize(k);
    float largest = 0;
    auto values = dense.getValues<float>();
    for (int64_t j = 0; j < k; ++j) largest = std::max(largest, values[j]);
    const float floor = std::max(largest * 1e-3f, 1e-12f);
    for (int64_t j = 0; j < k; ++j) scale[j] = std::max(values[j], floor);
    return true;
  }

  /// `candidate` set to `linear` with its SVD when it may be factorized; left empty for a layer
  /// left alone (kept, the LM head, not constant, SwiGLU, or a ratio too high to pay). False
  /// after an error.
  bool analyze(LinearOp linear, std::optional<Candidate>& candidate) {
    const std::string name = layerName(linear);
    if (!lmHead && isLmHead(linear)) return true;
    if (llvm::any_of(keepGlobs, [&](const llvm::GlobPattern& g) { return g.match(name); }))
      return true;
    std::optional<std::vector<float>> weight = readLinearWeight(linear);
    auto type = linear.getWeight().getType().cast<RankedTensorType>();
    if (!weight || !type.hasStaticShape() || linear.getActivation() == "swiglu") return true;
    Candidate c;
    c.linear = linear;
    c.name = name;
    c.n = type.getDimSize(0);
    c.k = type.getDimSize(1);
    if (c.n * c.k == 0) return true;
    // A ratio whose rank exceeds the margin needs no SVD to be left alone.
    if (ratio > 0.0 && std::floor(valueFor(name) * c.breakEven()) > margin * c.breakEven())
      return true;

    Eigen::Map<const RowMatrix> w(weight->data(), c.n, c.k);
    // The whitening: W·L with L the Cholesky factor of the inputs' mean x xᵀ (SVD-LLM: the
    // truncation error is then the output's error on those inputs), else W·diag(RMS) (ASVD).
    if (activationCriterion && !inputWhitening(linear, name, c.k, c.whitening, c.scale))
      return false;
    RowMatrix target = w;
    if (c.whitening.size()) target = (w.cast<double>() * c.whitening).cast<float>();
    else if (c.scale.size()) target = w * c.scale.asDiagonal();
    c.svd = std::make_unique<Eigen::BDCSVD<RowMatrix>>(target,
                                                       Eigen::ComputeThinU | Eigen::ComputeThinV);
    candidate = std::move(c);
    return true;
  }

  /// The largest rank `c` may take: under the margin, and a multiple of 16 from 16 up.
  int64_t largestRank(const Candidate& c) const {
    int64_t rank = std::min<int64_t>(static_cast<int64_t>(std::floor(margin * c.breakEven())),
                                     c.svd->singularValues().size());
    return rank >= kRankStep ? rank / kRankStep * kRankStep : rank;
  }

  /// The rank a ratio or an energy `value` gives `c`; 0 where it would not be below the margin.
  int64_t rankFor(const Candidate& c, double value) const {
    const Eigen::VectorXf& sigma = c.svd->singularValues();
    int64_t rank = ratio > 0.0 ? static_cast<int64_t>(std::floor(value * c.breakEven()))
                               : rankForEnergy(sigma, value);
    rank = std::clamp<int64_t>(rank, 1, sigma.size());
    // From 16 up, a multiple of 16 (the GEMM kernels' panel width: a rank of 115 costs the
    // multiply-adds of 128): down for a parameter ratio, up for an energy when that still fits.
    if (rank >= kRankStep) {
      const int64_t down = rank / kRankStep * kRankStep, upTo = down == rank ? rank : down + kRankStep;
      rank = ratio > 0.0 || double(upTo) > margin * c.breakEven() || upTo > sigma.size() ? down
                                                                                           : upTo;
    }
    return double(rank) > margin * c.breakEven() ? 0 : rank;
  }

  /// Budget: ranks for `candidates` whose parameters add up to at most `budget` of theirs
  /// unfactorized. Each step takes, over all layers, the cut with the least relative error
  /// energy per parameter saved (Σ σᵢ² of the singular values it drops / the layer's Σ σᵢ²,
  /// whitened: the layer's relative output error on the calibration inputs): first a layer's
  /// whole factorization at its largest rank, then 16 ranks (1 below 16) at a time.
  bool spreadBudget(ModuleOp module, std::vector<Candidate>& candidates) {
    // A cut takes layer `layer` to rank `to`, saving `saved` parameters.
    struct Cut {
      double costPerParameter;
      size_t layer;
      int64_t to;
      double saved;
      bool operator>(const Cut& o) const { return costPerParameter > o.costPerParameter; }
    };
    std::vector<std::vector<double>> tail(candidates.size());  // tail[l][r] = Σ_{i≥r} σᵢ² / Σ σᵢ²
    // Layer l's next cut from its rank (its dense shape while the rank is 0), if it has one.
    auto nextCut = [&](size_t l) -> std::optional<Cut> {
      const Candidate& c = candidates[l];
      const int64_t largest = largestRank(c);
      if (largest < 1) return std::nullopt;
      const int64_t step = largest >= kRankStep ? kRankStep : 1;
      const int64_t to = c.rank == 0 ? largest : c.rank - step;
      if (to < step) return std::nullopt;
      const double saved = c.rank == 0 ? double(c.n * c.k) - double(to * (c.n + c.k))
                                       : double((c.rank - to) * (c.n + c.k));
      const double cost = tail[l][to] - (c.rank == 0 ? 0.0 : tail[l][c.rank]);
      if (!(saved > 0)) return std::nullopt;
      return Cut{cost / saved, l, to, saved};
    };
    std::priority_queue<Cut, std::vector<Cut>, std::greater<Cut>> cuts;
    double dense = 0;
    for (size_t l = 0; l < candidates.size(); ++l) {
      const Eigen::VectorXf& sigma = candidates[l].svd->singularValues();
      tail[l].assign(sigma.size() + 1, 0.0);
      for (Eigen::Index i = sigma.size() - 1; i >= 0; --i)
        tail[l][i] = tail[l][i + 1] + double(sigma[i]) * sigma[i];
      const double energy = tail[l][0] > 0 ? tail[l][0] : 1.0;
      for (double& t : tail[l]) t /= energy;
      dense += double(candidates[l].n * candidates[l].k);
      if (std::optional<Cut> cut = nextCut(l)) cuts.push(*cut);
    }
    double total = dense;
    const double target = budget * dense;
    while (total > target && !cuts.empty()) {
      const Cut cut = cuts.top();
      cuts.pop();
      candidates[cut.layer].rank = cut.to;
      total -= cut.saved;
      if (std::optional<Cut> next = nextCut(cut.layer)) cuts.push(*next);
    }
    if (total > target) {
      auto shortNumber = [](double value) {
        char text[32];
        std::snprintf(text, sizeof text, "%.4g", value);
        return std::string(text);
      };
      module.emitError() << "llmopt-lowrank: budget " << shortNumber(budget)
                         << " cannot be met: at their smallest ranks the " << candidates.size()
                         << " layers that may be factorized keep "
                         << shortNumber(total / std::max(dense, 1.0)) << " of their parameters";
      return false;
    }
    return true;
  }

  /// Replaces `c.linear` by its two factors at `c.rank` (nothing when 0).
  void rewrite(Candidate& c) {
    if (c.rank == 0) return;
    const int64_t rank = c.rank, n = c.n, k = c.k;
    const Eigen::BDCSVD<RowMatrix>& svd = *c.svd;
    // U_r Σ^½ [N, r] and Σ^½ V_rᵀ (whitening)⁻¹ [r, K].
    Eigen::VectorXf root = svd.singularValues().head(rank).cwiseSqrt();
    RowMatrix up = svd.matrixU().leftCols(rank) * root.asDiagonal();
    RowMatrix down = root.asDiagonal() * svd.matrixV().leftCols(rank).transpose();
    if (c.whitening.size()) {
      // down · L = Σ^½ V_rᵀ  ⇔  Lᵀ · downᵀ = (Σ^½ V_rᵀ)ᵀ, Lᵀ upper triangular.
      Eigen::MatrixXd solved = c.whitening.transpose().triangularView<Eigen::Upper>().solve(
          down.cast<double>().transpose());
      down = solved.transpose().cast<float>();
    } else if (c.scale.size()) {
      down = down * c.scale.cwiseInverse().asDiagonal();
    }

    LinearOp linear = c.linear;
    OpBuilder builder(linear);
    Location loc = linear.getLoc();
    auto inType = linear.getInput().getType().cast<RankedTensorType>();
    SmallVector<int64_t> innerShape(inType.getShape());
    innerShape.back() = rank;
    auto innerType = RankedTensorType::get(innerShape, inType.getElementType());
    Value vWeight = floatConstant(builder, loc, rank, k, down.data());
    auto first = builder.create<LinearOp>(namedLoc(loc, c.name + "/lowrank_v"), innerType,
                                          linear.getInput(), vWeight, Value(), Value(),
                                          builder.getStringAttr("none"));
    Value oldWeight = linear.getWeight();
    linear.getInputMutable().assign(first.getResult());
    linear.getWeightMutable().assign(floatConstant(builder, loc, n, rank, up.data()));
    linear->setLoc(namedLoc(loc, c.name + "/lowrank_u"));
    eraseIfUnused(oldWeight);
    c.svd.reset();

    // The first factor reads the layer's input: it takes its statistics.
    stats->copy(c.name, c.name + "/lowrank_v");
    Builder b(&getContext());
    record.set(c.name, b.getDictionaryAttr({b.getNamedAttr("rank", b.getI64IntegerAttr(rank)),
                                            b.getNamedAttr("n", b.getI64IntegerAttr(n)),
                                            b.getNamedAttr("k", b.getI64IntegerAttr(k))}));
  }

  bool activationCriterion = false;
  std::vector<llvm::GlobPattern> keepGlobs;
  std::optional<GlobValueRules> valueRules;
  std::optional<LayerStatistics> stats;
  NamedAttrList record;
};

}  // namespace
