//===- LLMOptDialect.h - the llmopt dialect -------------------------------===//
#ifndef LLMOPT_IR_LLMOPTDIALECT_H
#define LLMOPT_IR_LLMOPTDIALECT_H

#include "mlir/IR/Dialect.h"

#include "ir/LLMOptDialect.h.inc"

namespace llmopt {
/// Function argument attribute: the ONNX name of a model input or output.
constexpr llvm::StringLiteral kNameAttr = "llmopt.name";
/// Function argument attribute: one string per dim, the symbol of a dynamic dim ("" if static).
constexpr llvm::StringLiteral kDimNamesAttr = "llmopt.dim_names";
// On the function of a decoder imported from an export with past keys and values (whose past
// became the KV cache's job): llmopt-kv-cache must give it a cache.
constexpr llvm::StringLiteral kDecoderWithPastAttr = "llmopt.decoder_with_past";
/// Module attribute: per-layer calibration statistics, {"layer name" = dense<max |x|> : tensor<K>}
/// (written by the calibration driver, read by llmopt-smooth).
constexpr llvm::StringLiteral kCalibrationAttr = "llmopt.calibration";
/// Module attribute: the SmoothQuant factors llmopt-smooth divided each layer's input by,
/// {"layer name" = dense<s> : tensor<K>} (for the report's error figures).
constexpr llvm::StringLiteral kSmoothingAttr = "llmopt.smoothing";
/// Module attribute: per-layer root-mean-square of each input channel over the calibration
/// rows, {"layer name" = dense<...> : tensor<Kxf32>} (the activation-aware pruning criterion).
constexpr llvm::StringLiteral kCalibrationRmsAttr = "llmopt.calibration_rms";
/// Module attribute: per-layer mean x xᵀ of the input over the calibration rows,
/// {"layer name" = dense<...> : tensor<KxKxf32>} (llmopt-lowrank's activation whitening; the
/// calibration accumulates it only when asked).
constexpr llvm::StringLiteral kCalibrationGramAttr = "llmopt.calibration_gram";
/// Module attribute written by llmopt-prune: per pruned layer (the one whose input channels
/// were removed), {"layer name" = {kind = "ffn" | "heads", kept = array<i64: ...>, of = N}}, kept
/// the input channels left, in order.
constexpr llvm::StringLiteral kPruningAttr = "llmopt.pruning";
/// Module attribute written by llmopt-lowrank: per factorized layer (by its original name),
/// {"layer name" = {rank = r, n = N, k = K}}.
constexpr llvm::StringLiteral kLowRankAttr = "llmopt.lowrank";
}  // namespace llmopt

#endif  // LLMOPT_IR_LLMOPTDIALECT_H
