//===- Calibration.cpp - activation statistics from running the model -----===//
#include "tools/llmopt/Calibration.h"

#include "backends/artifact/ArtifactWriter.h"
#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"
#include "passes/compression/LinearWeights.h"
#include "tools/llmopt/Commands.h"
#include "tools/llmopt/Npy.h"
#include "tools/llmopt/RuntimeHandles.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

using namespace mlir;

namespace llmopt {
namespace {

/// Calibration token windows, each `window` long (the last may be shorter).
bool readWindows(const CalibrationOptions& options, std::vector<std::vector<int64_t>>& windows) {
  std::vector<std::vector<int64_t>> rows;
  if (llvm::StringRef(options.path).endswith(".npy")) {
    npy::Array array;
    std::string error;
    if (!npy::read(options.path, array, error)) {
      fail("--calib '" + options.path + "': " + error);
      return false;
    }
    if (array.dtype != LLMOPT_DTYPE_I64 || array.shape.empty() || array.shape.size() > 2) {
      fail("--calib '" + options.path + "': expected int64 token ids of shape [S] or [B, S]");
      return false;
    }
    int64_t cols = array.shape.back(), count = array.data.size() / sizeof(int64_t);
    const auto* ids = reinterpret_cast<const int64_t*>(array.data.data());
    for (int64_t r = 0; cols > 0 && r * cols < count; ++r)
      rows.emplace_back(ids + r * cols, ids + (r + 1) * cols);
  } else {
    std::ifstream in(options.path, std::ios::binary);
    if (!in) {
      fail("--calib '" + options.path + "': cannot read the file");
      return false;
    }
    std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(in), {}};
    rows.emplace_back(bytes.begin(), bytes.end());
  }
  for (const std::vector<int64_t>& row : rows)
    for (size_t i = 0; i < row.size() && static_cast<int64_t>(windows.size()) < options.maxWindows;
         i += options.window)
      windows.emplace_back(row.begin() + i,
                           row.begin() + std::min(row.size(), i + size_t(options.window)));
  if (windows.empty()) {
    fail("--calib '" + options.path + "': no tokens to calibrate on");
    return false;
  }
  return true;
}

/// The value each calibrated layer multiplies (its input activations), by layer name.
std::vector<std::pair<std::string, Value>> layerInputs(func::FuncOp func) {
  std::vector<std::pair<std::string, Value>> inputs;
  LayerNames names;
  func.walk([&](Operation* op) {
    Value input = weightedLayerInput(op);
    if (!input || !input.getType().cast<ShapedType>().getElementType().isF32()) return;
    inputs.emplace_back(names(op), input);
  });
  return inputs;
}

/// A temporary file removed when this goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty()) llvm::sys::fs::remove(path);
  }
};

}  // namespace

bool calibrate(ModuleOp module, const CalibrationOptions& options, CalibrationStats& stats) {
  std::vector<std::vector<int64_t>> windows;
  if (!readWindows(options, windows)) return false;

  // An fp32 copy whose extra outputs are the layers' inputs.
  OwningOpRef<ModuleOp> copy(module.clone());
  auto func = copy->lookupSymbol<func::FuncOp>("main");
  if (!func) return fail("calibration: no func.func @main"), false;
  std::vector<std::pair<std::string, Value>> inputs = layerInputs(func);
  if (inputs.empty()) return fail("calibration: the model has no linear layers to calibrate"), false;
  auto returnOp = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  size_t firstExtra = returnOp.getNumOperands();
  SmallVector<Value> results(returnOp.getOperands());
  for (auto& [name, value] : inputs) results.push_back(value);
  OpBuilder(returnOp).create<func::ReturnOp>(returnOp.getLoc(), results);
  returnOp.erase();
  SmallVector<Type> resultTypes;
  for (Value v : results) resultTypes.push_back(v.getType());
  func.setType(FunctionType::get(copy->getContext(), func.getArgumentTypes(), resultTypes));

  TempFile artifact;
  if (llvm::sys::fs::createTemporaryFile("llmopt-calibration", "llmo", artifact.path))
    return fail("calibration: cannot create a temporary file"), false;
  if (failed(writeArtifact(*copy, artifact.path.str().str()))) return false;

  llmopt_model* rawModel = nullptr;
  if (llmopt_model_load_file(artifact.path.c_str(), nullptr, &rawModel) != LLMOPT_OK)
    return fail(std::string("calibration: ") + llmopt_last_error()), false;
  ModelPtr model(rawModel);
  llmopt_tensor_info input;
  llmopt_model_input_info(model.get(), 0, &input);
  if (llmopt_model_num_inputs(model.get()) != 1 || input.dtype != LLMOPT_DTYPE_I64 ||
      input.rank != 2)
    return fail("calibration needs a model with one int64 [batch, seq] token input; this one "
                "has " + std::to_string(llmopt_model_num_inputs(model.get())) + " input(s)"),
           false;
  llmopt_session_options sessionOptions = LLMOPT_SESSION_OPTIONS_INIT;
  sessionOptions.num_threads = options.threads;
  llmopt_session* rawSession = nullptr;
  if (llmopt_session_create(model.get(), &sessionOptions, &rawSession) != LLMOPT_OK)
    return fail(std::string("calibration: ") + llmopt_last_error()), false;
  SessionPtr session(rawSession);

  // Rows kept per window so that the samples spread over all windows.
  int64_t perWindow = std::max<int64_t>(1, options.sampleRows / int64_t(windows.size()));
  for (size_t w = 0; w < windows.size(); ++w) {
    const std::vector<int64_t>& ids = windows[w];
    int64_t dims[2] = {1, static_cast<int64_t>(ids.size())};
    if (llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_I64, 2, dims, ids.data(),
                                 ids.size() * sizeof(int64_t)) != LLMOPT_OK ||
        llmopt_session_run(session.get()) != LLMOPT_OK)
      return fail(std::string("calibration window ") + std::to_string(w) + ": " +
                  llmopt_last_error()),
             false;
    for (size_t i = 0; i < inputs.size(); ++i) {
      llmopt_tensor t;
      if (llmopt_session_get_output(session.get(), firstExtra + i, &t) != LLMOPT_OK)
        return fail(llmopt_last_error()), false;
      int64_t k = t.dims[t.rank - 1], count = 1;
      for (int d = 0; d < t.rank; ++d) count *= t.dims[d];
      LayerActivations& layer = stats[inputs[i].first];
      if (layer.features == 0) {
        layer.features = k;
        layer.absMax.assign(k, 0.0f);
        layer.sumSquares.assign(k, 0.0);
      }
      const float* x = static_cast<const float*>(t.data);
      int64_t rows = k ? count / k : 0;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < k; ++c) {
          const float v = x[r * k + c];
          layer.absMax[c] = std::max(layer.absMax[c], std::fabs(v));
          layer.sumSquares[c] += double(v) * double(v);
        }
      layer.count += rows;
      if (options.gram) {
        if (layer.gram.empty()) layer.gram.assign(k * k, 0.0);
        Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
            rowsOfX(x, rows, k);
        Eigen::MatrixXd xd = rowsOfX.cast<double>();
        Eigen::Map<Eigen::MatrixXd>(layer.gram.data(), k, k).noalias() += xd.transpose() * xd;
      }
      int64_t step = std::max<int64_t>(1, rows / perWindow);
      for (int64_t r = 0, kept = 0; r < rows && kept < perWindow; r += step, ++kept)
        layer.samples.insert(layer.samples.end(), x + r * k, x + (r + 1) * k);
    }
  }
  return true;
}

void attachCalibration(ModuleOp module, const CalibrationStats& stats) {
  MLIRContext* context = module.getContext();
  SmallVector<NamedAttribute> maxEntries, rmsEntries;
  for (const auto& [name, layer] : stats) {
    auto type = RankedTensorType::get({layer.features}, Float32Type::get(context));
    std::vector<float> rms(layer.features, 0.0f);
    for (int64_t c = 0; c < layer.features && layer.count > 0; ++c)
      rms[c] = static_cast<float>(std::sqrt(layer.sumSquares[c] / double(layer.count)));
    maxEntries.emplace_back(StringAttr::get(context, name),
                            DenseElementsAttr::get(type, llvm::ArrayRef<float>(layer.absMax)));
    rmsEntries.emplace_back(StringAttr::get(context, name),
                            DenseElementsAttr::get(type, llvm::ArrayRef<float>(rms)));
  }
  module->setAttr(kCalibrationAttr, DictionaryAttr::get(context, maxEntries));
  module->setAttr(kCalibrationRmsAttr, DictionaryAttr::get(context, rmsEntries));
  SmallVector<NamedAttribute> gramEntries;
  for (const auto& [name, layer] : stats) {
    if (layer.gram.empty() || layer.count == 0) continue;
    const int64_t k = layer.features;
    std::vector<float> mean(k * k);
    for (int64_t i = 0; i < k * k; ++i) mean[i] = static_cast<float>(layer.gram[i] / double(layer.count));
    auto type = RankedTensorType::get({k, k}, Float32Type::get(context));
    gramEntries.emplace_back(StringAttr::get(context, name),
                             DenseElementsAttr::get(type, llvm::ArrayRef<float>(mean)));
  }
  if (!gramEntries.empty())
    module->setAttr(kCalibrationGramAttr, DictionaryAttr::get(context, gramEntries));
}

void applyLowRank(ModuleOp module, CalibrationStats& stats) {
  auto lowrank = module->getAttrOfType<DictionaryAttr>(kLowRankAttr);
  if (!lowrank) return;
  for (NamedAttribute entry : lowrank) {
    auto it = stats.find(entry.getName().str());
    if (it != stats.end()) stats[it->first + "/lowrank_v"] = it->second;
  }
}

void applyPruning(ModuleOp module, CalibrationStats& stats) {
  auto pruning = module->getAttrOfType<DictionaryAttr>(kPruningAttr);
  if (!pruning) return;
  for (NamedAttribute entry : pruning) {
    auto it = stats.find(entry.getName().str());
    auto info = entry.getValue().dyn_cast<DictionaryAttr>();
    auto kept = info ? info.getAs<DenseI64ArrayAttr>("kept") : nullptr;
    if (it == stats.end() || !kept) continue;
    LayerActivations& layer = it->second;
    const int64_t rows = layer.rows(), k = layer.features;
    if (llvm::any_of(kept.asArrayRef(), [&](int64_t c) { return c < 0 || c >= k; })) continue;
    LayerActivations narrow;
    narrow.features = static_cast<int64_t>(kept.size());
    narrow.count = layer.count;
    for (int64_t c : kept.asArrayRef()) {
      narrow.absMax.push_back(layer.absMax[c]);
      narrow.sumSquares.push_back(layer.sumSquares[c]);
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c : kept.asArrayRef()) narrow.samples.push_back(layer.samples[r * k + c]);
    layer = std::move(narrow);
  }
}

}  // namespace llmopt
