//===- QuantModes.h - the precisions llmopt stores weights in -------------===//
//
// One vocabulary for the CLI (`--quant`), the pass options, the `mode` attribute of the
// quantized ops, the artifact and the report.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_IR_QUANTMODES_H
#define LLMOPT_IR_QUANTMODES_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace llmopt {

enum class QuantMode {
  Int8,        // W8A8: int8 weights per output channel, int8 activations per token at run time
  Int8Weight,  // int8 weights per output channel, fp32 activations
  Int4,        // 4-bit weights, groups along K with an fp16 scale and offset each
  F16,
  BF16,
};

/// "int8", "int8-weight", "int4", "fp16", "bf16".
llvm::StringRef quantModeName(QuantMode mode);
std::optional<QuantMode> parseQuantMode(llvm::StringRef name);
/// The names, for error messages: "int8, int8-weight, int4, fp16, bf16".
llvm::StringRef quantModeList();

/// The element type of the stored weight (i8, ui4, f16 or bf16).
mlir::Type quantWeightElementType(QuantMode mode, mlir::MLIRContext* context);
/// Bits per stored weight element (8, 4 or 16).
int quantWeightBits(QuantMode mode);

/// Number of groups of `groupSize` along `k` (the last may be short).
inline int64_t quantGroupCount(int64_t k, int64_t groupSize) {
  return (k + groupSize - 1) / groupSize;
}

}  // namespace llmopt

#endif  // LLMOPT_IR_QUANTMODES_H
