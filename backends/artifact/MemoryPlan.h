//===- MemoryPlan.h - arena slots from liveness ---------------------------===//
//
// Each tensor computed at run time gets an arena slot; tensors whose lifetimes do not overlap
// share one. A slot's size is only known once the symbols are bound, so the runtime sizes slots
// (the largest tensor in each) when it binds the inputs; the plan compares sizes as monomials
// (valid for every value of the symbols) to put a tensor in the smallest free slot it fits.
//
// A step whose kernel can run in place writes its result into the slot of an operand it reads
// for the last time (a reshape then costs nothing, an elementwise op no second buffer).
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_BACKENDS_ARTIFACT_MEMORYPLAN_H
#define LLMOPT_BACKENDS_ARTIFACT_MEMORYPLAN_H

#include "ir/SymbolicShapes.h"

#include "llvm/ADT/DenseSet.h"

namespace llmopt {

struct SlotPlan {
  llvm::DenseMap<mlir::Value, int> slotOf;
  int numSlots = 0;
  llvm::DenseSet<mlir::Value> inPlace;  // results written into an operand's slot
};

/// `steps[i]` lists what step i reads and what it writes (in execution order). Values in
/// `keepAlive` (the model outputs) never give their slot back.
struct PlanStep {
  llvm::SmallVector<mlir::Value, 3> reads;
  mlir::Value writes;
  /// Indices into `reads` of the operands the step's kernel may overwrite with its result, best
  /// first. One is taken when it is a computed tensor, not in `keepAlive`, read for the last time
  /// and only once by this step, and of the result's byte size.
  llvm::SmallVector<unsigned, 2> inPlace;
};
SlotPlan assignSlots(llvm::ArrayRef<PlanStep> steps, const llvm::DenseSet<mlir::Value>& keepAlive,
                     const SymbolicShapes& shapes);

/// The bytes of `value` (a ranked tensor of shape `shape`; a bool takes one byte) as a monomial
/// over the symbols; nullopt when it does not fit in 64 bits.
std::optional<SymDim> symbolicBytes(mlir::Value value, const SymShape& shape);

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_ARTIFACT_MEMORYPLAN_H
