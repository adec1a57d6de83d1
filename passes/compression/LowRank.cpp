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
#include "passes/compression/LinearWeights.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/GlobPattern.h"

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
    rms = readModuleDictionary(module, kCalibrationRmsAttr);
    absMax = readModuleDictionary(module, kCalibrationAttr);
    record = readModuleDictionary(module, kLowRankAttr);

    SmallVector<LinearOp> linears;
    module.walk([&](LinearOp linear) { linears.push_back(linear); });
    for (LinearOp linear : linears)
      if (!factorize(linear)) return signalPassFailure();

    writeModuleDictionary(module, kCalibrationRmsAttr, rms);
    writeModuleDictionary(module, kCalibrationAttr, absMax);
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

  /// The layer's input RMS as the whitening diagonal (floored so that S⁻¹ stays finite), or an
  /// error naming the layer.
  bool inputScale(LinearOp linear, const std::string& name, int64_t k, Eigen::VectorXf& scale) {
    auto dense = rms.get(name).dyn_cast_or_null<DenseFPElementsAttr>();
    if (!dense || dense.getNumElements() != k) {
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
    Eigen::VectorXf scale;
    if (activationCriterion && !inputScale(linear, name, k, scale)) return false;
    RowMatrix target = activationCriterion ? RowMatrix(w * scale.asDiagonal()) : RowMatrix(w);
    Eigen::BDCSVD<RowMatrix> svd(target, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::VectorXf& sigma = svd.singularValues();

    int64_t rank = ratio > 0.0 ? static_cast<int64_t>(std::floor(ratio * breakEven))
                               : rankForEnergy(sigma, energy);
    rank = std::clamp<int64_t>(rank, 1, sigma.size());
    if (double(rank) > margin * breakEven) return true;  // no smaller than the layer itself

    // U_r Σ^½ [N, r] and Σ^½ V_rᵀ S⁻¹ [r, K].
    Eigen::VectorXf root = sigma.head(rank).cwiseSqrt();
    RowMatrix up = svd.matrixU().leftCols(rank) * root.asDiagonal();
    RowMatrix down = root.asDiagonal() * svd.matrixV().leftCols(rank).transpose();
    if (activationCriterion) down = down * scale.cwiseInverse().asDiagonal();

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
    MLIRContext* context = &getContext();
    for (NamedAttrList* stats : {&rms, &absMax})
      if (Attribute attr = stats->get(name)) stats->set(name + "/lowrank_v", attr);
    Builder b(context);
    record.set(name, b.getDictionaryAttr({b.getNamedAttr("rank", b.getI64IntegerAttr(rank)),
                                          b.getNamedAttr("n", b.getI64IntegerAttr(n)),
                                          b.getNamedAttr("k", b.getI64IntegerAttr(k))}));
    return true;
  }

  bool activationCriterion = false;
  std::vector<llvm::GlobPattern> keepGlobs;
  NamedAttrList rms, absMax, record;
};

}  // namespace
