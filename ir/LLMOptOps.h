//===- LLMOptOps.h - ops of the llmopt dialect ----------------------------===//
#ifndef LLMOPT_IR_LLMOPTOPS_H
#define LLMOPT_IR_LLMOPTOPS_H

#include "ir/LLMOptDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "ir/LLMOptOps.h.inc"

#endif  // LLMOPT_IR_LLMOPTOPS_H
