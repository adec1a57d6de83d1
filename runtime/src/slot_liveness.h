// Checks the compiler's arena plan: tensors sharing a slot must never be live at the same time.
#ifndef LLMOPT_RUNTIME_SLOT_LIVENESS_H
#define LLMOPT_RUNTIME_SLOT_LIVENESS_H

#include "error.h"
#include "model.h"

namespace llmopt::rt {

// A tensor is live from the op that writes it to the last op that reads it, both inclusive
// (outputs: to the end of the plan). Refuses two tensors in one slot whose live ranges overlap,
// which includes an op reading and writing the same slot (no kernel runs in place).
Status checkSlotLiveness(const ModelDesc& model);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_SLOT_LIVENESS_H
