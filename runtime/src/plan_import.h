// Turns a verified FlatBuffer plan into ModelDesc, refusing every plan the executor could not run
// safely: indices out of range, constants outside the weights blob, ops without the parameters,
// operand counts or dtypes their kernel needs, unbound symbols, slots shared by live tensors.
#ifndef LLMOPT_RUNTIME_PLAN_IMPORT_H
#define LLMOPT_RUNTIME_PLAN_IMPORT_H

#include <cstdint>

#include "error.h"
#include "llmopt/plan_generated.h"
#include "model.h"

namespace llmopt::rt {

// `plan` must have passed flatbuffers::Verifier. Errors are LLMOPT_ERROR_INVALID_ARTIFACT
// (or LLMOPT_ERROR_UNSUPPORTED for an op or target this runtime does not know), with a message
// naming the tensor, op or field.
Status importPlan(const plan::Plan& plan, const uint8_t* weights, uint64_t weights_bytes,
                  ModelDesc* out);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_PLAN_IMPORT_H
