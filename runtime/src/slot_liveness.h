// Checks the compiler's arena plan: tensors sharing a slot must never be live at the same time,
// unless an op that can run in place writes over an input it reads for the last time.
#ifndef LLMOPT_RUNTIME_SLOT_LIVENESS_H
#define LLMOPT_RUNTIME_SLOT_LIVENESS_H

#include "error.h"
#include "model.h"

namespace llmopt::rt {

// A tensor is live from the op that writes it to the last op that reads it, both inclusive
// (outputs: to the end of the plan). Refuses two tensors in one slot whose live ranges overlap.
// The one overlap allowed is an op writing its output over one of its inputs whose range ends at
// that op: when the kernel can do that for that input (inPlaceRule), reads the input only once,
// and the two have the same element size and the same shape (copy: the same byte count), as
// symbolic dims, so for any bound symbols.
Status checkSlotLiveness(const ModelDesc& model);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_SLOT_LIVENESS_H
