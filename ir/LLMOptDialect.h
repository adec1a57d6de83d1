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
}  // namespace llmopt

#endif  // LLMOPT_IR_LLMOPTDIALECT_H
