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
#include "passes/compression/LayerStatistics.h"
#include "passes/compression/LinearWeights.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/GlobPattern.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/SVD>

#include <algorithm>
#include <cmath>

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

struct LowRankPass : public llmopt::impl::LowRankBase<LowRankPass> {
  using LowRankBase::LowRankBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!parseOptions(module)) return signalPassFailure();
    stats.emplace(module);
    record = readModuleDictionary(module, kLowRankAttr);

    SmallVector<LinearOp> linears;
    module.walk([&](LinearOp linear) { linears.push_back(linear); });
    for (LinearOp linear : linears)
      if (!factorize(linear)) return signalPassFailure();

    stats->write(module);
    writeModuleDictionary(module, kLowRankAttr, record);
  }

  bool parseOptions(ModuleOp module) {
    auto bad = [&](const std::string& message) {
      module.emitError() << "llmopt-lowrank: " << message;
      return false;
    };
    if ((ratio > 0.0) == (energy > 0.0))
      return bad("set exactly one of ratio (parameters kept) and energy (spectrum kept)");
    if (ratio > 0.0 && !(ratio < 1.0))
      return bad("ratio must be in (0, 1), got " + std::to_string(ratio));
    if (energy > 0.0 && !(energy <= 1.0))
      return bad("energy must be in (0, 1], got " + std::to_string(energy));
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
    return true;
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

  bool factorize(LinearOp linear) {
    const std::string name = layerName(linear);
    if (!lmHead && isLmHead(linear)) return true;
    if (llvm::any_of(keepGlobs, [&](const llvm::GlobPattern& g) { return g.match(name); }))
      return true;
    std::optional<std::vector<float>> weight = readLinearWeight(linear);
    auto type = linear.getWeight().getType().cast<RankedTensorType>();
    if (!weight || !type.hasStaticShape() || linear.getActivation() == "swiglu") return true;
    const int64_t n = type.getDimSize(0), k = type.getDimSize(1);
    const double breakEven = double(n) * double(k) / double(n + k);
    if (ratio > 0.0 && std::floor(ratio * breakEven) > margin * breakEven) return true;

    Eigen::Map<const RowMatrix> w(weight->data(), n, k);
    // The whitening: W·L with L the Cholesky factor of the inputs' mean x xᵀ (SVD-LLM: the
    // truncation error is then the output's error on those inputs), else W·diag(RMS) (ASVD).
    Eigen::MatrixXd whitening;  // lower triangular [K, K], or empty
    Eigen::VectorXf scale;
    if (activationCriterion && !inputWhitening(linear, name, k, whitening, scale)) return false;
    RowMatrix target = w;
    if (whitening.size()) target = (w.cast<double>() * whitening).cast<float>();
    else if (scale.size()) target = w * scale.asDiagonal();
    Eigen::BDCSVD<RowMatrix> svd(target, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::VectorXf& sigma = svd.singularValues();

    int64_t rank = ratio > 0.0 ? static_cast<int64_t>(std::floor(ratio * breakEven))
                               : rankForEnergy(sigma, energy);
    rank = std::clamp<int64_t>(rank, 1, sigma.size());
    // From 16 up, a multiple of 16 (the GEMM kernels' panel width: a rank of 115 costs the
    // multiply-adds of 128): down for a parameter ratio, up for an energy when that still fits.
    if (rank >= kRankStep) {
      const int64_t down = rank / kRankStep * kRankStep, upTo = down == rank ? rank : down + kRankStep;
      rank = ratio > 0.0 || double(upTo) > margin * breakEven || upTo > sigma.size() ? down : upTo;
    }
    if (double(rank) > margin * breakEven) return true;  // no smaller than the layer itself

    // U_r Σ^½ [N, r] and Σ^½ V_rᵀ (whitening)⁻¹ [r, K].
    Eigen::VectorXf root = sigma.head(rank).cwiseSqrt();
    RowMatrix up = svd.matrixU().leftCols(rank) * root.asDiagonal();
    RowMatrix down = root.asDiagonal() * svd.matrixV().leftCols(rank).transpose();
    if (whitening.size()) {
      // down · L = Σ^½ V_rᵀ  ⇔  Lᵀ · downᵀ = (Σ^½ V_rᵀ)ᵀ, Lᵀ upper triangular.
      Eigen::MatrixXd solved = whitening.transpose().triangularView<Eigen::Upper>().solve(
          down.cast<double>().transpose());
      down = solved.transpose().cast<float>();
    } else if (scale.size()) {
      down = down * scale.cwiseInverse().asDiagonal();
    }

    OpBuilder builder(linear);
    Location loc = linear.getLoc();
    auto inType = linear.getInput().getType().cast<RankedTensorType>();
    SmallVector<int64_t> innerShape(inType.getShape());
    innerShape.back() = rank;
    auto innerType = RankedTensorType::get(innerShape, inType.getElementType());
    Value vWeight = floatConstant(builder, loc, rank, k, down.data());
    auto first = builder.create<LinearOp>(namedLoc(loc, name + "/lowrank_v"), innerType,
                                          linear.getInput(), vWeight, Value(), Value(),
                                          builder.getStringAttr("none"));
    Value oldWeight = linear.getWeight();
    linear.getInputMutable().assign(first.getResult());
    linear.getWeightMutable().assign(floatConstant(builder, loc, n, rank, up.data()));
    linear->setLoc(namedLoc(loc, name + "/lowrank_u"));
    eraseIfUnused(oldWeight);

    // The first factor reads the layer's input: it takes its statistics.
    stats->copy(name, name + "/lowrank_v");
    Builder b(&getContext());
    record.set(name, b.getDictionaryAttr({b.getNamedAttr("rank", b.getI64IntegerAttr(rank)),
                                          b.getNamedAttr("n", b.getI64IntegerAttr(n)),
                                          b.getNamedAttr("k", b.getI64IntegerAttr(k))}));
    return true;
  }

  bool activationCriterion = false;
  std::vector<llvm::GlobPattern> keepGlobs;
  std::optional<LayerStatistics> stats;
  NamedAttrList record;
};

}  // namespace
