//===- QuantReport.h - what quantization did to each layer ----------------===//
//
// After the pipeline: one row per weighted layer (linear or embedding table) with its precision,
// weight bytes before and after, and the relative error the quantization introduced: on the
// layer's output for the calibration inputs when there are some (--calib), else on its weights.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_QUANTREPORT_H
#define LLMOPT_TOOLS_LLMOPT_QUANTREPORT_H

#include "tools/llmopt/Calibration.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>
#include <vector>

namespace llmopt {

/// The fp32 weights [rows, cols] of every layer, taken before the pipeline changes them.
struct WeightSnapshot {
  int64_t rows = 0, cols = 0;
  std::vector<float> values;
};
using WeightSnapshots = std::map<std::string, WeightSnapshot>;
WeightSnapshots snapshotWeights(mlir::ModuleOp module);

struct LayerReport {
  std::string name;
  std::string kind;       // "linear" or "embedding"
  std::string precision;  // "fp32", "int8", "int8-weight", "int4", "fp16", "bf16"
  uint64_t bytesBefore = 0, bytesAfter = 0;  // weights (and their scales), biases excluded
  double error = -1.0;    // relative (Frobenius); < 0 when unknown
  bool outputError = false;  // measured on the layer's output for calibration inputs
};

std::vector<LayerReport> buildReport(mlir::ModuleOp module, const WeightSnapshots& before,
                                     const CalibrationStats* calibration);
void printReport(const std::vector<LayerReport>& layers, llvm::raw_ostream& os);
/// Writes the report as JSON atomically, with the keys of `extra` (e.g. "op_counts") beside
/// the layers; false (with `error`) when the file cannot be written.
bool writeReportJson(const std::vector<LayerReport>& layers, const std::string& path,
                     std::string& error, llvm::json::Object extra = {});

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_QUANTREPORT_H
