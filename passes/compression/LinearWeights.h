//===- LinearWeights.h - reading the weights compression passes rewrite ---===//
#ifndef LLMOPT_PASSES_COMPRESSION_LINEARWEIGHTS_H
#define LLMOPT_PASSES_COMPRESSION_LINEARWEIGHTS_H

#include "ir/LLMOptOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmopt {

/// A linear's weight as row-major [N, K] floats, whether it is a constant [N, K] or a
/// transpose of a constant [K, N] (how MatMul exports arrive); nothing if it is not constant f32.
std::optional<std::vector<float>> readLinearWeight(LinearOp linear);

/// A matmul by a constant matrix C [K, N], or by transpose(C) with C [N, K]: its weight as
/// row-major [N, K] floats (a layer llmopt-recognize-linear has not turned into a linear yet).
std::optional<std::vector<float>> readMatMulWeight(MatMulOp matmul);

/// The activations a layer multiplies by its constant weight: a linear's input, or the lhs of a
/// matmul by a constant matrix (transposed or not); null for anything else.
mlir::Value weightedLayerInput(mlir::Operation* op);

/// Row-major [rows, cols] transposed to [cols, rows].
std::vector<float> transposeMatrix(const std::vector<float>& values, int64_t rows, int64_t cols);

/// A 2-D f32 constant's values, row-major.
std::optional<std::vector<float>> readConstantMatrix(mlir::Value value);

/// The layer's name: the ONNX node name of its location, else the op name.
std::string layerName(mlir::Operation* op);

/// Layer names for a walk over a module: layerName, with "#1", "#2"... added to repeats, so
/// the calibration, the snapshot of weights and the report name layers alike.
class LayerNames {
 public:
  std::string operator()(mlir::Operation* op);

 private:
  std::map<std::string, int> uses;
};

/// True for the last linear before a model output: its result reaches the function's return
/// through reshapes and transposes only.
bool isLmHead(mlir::Operation* op);

/// A dictionary attribute of the module (per-layer calibration statistics, a pass's record) as an
/// editable list; empty when the module has none.
mlir::NamedAttrList readModuleDictionary(mlir::ModuleOp module, llvm::StringRef name);

/// Sets the module's dictionary attribute `name` to `entries`, unless they are empty.
void writeModuleDictionary(mlir::ModuleOp module, llvm::StringRef name,
                           const mlir::NamedAttrList& entries);

/// Erases `value`'s defining constant (and a transpose in between) once nothing uses them.
void eraseIfUnused(mlir::Value value);

}  // namespace llmopt

#endif  // LLMOPT_PASSES_COMPRESSION_LINEARWEIGHTS_H
