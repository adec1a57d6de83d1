//===- LinearWeights.h - reading the weights compression passes rewrite ---===//
#ifndef LLMOPT_PASSES_COMPRESSION_LINEARWEIGHTS_H
#define LLMOPT_PASSES_COMPRESSION_LINEARWEIGHTS_H

#include "ir/LLMOptOps.h"

#include <optional>
#include <string>
#include <vector>

namespace llmopt {

/// A linear's weight as row-major [N, K] floats, whether it is a constant [N, K] or a
/// transpose of a constant [K, N] (how MatMul exports arrive); nothing if it is not constant f32.
std::optional<std::vector<float>> readLinearWeight(LinearOp linear);

/// A 2-D f32 constant's values, row-major.
std::optional<std::vector<float>> readConstantMatrix(mlir::Value value);

/// The layer's name: the ONNX node name of its location, else the op name.
std::string layerName(mlir::Operation* op);

/// True for the last linear before a model output: its result reaches the function's return
/// through reshapes and transposes only.
bool isLmHead(mlir::Operation* op);

/// Erases `value`'s defining constant (and a transpose in between) once nothing uses them.
void eraseIfUnused(mlir::Value value);

}  // namespace llmopt

#endif  // LLMOPT_PASSES_COMPRESSION_LINEARWEIGHTS_H
