//===- StructureReport.h - what pruning and low rank did to each layer ----===//
//
// After the pipeline: one row per linear layer whose weight shape llmopt-prune or llmopt-lowrank
// changed, with the change, the parameters before and after, and (with --calib) the relative
// error of the layer's output on the calibration inputs.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_STRUCTUREREPORT_H
#define LLMOPT_TOOLS_LLMOPT_STRUCTUREREPORT_H

#include "tools/llmopt/Calibration.h"
#include "tools/llmopt/QuantReport.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace llmopt {

struct StructureRow {
  std::string name;    // the layer's name before the pipeline
  std::string change;  // "ffn: 819 of 1024 input channels", "rank 112 (break-even 128)", ...
  int64_t paramsBefore = 0, paramsAfter = 0;  // weight elements (both factors of a low-rank pair)
  double error = -1.0;  // relative error of the output on the calibration inputs; < 0: not measured
};

struct StructureReport {
  std::vector<StructureRow> rows;
  int64_t modelParamsBefore = 0, modelParamsAfter = 0;  // every constant linear weight and table
};

/// `before` is the snapshot taken before the pipeline, `calibration` the statistics as the
/// calibration run collected them (before applyPruning narrows them), or null. Reads back only
/// the weights of the layers it reports.
StructureReport buildStructureReport(mlir::ModuleOp module, const WeightSnapshots& before,
                                     const CalibrationStats* calibration);
void printStructureReport(const StructureReport& report, llvm::raw_ostream& os);
llvm::json::Object structureReportJson(const StructureReport& report);

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_STRUCTUREREPORT_H
