//===- MemoryPlan.h - arena slots from liveness ---------------------------===//
//
// Each tensor computed at run time gets an arena slot; tensors whose lifetimes do not overlap
// share one. A slot's size is only known once the symbols are bound, so the runtime sizes slots
// (the largest tensor in each) when it binds the inputs.
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
};

/// `steps[i]` lists what step i reads and what it writes (in execution order). Values in
/// `keepAlive` (the model outputs) never give their slot back.
struct PlanStep {
  llvm::SmallVector<mlir::Value, 3> reads;
  mlir::Value writes;
};
SlotPlan assignSlots(llvm::ArrayRef<PlanStep> steps, const llvm::DenseSet<mlir::Value>& keepAlive,
                     const SymbolicShapes& shapes);

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_ARTIFACT_MEMORYPLAN_H
