//===- StructureReport.cpp - what pruning and low rank did ----------------===//
#include "tools/llmopt/StructureReport.h"

#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"
#include "passes/compression/LinearWeights.h"
#include "tools/llmopt/ReportMath.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <map>

using namespace mlir;

namespace llmopt {
namespace {

constexpr llvm::StringLiteral kFactorU = "/lowrank_u", kFactorV = "/lowrank_v";

/// A layer after the pipeline: its linear, or the two factors of a low-rank pair.
struct LayerAfter {
  LinearOp weight, u, v;
  int64_t params = 0;
  int64_t n = 0, k = 0;  // the shape of the layer (of the product of its factors)
};

/// A constant (or a transpose of one): a weight the snapshot counts.
bool isConstantWeight(Value value) {
  if (auto transpose = value.getDefiningOp<TransposeOp>()) value = transpose.getInput();
  return value.getDefiningOp<ConstantOp>() != nullptr;
}

std::vector<float> weightOf(LinearOp linear) {
  std::optional<std::vector<float>> w = readLinearWeight(linear);
  return w ? std::move(*w) : std::vector<float>();
}

}  // namespace

StructureReport buildStructureReport(ModuleOp module, const WeightSnapshots& before,
                                     const CalibrationStats* calibration) {
  StructureReport report;
  for (const auto& [name, w] : before) report.modelParamsBefore += w.rows * w.cols;
  std::map<std::string, LayerAfter> after;
  module.walk([&](Operation* op) {
    if (auto gather = dyn_cast<GatherOp>(op)) {
      auto type = gather.getData().getType().cast<RankedTensorType>();
      if (gather.getAxis() == 0 && isConstantWeight(gather.getData()) && type.hasStaticShape())
        report.modelParamsAfter += type.getNumElements();
      return;
    }
    auto linear = dyn_cast<LinearOp>(op);
    auto type = linear ? linear.getWeight().getType().cast<RankedTensorType>() : nullptr;
    if (!linear || !type.hasStaticShape() || !isConstantWeight(linear.getWeight())) return;
    report.modelParamsAfter += type.getNumElements();
    std::string name = layerName(linear);
    StringRef text(name);
    const bool isU = text.endswith(kFactorU), isV = text.endswith(kFactorV);
    LayerAfter& layer = after[(isU || isV) ? text.drop_back(kFactorU.size()).str() : name];
    layer.params += type.getNumElements();
    if (!isV) layer.n = type.getDimSize(0);
    if (!isU) layer.k = type.getDimSize(1);
    (isU ? layer.u : isV ? layer.v : layer.weight) = linear;
  });
  auto pruning = module->getAttrOfType<DictionaryAttr>(kPruningAttr);

  for (auto& [name, layer] : after) {
    auto it = before.find(name);
    if (it == before.end()) continue;
    const WeightSnapshot& w0 = it->second;
    const int64_t n = w0.rows, k = w0.cols;
    DictionaryAttr pruned = pruning ? pruning.getAs<DictionaryAttr>(name) : nullptr;
    DenseI64ArrayAttr kept = pruned ? pruned.getAs<DenseI64ArrayAttr>("kept") : nullptr;
    if (layer.params == n * k && !kept) continue;
    StructureRow row;
    row.name = name;
    row.paramsBefore = n * k;
    row.paramsAfter = layer.params;
    const bool factored = layer.u && layer.v;
    const int64_t rank = factored ? layer.v.getWeight().getType().cast<ShapedType>().getDimSize(0) : 0;
    std::vector<std::string> changes;
    if (kept) {
      auto kind = pruned.getAs<StringAttr>("kind");
      changes.push_back((kind ? kind.getValue().str() : std::string("pruned")) + ": " +
                        std::to_string(kept.size()) + " of " + std::to_string(k) +
                        " input channels");
    }
    if (layer.n != n) changes.push_back("outputs " + std::to_string(n) + " -> " + std::to_string(layer.n));
    if (factored)
      changes.push_back("rank " + std::to_string(rank) + " (break-even " +
                        std::to_string(layer.n * layer.k / (layer.n + layer.k)) + ")");
    row.change = llvm::join(changes, "; ");
    // The output error on the calibration inputs, where the layer's output keeps its meaning
    // (all its outputs are still there): its input channels cut to those kept, then its weight
    // or the product of its factors.
    const LayerActivations* stats = nullptr;
    if (calibration)
      if (auto s = calibration->find(name); s != calibration->end() && s->second.features == k)
        stats = &s->second;
    const int64_t inputs = kept ? static_cast<int64_t>(kept.size()) : k;
    if (stats && stats->rows() > 0 && layer.n == n && layer.k == inputs) {
      std::vector<float> x;
      for (int64_t r = 0; r < stats->rows(); ++r)
        for (int64_t c = 0; c < inputs; ++c)
          x.push_back(stats->samples[r * k + (kept ? kept.asArrayRef()[c] : c)]);
      std::vector<float> exact = multiplyTransposed(stats->samples, w0.values, k);
      row.error = factored ? relativeError(multiplyTransposed(multiplyTransposed(x, weightOf(layer.v), inputs),
                                                              weightOf(layer.u), rank),
                                           exact)
                           : relativeError(multiplyTransposed(x, weightOf(layer.weight), inputs), exact);
    }
    report.rows.push_back(std::move(row));
  }
  return report;
}

void printStructureReport(const StructureReport& report, llvm::raw_ostream& os) {
  size_t width = 5, changeWidth = 6;
  for (const StructureRow& r : report.rows) {
    width = std::max(width, r.name.size());
    changeWidth = std::max(changeWidth, r.change.size());
  }
  os << llvm::left_justify("layer", width) << "  " << llvm::left_justify("change", changeWidth)
     << llvm::right_justify("params", 11) << llvm::right_justify("after", 11)
     << llvm::right_justify("output err", 12) << "\n";
  int64_t before = 0, after = 0;
  for (const StructureRow& r : report.rows) {
    before += r.paramsBefore;
    after += r.paramsAfter;
    std::string error = r.error >= 0.0 ? llvm::formatv("{0:e2}", r.error).str() : "-";
    os << llvm::left_justify(r.name, width) << "  " << llvm::left_justify(r.change, changeWidth)
       << llvm::right_justify(std::to_string(r.paramsBefore), 11)
       << llvm::right_justify(std::to_string(r.paramsAfter), 11)
       << llvm::right_justify(error, 12) << "\n";
  }
  os << llvm::left_justify("changed layers", width) << "  "
     << llvm::left_justify("", changeWidth) << llvm::right_justify(std::to_string(before), 11)
     << llvm::right_justify(std::to_string(after), 11) << "\n";
  const int64_t modelBefore = report.modelParamsBefore, modelAfter = report.modelParamsAfter;
  os << llvm::formatv("model: {0} -> {1} weight parameters ({2:f1}% removed)\n", modelBefore,
                      modelAfter,
                      modelBefore ? 100.0 * (modelBefore - modelAfter) / double(modelBefore) : 0.0);
}

llvm::json::Object structureReportJson(const StructureReport& report) {
  llvm::json::Array layers;
  for (const StructureRow& r : report.rows) {
    llvm::json::Object row{{"name", r.name},
                           {"change", r.change},
                           {"params_before", r.paramsBefore},
                           {"params_after", r.paramsAfter}};
    if (r.error >= 0.0) row["relative_output_error"] = r.error;
    layers.push_back(std::move(row));
  }
  return llvm::json::Object{{"layers", std::move(layers)},
                            {"model_params_before", report.modelParamsBefore},
                            {"model_params_after", report.modelParamsAfter}};
}

}  // namespace llmopt
