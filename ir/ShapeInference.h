//===- ShapeInference.h - shape rules of llmopt ops -----------------------===//
//
// Pure functions from operand shapes to result shapes, with ShapedType::kDynamic for unknown
// dims. Ops use them in inferReturnTypes (so they also verify), the importer through the ops.
// On failure they return the reason as a message.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_IR_SHAPEINFERENCE_H
#define LLMOPT_IR_SHAPEINFERENCE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>
#include <variant>

namespace llmopt {

using Shape = llvm::SmallVector<int64_t, 6>;
/// A shape, or the message saying why there is none.
using ShapeOrError = std::variant<Shape, std::string>;

/// numpy broadcasting. A dynamic dim against a static d > 1 gives d (the dynamic one must be 1
/// or d at run time); dynamic against dynamic stays dynamic.
ShapeOrError broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// numpy matmul, rank-1 operands included.
ShapeOrError matmulShape(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// x [..., K] · Wᵀ with W [N, K] (+ b [N]).
ShapeOrError linearShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                         const llvm::ArrayRef<int64_t>* bias);

/// ONNX Reshape (allowzero = 0): 0 copies the input dim, -1 is inferred.
ShapeOrError reshapeShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> spec);

/// result[i] = input[perm[i]].
ShapeOrError transposeShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> perm);

/// The product of the static dims of `shape` (dynamic dims are skipped), or nullopt when it does
/// not fit in int64_t: ONNX dims come from untrusted models.
std::optional<int64_t> staticElementCount(llvm::ArrayRef<int64_t> shape);

/// "[?, 16]" for messages.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

}  // namespace llmopt

#endif  // LLMOPT_IR_SHAPEINFERENCE_H
