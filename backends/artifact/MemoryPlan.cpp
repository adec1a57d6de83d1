//===- MemoryPlan.cpp - arena slots from liveness -------------------------===//
#include "backends/artifact/MemoryPlan.h"

namespace llmopt {

using namespace mlir;

SlotPlan assignSlots(ArrayRef<PlanStep> steps, const llvm::DenseSet<Value>& keepAlive,
                     const SymbolicShapes& shapes) {
  llvm::DenseMap<Value, size_t> lastRead;
  for (size_t i = 0; i < steps.size(); ++i)
    for (Value v : steps[i].reads) lastRead[v] = i;

  SlotPlan plan;
  // Free slots, most recently freed last, with the shape of their last tenant.
  std::vector<std::pair<int, SymShape>> freeSlots;
  for (size_t i = 0; i < steps.size(); ++i) {
    Value out = steps[i].writes;
    const SymShape& shape = shapes.shapes.lookup(out);
    // Prefer a slot whose last tenant had the same shape (its size will fit exactly), then the
    // most recently freed one (likely still in cache).
    auto same = std::find_if(freeSlots.rbegin(), freeSlots.rend(),
                             [&](const auto& slot) { return slot.second == shape; });
    if (same == freeSlots.rend() && !freeSlots.empty()) same = freeSlots.rbegin();
    if (same != freeSlots.rend()) {
      plan.slotOf[out] = same->first;
      freeSlots.erase(std::next(same).base());
    } else {
      plan.slotOf[out] = plan.numSlots++;
    }
    // Operands read for the last time give their slot back after this step (not before: a
    // kernel must not write over its own inputs).
    for (Value v : steps[i].reads) {
      auto slot = plan.slotOf.find(v);
      if (slot == plan.slotOf.end() || keepAlive.contains(v) || lastRead.lookup(v) != i) continue;
      if (std::any_of(freeSlots.begin(), freeSlots.end(),
                      [&](const auto& s) { return s.first == slot->second; }))
        continue;  // read twice by this step
      freeSlots.emplace_back(slot->second, shapes.shapes.lookup(v));
    }
    // A result nobody reads (and not an output) frees its slot at once.
    if (!lastRead.count(out) && !keepAlive.contains(out))
      freeSlots.emplace_back(plan.slotOf[out], shape);
  }
  return plan;
}

}  // namespace llmopt
