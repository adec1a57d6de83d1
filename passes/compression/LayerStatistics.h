//===- LayerStatistics.h - calibration statistics passes keep consistent --===//
//
// The module's per-layer calibration statistics (llmopt.calibration, llmopt.calibration_rms,
// llmopt.calibration_gram), read and edited by the passes that change a layer's input channels
// (llmopt-prune narrows them, llmopt-lowrank gives them to a layer's first factor) and written
// back, so that later passes (smoothing, the report) see the layers as they now are.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_PASSES_COMPRESSION_LAYERSTATISTICS_H
#define LLMOPT_PASSES_COMPRESSION_LAYERSTATISTICS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OperationSupport.h"

namespace llmopt {

class LayerStatistics {
 public:
  explicit LayerStatistics(mlir::ModuleOp module);
  void write(mlir::ModuleOp module) const;

  /// The layer's input RMS [k], or its mean x xᵀ [k, k]; null when absent or of another size.
  mlir::DenseFPElementsAttr rms(llvm::StringRef layer, int64_t k) const;
  mlir::DenseFPElementsAttr gram(llvm::StringRef layer, int64_t k) const;

  /// Cuts the statistics of a layer with k input channels to `channels` (ascending).
  void keepChannels(llvm::StringRef layer, int64_t k, llvm::ArrayRef<int64_t> channels);

  /// Gives layer `to` the statistics of `from`, whose input it reads.
  void copy(llvm::StringRef from, llvm::StringRef to);

 private:
  mlir::NamedAttrList absMax, rmsValues, gramValues;
};

}  // namespace llmopt

#endif  // LLMOPT_PASSES_COMPRESSION_LAYERSTATISTICS_H
