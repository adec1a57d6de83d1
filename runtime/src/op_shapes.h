// Run-time shape checks: once symbols are bound, every op's resolved operand shapes must be what
// its kernel computes. The artifact is untrusted; a kernel only runs on shapes checked here.
#ifndef LLMOPT_RUNTIME_OP_SHAPES_H
#define LLMOPT_RUNTIME_OP_SHAPES_H

#include <string>

#include "error.h"
#include "model.h"

namespace llmopt::rt {

// `shapes` holds the resolved shape of every tensor of the model.
Status checkOpShapes(const ModelDesc& model, const OpDesc& op, const Shape* shapes);

// "[2, 16, 8]".
std::string formatShape(const Shape& shape);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_OP_SHAPES_H
