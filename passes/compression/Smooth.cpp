//===- Smooth.cpp - llmopt-smooth: SmoothQuant folded into the norms ------===//
#include "ir/ConstantFolding.h"
#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"
#include "passes/Passes.h"
#include "passes/compression/LinearWeights.h"

#include "mlir/IR/Builders.h"

#include <algorithm>
#include <cmath>

namespace llmopt {
#define GEN_PASS_DEF_SMOOTH
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

/// A 1-D f32 constant of `k` values, or nothing.
std::optional<std::vector<float>> readVector(Value value, int64_t k) {
  auto constant = value ? value.getDefiningOp<ConstantOp>() : nullptr;
  auto type = value ? value.getType().dyn_cast<RankedTensorType>() : nullptr;
  if (!constant || !type || type.getRank() != 1 || type.getDimSize(0) != k) return std::nullopt;
  return getFloatValues(constant.getValue());
}

Value vectorConstant(OpBuilder& builder, Location loc, ArrayRef<float> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, builder.getF32Type());
  return builder.create<ConstantOp>(loc, makeFloatConstant(type, values, "smoothed"));
}

std::vector<float> readStats(const NamedAttrList& calibration, StringRef name) {
  auto dense = calibration.get(name).dyn_cast_or_null<DenseFPElementsAttr>();
  if (!dense) return {};
  auto values = dense.getValues<float>();
  return std::vector<float>(values.begin(), values.end());
}

struct SmoothPass : public llmopt::impl::SmoothBase<SmoothPass> {
  using SmoothBase::SmoothBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (alpha < 0.0 || alpha > 1.0) {
      module.emitError() << "llmopt-smooth: alpha must be in [0, 1], got " << alpha;
      return signalPassFailure();
    }
    auto calibration = module->getAttrOfType<DictionaryAttr>(kCalibrationAttr);
    if (!calibration) {
      module.emitError() << "llmopt-smooth needs activation statistics: compile with --calib "
                            "FILE (the module has no '" << kCalibrationAttr << "' attribute)";
      return signalPassFailure();
    }
    NamedAttrList stats(calibration), factors;
    if (auto previous = module->getAttrOfType<DictionaryAttr>(kSmoothingAttr))
      factors = NamedAttrList(previous);

    SmallVector<Operation*> norms;
    module.walk([&](Operation* op) {
      if (isa<LayerNormOp, RmsNormOp, MulOp>(op)) norms.push_back(op);
    });
    for (Operation* norm : norms) smooth(norm, stats, factors);

    MLIRContext* context = module.getContext();
    module->setAttr(kCalibrationAttr, stats.getDictionary(context));
    module->setAttr(kSmoothingAttr, factors.getDictionary(context));
  }

  /// Smooths the linears reading `norm`'s result, if it is a norm we can fold into and every
  /// user is a linear with statistics and a constant weight.
  void smooth(Operation* norm, NamedAttrList& stats, NamedAttrList& factors) {
    Value result = norm->getResult(0);
    auto type = result.getType().cast<RankedTensorType>();
    if (!type.getElementType().isF32() || type.getRank() < 1 || type.isDynamicDim(type.getRank() - 1))
      return;
    int64_t k = type.getDimSize(type.getRank() - 1);

    // The per-channel vector(s) the division folds into.
    Value scaleOperand, biasOperand;
    if (auto layerNorm = dyn_cast<LayerNormOp>(norm)) {
      scaleOperand = layerNorm.getScale();
      biasOperand = layerNorm.getBias();
    } else if (auto rmsNorm = dyn_cast<RmsNormOp>(norm)) {
      scaleOperand = rmsNorm.getScale();
    } else {
      auto mul = cast<MulOp>(norm);
      scaleOperand = readVector(mul.getRhs(), k) ? mul.getRhs() : mul.getLhs();
      if (!readVector(scaleOperand, k)) return;
    }
    std::optional<std::vector<float>> scale = readVector(scaleOperand, k);
    std::optional<std::vector<float>> bias;
    if (biasOperand && !(bias = readVector(biasOperand, k))) return;
    if (!scale) return;

    SmallVector<LinearOp> linears;
    std::vector<std::vector<float>> weights;
    std::vector<float> actMax(k, 0.0f), weightMax(k, 0.0f);
    for (Operation* user : result.getUsers()) {
      auto linear = dyn_cast<LinearOp>(user);
      if (!linear || linear.getInput() != result) return;
      std::vector<float> act = readStats(stats, layerName(linear));
      std::optional<std::vector<float>> w = readLinearWeight(linear);
      if (static_cast<int64_t>(act.size()) != k || !w) return;
      for (int64_t j = 0; j < k; ++j) actMax[j] = std::max(actMax[j], act[j]);
      int64_t n = static_cast<int64_t>(w->size()) / k;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < k; ++j)
          weightMax[j] = std::max(weightMax[j], std::fabs((*w)[i * k + j]));
      linears.push_back(linear);
      weights.push_back(std::move(*w));
    }
    if (linears.empty()) return;

    std::vector<float> s(k);
    const double a = alpha;
    for (int64_t j = 0; j < k; ++j) {
      double factor = std::pow(double(std::max(actMax[j], 1e-5f)), a) /
                      std::pow(double(std::max(weightMax[j], 1e-5f)), 1.0 - a);
      s[j] = static_cast<float>(std::clamp(factor, 1e-5, 1e5));
    }

    OpBuilder builder(norm);
    std::vector<float> newScale(k), newBias;
    for (int64_t j = 0; j < k; ++j) newScale[j] = (*scale)[j] / s[j];
    norm->replaceUsesOfWith(scaleOperand, vectorConstant(builder, norm->getLoc(), newScale));
    if (bias) {
      newBias.resize(k);
      for (int64_t j = 0; j < k; ++j) newBias[j] = (*bias)[j] / s[j];
      norm->replaceUsesOfWith(biasOperand, vectorConstant(builder, norm->getLoc(), newBias));
    }
    eraseIfUnused(scaleOperand);
    if (biasOperand) eraseIfUnused(biasOperand);

    MLIRContext* context = norm->getContext();
    for (auto [linear, w] : llvm::zip(linears, weights)) {
      int64_t n = static_cast<int64_t>(w.size()) / k;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < k; ++j) w[i * k + j] *= s[j];
      OpBuilder at(linear);
      auto wType = RankedTensorType::get({n, k}, at.getF32Type());
      Value oldWeight = linear.getWeight();
      linear.getWeightMutable().assign(
          at.create<ConstantOp>(linear.getLoc(), makeFloatConstant(wType, w, "smoothed")));
      eraseIfUnused(oldWeight);

      std::string name = layerName(linear);
      std::vector<float> act = readStats(stats, name);
      for (int64_t j = 0; j < k; ++j) act[j] /= s[j];
      auto vecType = RankedTensorType::get({k}, Float32Type::get(context));
      stats.set(name, DenseElementsAttr::get(vecType, ArrayRef<float>(act)));
      factors.set(name, DenseElementsAttr::get(vecType, ArrayRef<float>(s)));
    }
  }
};

}  // namespace
