//===- Calibration.h - activation statistics from running the model -------===//
//
// The driver above the compression passes: it lowers an fp32 copy of the module with the input
// of every linear layer (and of every matmul by a constant) as an extra output, runs it through
// the runtime on calibration windows, and returns per-layer statistics keyed by layer name (the
// ONNX node name). The passes get them as data (`llmopt.calibration`, a module attribute).
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_CALIBRATION_H
#define LLMOPT_TOOLS_LLMOPT_CALIBRATION_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace llmopt {

struct CalibrationOptions {
  std::string path;       // raw bytes (a byte-level model's text) or .npy token ids [S] / [B, S]
  int64_t window = 256;   // tokens per run (bytes files and 1-D .npy)
  int64_t maxWindows = 16;
  int64_t sampleRows = 256;  // input rows kept per layer for the report's error figures
  bool gram = false;         // also accumulate each layer's input Gram matrix (K x K)
  unsigned threads = 0;
};

struct LayerActivations {
  int64_t features = 0;         // K
  std::vector<float> absMax;    // [K]: max |x| over every calibration row
  std::vector<double> sumSquares;  // [K]: sum of x^2 over every calibration row
  int64_t count = 0;               // calibration rows seen
  std::vector<double> gram;        // [K, K]: sum of x x^T (CalibrationOptions::gram)
  std::vector<float> samples;   // [rows, K]: rows spread over the calibration data
  int64_t rows() const { return features ? samples.size() / features : 0; }
};

using CalibrationStats = std::map<std::string, LayerActivations>;

/// Runs the calibration; on failure prints an error naming the problem and returns false.
bool calibrate(mlir::ModuleOp module, const CalibrationOptions& options, CalibrationStats& stats);

/// Records each layer's absMax as `llmopt.calibration = {"layer" = dense<...> : tensor<Kxf32>}`
/// on the module, where llmopt-smooth reads it, its per-channel root mean square as
/// `llmopt.calibration_rms` (llmopt-prune's activation criterion) and, when accumulated, its mean
/// x x^T as `llmopt.calibration_gram` (llmopt-lowrank's whitening).
void attachCalibration(mlir::ModuleOp module, const CalibrationStats& stats);

/// Cuts the statistics of the layers llmopt-prune narrowed (the module's `llmopt.pruning`) to the
/// input channels they kept, so that the report measures them on the inputs they now get.
void applyPruning(mlir::ModuleOp module, CalibrationStats& stats);

/// Gives the first factor of each layer llmopt-lowrank split (`<name>/lowrank_v`, which reads the
/// layer's input) the layer's statistics.
void applyLowRank(mlir::ModuleOp module, CalibrationStats& stats);

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_CALIBRATION_H
