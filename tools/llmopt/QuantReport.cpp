//===- QuantReport.cpp - what quantization did to each layer --------------===//
#include "tools/llmopt/QuantReport.h"

#include "ir/ConstantFolding.h"
#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"
#include "passes/compression/LinearWeights.h"
#include "passes/compression/WeightQuantizer.h"
#include "tools/llmopt/ReportMath.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"

#include <cmath>
#include <cstring>

using namespace mlir;

namespace llmopt {
namespace {

std::optional<std::vector<char>> constantRawBytes(Value value) {
  auto constant = value ? value.getDefiningOp<ConstantOp>() : nullptr;
  if (!constant) return std::nullopt;
  return getExpandedRawBytes(constant.getValue());
}

/// The quantized matrix an op holds, read back from its constants.
std::optional<QuantizedMatrix> readQuantized(StringRef modeName, int64_t groupSize, Value weight,
                                             Value scale, Value offset) {
  std::optional<QuantMode> mode = parseQuantMode(modeName);
  std::optional<std::vector<char>> data = constantRawBytes(weight);
  if (!mode || !data) return std::nullopt;
  auto type = weight.getType().cast<RankedTensorType>();
  QuantizedMatrix m;
  m.mode = *mode;
  m.rows = type.getDimSize(0);
  m.cols = type.getDimSize(1);
  m.groupSize = groupSize;
  m.data = std::move(*data);
  if (*mode == QuantMode::Int8 || *mode == QuantMode::Int8Weight) {
    auto constant = scale.getDefiningOp<ConstantOp>();
    std::optional<std::vector<float>> values = getFloatValues(constant.getValue());
    if (!values) return std::nullopt;
    m.scale = std::move(*values);
  }
  if (*mode == QuantMode::Int4) {
    std::optional<std::vector<char>> s = constantRawBytes(scale), o = constantRawBytes(offset);
    if (!s || !o) return std::nullopt;
    m.groupScale.resize(s->size() / 2);
    m.groupOffset.resize(o->size() / 2);
    std::memcpy(m.groupScale.data(), s->data(), s->size());
    std::memcpy(m.groupOffset.data(), o->data(), o->size());
  }
  return m;
}

/// What the W8A8 kernel does to its input: int8 per row, symmetric, round to nearest even.
void quantizeRowsInt8(std::vector<float>& x, int64_t k) {
  for (size_t r = 0; r * k < x.size(); ++r) {
    float* row = x.data() + r * k;
    float absMax = 0.0f;
    for (int64_t c = 0; c < k; ++c) absMax = std::max(absMax, std::fabs(row[c]));
    // The runtime's rounding (qlinear.h): times the reciprocal, or divided where it overflows.
    const float scale = absMax / 127.0f, inverse = 1.0f / scale;
    const bool multiply = inverse <= 3.4028234e38f;
    for (int64_t c = 0; c < k; ++c)
      row[c] = scale > 0.0f ? std::clamp(std::nearbyint(multiply ? row[c] * inverse : row[c] / scale),
                                         -127.0f, 127.0f) * scale
                            : 0.0f;
  }
}

}  // namespace

WeightSnapshots snapshotWeights(ModuleOp module) {
  WeightSnapshots snapshots;
  LayerNames names;
  module.walk([&](Operation* op) {
    if (isa<LinearOp, MatMulOp>(op) && weightedLayerInput(op)) {
      std::string key = names(op);
      auto linear = dyn_cast<LinearOp>(op);
      std::optional<std::vector<float>> w =
          linear ? readLinearWeight(linear) : readMatMulWeight(cast<MatMulOp>(op));
      if (!w) return;
      int64_t n = op->getResult(0).getType().cast<ShapedType>().getShape().back();  // static
      snapshots[key] = {n, static_cast<int64_t>(w->size()) / n, std::move(*w)};
    } else if (auto gather = dyn_cast<GatherOp>(op)) {
      if (gather.getAxis() != 0) return;
      std::optional<std::vector<float>> table = readConstantMatrix(gather.getData());
      if (!table) return;
      auto type = gather.getData().getType().cast<RankedTensorType>();
      snapshots[layerName(op)] = {type.getDimSize(0), type.getDimSize(1), std::move(*table)};
    }
  });
  return snapshots;
}

std::vector<LayerReport> buildReport(ModuleOp module, const WeightSnapshots& before,
                                     const CalibrationStats* calibration) {
  std::vector<LayerReport> layers;
  auto smoothing = module->getAttrOfType<DictionaryAttr>(kSmoothingAttr);
  LayerNames name;
  module.walk([&](Operation* op) {
    LayerReport layer;
    std::optional<QuantizedMatrix> q;
    if (auto linear = dyn_cast<LinearOp>(op)) {
      layer.name = name(op);
      layer.kind = "linear";
      layer.precision = "fp32";
      auto type = linear.getWeight().getType().cast<RankedTensorType>();
      layer.bytesBefore = layer.bytesAfter = type.getNumElements() * sizeof(float);
      layer.error = 0.0;
      layers.push_back(layer);
      return;
    }
    if (auto linear = dyn_cast<QuantizedLinearOp>(op)) {
      layer.name = name(op);
      layer.kind = "linear";
      layer.precision = linear.getMode().str();
      q = readQuantized(linear.getMode(), linear.getGroupSize(), linear.getWeight(),
                        linear.getScale(), linear.getOffset());
    } else if (auto gather = dyn_cast<QuantizedGatherOp>(op)) {
      layer.name = layerName(op);
      layer.kind = "embedding";
      layer.precision = gather.getMode().str();
      q = readQuantized(gather.getMode(), gather.getGroupSize(), gather.getTable(),
                        gather.getScale(), gather.getOffset());
    } else {
      return;
    }
    if (q) {
      layer.bytesBefore = q->rows * q->cols * sizeof(float);
      layer.bytesAfter = quantizedBytes(*q);
      auto original = before.find(layer.name);
      if (original != before.end() && original->second.values.size() == size_t(q->rows * q->cols)) {
        const std::vector<float>& w = original->second.values;
        std::vector<float> wq = dequantizeMatrix(*q);
        const LayerActivations* acts = nullptr;
        if (calibration && layer.kind == "linear") {
          auto found = calibration->find(layer.name);
          if (found != calibration->end() && found->second.features == q->cols &&
              found->second.rows() > 0)
            acts = &found->second;
        }
        if (acts) {
          // The layer as the quantizer saw it, x' · wᵀ (x' = x / s, s the smoothing factors
          // folded into the weights when the snapshot was taken), against what the kernel
          // computes: x' (quantized per row in W8A8) · wqᵀ.
          std::vector<float> xq = acts->samples;
          auto s = smoothing ? smoothing.getAs<DenseFPElementsAttr>(layer.name) : nullptr;
          if (s) {
            std::vector<float> factors(s.getValues<float>().begin(), s.getValues<float>().end());
            for (size_t i = 0; i < xq.size(); ++i) xq[i] /= factors[i % q->cols];
          }
          std::vector<float> reference = multiplyTransposed(xq, w, q->cols);
          if (q->mode == QuantMode::Int8) quantizeRowsInt8(xq, q->cols);
          layer.error = relativeError(multiplyTransposed(xq, wq, q->cols), reference);
          layer.outputError = true;
        } else if (!(smoothing && smoothing.get(layer.name))) {
          layer.error = relativeError(wq, w);
        }
      }
    }
    layers.push_back(layer);
  });
  return layers;
}

void printReport(const std::vector<LayerReport>& layers, llvm::raw_ostream& os) {
  bool anyOutput = false;
  for (const LayerReport& l : layers) anyOutput |= l.outputError;
  size_t width = 5;
  for (const LayerReport& l : layers) width = std::max(width, l.name.size());
  os << llvm::left_justify("layer", width) << "  " << llvm::left_justify("precision", 11)
     << llvm::right_justify("fp32 bytes", 12) << llvm::right_justify("bytes", 12)
     << llvm::right_justify(anyOutput ? "output err" : "weight err", 15) << "\n";
  uint64_t before = 0, after = 0;
  for (const LayerReport& l : layers) {
    before += l.bytesBefore;
    after += l.bytesAfter;
    std::string error = "-";
    if (l.error >= 0.0) {
      char text[32];
      snprintf(text, sizeof text, "%.2e%s", l.error, l.outputError || !anyOutput ? "" : " (w)");
      error = text;
    }
    os << llvm::left_justify(l.name, width) << "  " << llvm::left_justify(l.precision, 11)
       << llvm::right_justify(std::to_string(l.bytesBefore), 12)
       << llvm::right_justify(std::to_string(l.bytesAfter), 12)
       << llvm::right_justify(error, 15) << "\n";
  }
  char ratio[32];
  snprintf(ratio, sizeof ratio, "%.1f%%", before ? 100.0 * after / before : 0.0);
  os << llvm::left_justify("total", width) << "  " << llvm::left_justify(ratio, 11)
     << llvm::right_justify(std::to_string(before), 12)
     << llvm::right_justify(std::to_string(after), 12) << "\n";
  if (!anyOutput)
    os << "(errors are ‖Wq − W‖ / ‖W‖ on the weights; --calib FILE measures them on the layers' "
          "outputs)\n";
}

bool writeReportJson(const std::vector<LayerReport>& layers, const std::string& path,
                     std::string& error, llvm::json::Object extra) {
  llvm::json::Array rows;
  uint64_t before = 0, after = 0;
  for (const LayerReport& l : layers) {
    before += l.bytesBefore;
    after += l.bytesAfter;
    llvm::json::Object row{{"name", l.name},
                           {"kind", l.kind},
                           {"precision", l.precision},
                           {"bytes_before", int64_t(l.bytesBefore)},
                           {"bytes_after", int64_t(l.bytesAfter)}};
    if (l.error >= 0.0) {
      row["relative_error"] = l.error;
      row["error_on"] = l.outputError ? "output" : "weights";
    }
    rows.push_back(std::move(row));
  }
  llvm::json::Object root{{"layers", std::move(rows)},
                          {"weight_bytes_before", int64_t(before)},
                          {"weight_bytes_after", int64_t(after)}};
  for (auto& [key, value] : extra) root.try_emplace(key, std::move(value));
  std::string temp = path + ".tmp";
  std::error_code ec;
  {
    llvm::raw_fd_ostream out(temp, ec);
    if (ec) {
      error = "cannot write '" + path + "': " + ec.message();
      return false;
    }
    out << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  }
  if (llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

}  // namespace llmopt
