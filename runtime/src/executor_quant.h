// The ops whose weights are stored quantized (plan.fbs: QuantLinearParams, QuantGatherParams).
#ifndef LLMOPT_RUNTIME_EXECUTOR_QUANT_H
#define LLMOPT_RUNTIME_EXECUTOR_QUANT_H

#include "executor.h"

namespace llmopt::rt {

bool isQuantizedKernel(OpKernel kernel);
uint64_t quantizedScratchBytes(const OpDesc& op, const Shape* shapes);
Status executeQuantized(const OpDesc& op, const ExecContext& context);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_EXECUTOR_QUANT_H
