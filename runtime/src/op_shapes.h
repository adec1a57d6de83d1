// Run-time shape checks: once symbols are bound, every op's resolved operand shapes must be what
// its kernel computes. The artifact is untrusted; a kernel only runs on shapes checked here.
#ifndef LLMOPT_RUNTIME_OP_SHAPES_H
#define LLMOPT_RUNTIME_OP_SHAPES_H

#include <string>

#include "error.h"
#include "model.h"

namespace llmopt::rt {

// `shapes` holds the resolved shape of every tensor of the model, `symbols` the bound symbol
// values. Errors name the op: LLMOPT_ERROR_INVALID_ARTIFACT for shapes that disagree with the
// kernel, LLMOPT_ERROR_INVALID_ARGUMENT for a slice reading outside its input (the inputs' dims
// are too large for the model, e.g. a sequence longer than a constant mask).
Status checkOpShapes(const ModelDesc& model, const OpDesc& op, const Shape* shapes,
                     const int64_t* symbols);

// A slice's start and step along every dim of its input (0 and 1 along dims it copies whole),
// its SymInt starts evaluated for `symbols`. Fails, naming the op, when a start cannot be
// evaluated (overflow, not a whole number).
Status resolveSlice(const ModelDesc& model, const OpDesc& op, const int64_t* symbols,
                    int64_t starts[kMaxRank], int64_t steps[kMaxRank]);

// "[2, 16, 8]".
std::string formatShape(const Shape& shape);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_OP_SHAPES_H
