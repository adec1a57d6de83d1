//===- StructureReport.cpp - what pruning and low rank did ----------------===//
#include "tools/llmopt/StructureReport.h"

#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"
#include "passes/compression/LinearWeights.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <map>

using namespace mlir;

namespace llmopt {
namespace {

constexpr llvm::StringLiteral kFactorU = "/lowrank_u", kFactorV = "/lowrank_v";

/// A layer after the pipeline: its weight, or the two factors of a low-rank pair.
struct LayerAfter {
  int64_t params = 0;
  std::vector<float> weight, u, v;  // [N, K]; or [N, r] and [r, K]
  int64_t rank = 0;
  int64_t n = 0, k = 0;  // the shape of the layer (of the product of its factors)
};

/// x [rows, k] · wᵀ (w [n, k]) → [rows, n], in double.
std::vector<double> multiply(const std::vector<double>& x, const std::vector<float>& w, int64_t k) {
  const int64_t rows = static_cast<int64_t>(x.size()) / k, n = static_cast<int64_t>(w.size()) / k;
  std::vector<double> y(rows * n, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int64_t c = 0; c < k; ++c) sum += x[r * k + c] * w[j * k + c];
      y[r * n + j] = sum;
    }
  return y;
}

double relativeError(const std::vector<double>& approx, const std::vector<double>& exact) {
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < exact.size(); ++i) {
    diff += (approx[i] - exact[i]) * (approx[i] - exact[i]);
    norm += exact[i] * exact[i];
  }
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

}  // namespace

int64_t snapshotParams(const WeightSnapshots& weights) {
  int64_t total = 0;
  for (const auto& [name, w] : weights) total += w.rows * w.cols;
  return total;
}

std::vector<StructureRow> buildStructureReport(ModuleOp module, const WeightSnapshots& before,
                                               const CalibrationStats* calibration) {
  std::map<std::string, LayerAfter> after;
  module.walk([&](LinearOp linear) {
    std::string name = layerName(linear);
    std::optional<std::vector<float>> w = readLinearWeight(linear);
    auto type = linear.getWeight().getType().cast<RankedTensorType>();
    if (!w || !type.hasStaticShape()) return;
    StringRef text(name);
    bool isU = text.endswith(kFactorU), isV = text.endswith(kFactorV);
    std::string base = (isU || isV) ? text.drop_back(kFactorU.size()).str() : name;
    LayerAfter& layer = after[base];
    layer.params += type.getNumElements();
    if (!isV) layer.n = type.getDimSize(0);
    if (!isU) layer.k = type.getDimSize(1);
    if (isU) layer.u = std::move(*w);
    else if (isV) layer.v = std::move(*w), layer.rank = type.getDimSize(0);
    else layer.weight = std::move(*w);
  });
  auto pruning = module->getAttrOfType<DictionaryAttr>(kPruningAttr);

  std::vector<StructureRow> rows;
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
    const bool factored = !layer.u.empty() && !layer.v.empty();
    std::vector<std::string> changes;
    if (kept) {
      auto kind = pruned.getAs<StringAttr>("kind");
      changes.push_back((kind ? kind.getValue().str() : std::string("pruned")) + ": " +
                        std::to_string(kept.size()) + " of " + std::to_string(k) +
                        " input channels");
    }
    if (layer.n != n) changes.push_back("outputs " + std::to_string(n) + " -> " + std::to_string(layer.n));
    if (factored)
      changes.push_back("rank " + std::to_string(layer.rank) + " (break-even " +
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
      std::vector<double> x;
      for (int64_t r = 0; r < stats->rows(); ++r)
        for (int64_t c = 0; c < inputs; ++c)
          x.push_back(stats->samples[r * k + (kept ? kept.asArrayRef()[c] : c)]);
      std::vector<double> full(stats->samples.begin(), stats->samples.end());
      std::vector<double> exact = multiply(full, w0.values, k);
      row.error = factored ? relativeError(multiply(multiply(x, layer.v, inputs), layer.u, layer.rank), exact)
                           : relativeError(multiply(x, layer.weight, inputs), exact);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void printStructureReport(const std::vector<StructureRow>& rows, int64_t modelParamsBefore,
                          int64_t modelParamsAfter, llvm::raw_ostream& os) {
  size_t width = 5, changeWidth = 6;
  for (const StructureRow& r : rows) {
    width = std::max(width, r.name.size());
    changeWidth = std::max(changeWidth, r.change.size());
  }
  os << llvm::left_justify("layer", width) << "  " << llvm::left_justify("change", changeWidth)
     << llvm::right_justify("params", 11) << llvm::right_justify("after", 11)
     << llvm::right_justify("output err", 12) << "\n";
  int64_t before = 0, after = 0;
  for (const StructureRow& r : rows) {
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
  os << llvm::formatv("model: {0} -> {1} weight parameters ({2:f1}% removed)\n", modelParamsBefore,
                      modelParamsAfter,
                      modelParamsBefore ? 100.0 * (modelParamsBefore - modelParamsAfter) /
                                              double(modelParamsBefore)
                                        : 0.0);
}

llvm::json::Object structureReportJson(const std::vector<StructureRow>& rows,
                                       int64_t modelParamsBefore, int64_t modelParamsAfter) {
  llvm::json::Array layers;
  for (const StructureRow& r : rows) {
    llvm::json::Object row{{"name", r.name},
                           {"change", r.change},
                           {"params_before", r.paramsBefore},
                           {"params_after", r.paramsAfter}};
    if (r.error >= 0.0) row["relative_output_error"] = r.error;
    layers.push_back(std::move(row));
  }
  return llvm::json::Object{{"layers", std::move(layers)},
                            {"model_params_before", modelParamsBefore},
                            {"model_params_after", modelParamsAfter}};
}

}  // namespace llmopt
