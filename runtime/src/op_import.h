// Import of one op's parameters: picks its kernel and checks what the kernel needs of the plan
// (params present, operand count, dtypes, ranks, axes). Shapes that depend on symbols are checked
// later, at run (op_shapes.h).
#ifndef LLMOPT_RUNTIME_OP_IMPORT_H
#define LLMOPT_RUNTIME_OP_IMPORT_H

#include "error.h"
#include "llmopt/plan_generated.h"
#include "model.h"

namespace llmopt::rt {

// `op` has its name, inputs and output already imported (valid tensor indices of `model`).
// Errors are LLMOPT_ERROR_INVALID_ARTIFACT (LLMOPT_ERROR_UNSUPPORTED for params or kinds this
// runtime does not know), naming the op.
Status importOpParams(const plan::Op& in, const ModelDesc& model, OpDesc* op);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_OP_IMPORT_H
