//===- MemoryPlan.cpp - arena slots from liveness -------------------------===//
#include "backends/artifact/MemoryPlan.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>

namespace llmopt {

using namespace mlir;

std::optional<SymDim> symbolicBytes(Value value, const SymShape& shape) {
  Type element = value.getType().cast<ShapedType>().getElementType();
  if (!element.isIntOrFloat()) return std::nullopt;
  unsigned bits = element.getIntOrFloatBitWidth();
  std::optional<SymDim> bytes = SymDim::constant(bits == 1 ? 1 : bits / 8);
  for (const SymDim& dim : shape)
    if (!(bytes = bytes->times(dim))) return std::nullopt;
  return bytes;
}

namespace {

/// The first of step i's in-place operands whose slot its result may take (see PlanStep).
std::optional<Value> inPlaceOperand(const PlanStep& step, size_t i, const SlotPlan& plan,
                                    const llvm::DenseMap<Value, size_t>& lastRead,
                                    const llvm::DenseSet<Value>& keepAlive,
                                    const SymbolicShapes& shapes) {
  std::optional<SymDim> outBytes =
      symbolicBytes(step.writes, shapes.shapes.lookup(step.writes));
  for (unsigned index : step.inPlace) {
    Value v = step.reads[index];
    if (!plan.slotOf.count(v) || keepAlive.contains(v) || lastRead.lookup(v) != i ||
        llvm::count(step.reads, v) != 1)
      continue;
    std::optional<SymDim> bytes = symbolicBytes(v, shapes.shapes.lookup(v));
    if (outBytes && bytes && *bytes == *outBytes) return v;
  }
  return std::nullopt;
}

/// a <=> b (-1, 0, 1) where that holds for every value >= 1 of the symbols (sizes of dims):
/// with the same symbols, or one monomial's symbols a superset of the other's and its
/// coefficient no smaller. nullopt when the order depends on the symbols' values.
std::optional<int> compareBytes(const SymDim& a, const SymDim& b) {
  if (a.num == 0 || b.num == 0) return (a.num != 0) - (b.num != 0);
  __int128 lhs = static_cast<__int128>(a.num) * b.den, rhs = static_cast<__int128>(b.num) * a.den;
  const int coefficients = (lhs > rhs) - (lhs < rhs);
  // syms are sorted: std::includes tests multiset inclusion.
  const bool aCovers = std::includes(a.syms.begin(), a.syms.end(), b.syms.begin(), b.syms.end());
  const bool bCovers = std::includes(b.syms.begin(), b.syms.end(), a.syms.begin(), a.syms.end());
  if (aCovers && bCovers) return coefficients;
  if (aCovers && coefficients >= 0) return 1;
  if (bCovers && coefficients <= 0) return -1;
  return std::nullopt;
}

struct FreeSlot {
  int slot;
  SymShape lastShape;  // of its last tenant
};

/// Which free slot (an index into `freeSlots`, most recently freed last) a tensor of `shape` and
/// `bytes` takes, given the bytes of each slot's largest tenant so far (`capacity`): the smallest
/// it fits in, else the largest (which grows the least). Where sizes do not decide, a slot whose
/// last tenant had the same shape, then the most recently freed one (likely still in cache).
size_t pickFreeSlot(ArrayRef<FreeSlot> freeSlots, const SymShape& shape,
                    const std::optional<SymDim>& bytes,
                    ArrayRef<std::optional<SymDim>> capacity) {
  // Slot k's capacity <=> bytes, when both are known and comparable.
  auto fit = [&](size_t k) -> std::optional<int> {
    const std::optional<SymDim>& have = capacity[freeSlots[k].slot];
    return bytes && have ? compareBytes(*have, *bytes) : std::nullopt;
  };
  // Slot j's capacity <=> slot k's (0 when not comparable: neither is preferred).
  auto order = [&](size_t j, size_t k) {
    return compareBytes(*capacity[freeSlots[j].slot], *capacity[freeSlots[k].slot]).value_or(0);
  };
  std::optional<size_t> fits, largest, sameShape;
  for (size_t k = freeSlots.size(); k-- > 0;) {
    std::optional<int> f = fit(k);
    bool same = freeSlots[k].lastShape == shape;
    if (f && *f >= 0) {
      int o = fits ? order(k, *fits) : -1;
      if (o < 0 || (o == 0 && same && freeSlots[*fits].lastShape != shape)) fits = k;
    } else if (f) {
      if (!largest || order(k, *largest) > 0) largest = k;
    }
    if (same && !sameShape) sameShape = k;
  }
  if (fits) return *fits;
  if (largest) return *largest;
  if (sameShape) return *sameShape;
  return freeSlots.size() - 1;
}

/// A slot's capacity once a tensor of `bytes` moves in: the larger of the two, unknown from
/// now on when they cannot be compared.
void growCapacity(std::optional<SymDim>& capacity, const std::optional<SymDim>& bytes) {
  std::optional<int> order = bytes && capacity ? compareBytes(*capacity, *bytes) : std::nullopt;
  if (!order)
    capacity = std::nullopt;
  else if (*order < 0)
    capacity = bytes;
}

}  // namespace

SlotPlan assignSlots(ArrayRef<PlanStep> steps, const llvm::DenseSet<Value>& keepAlive,
                     const SymbolicShapes& shapes) {
  llvm::DenseMap<Value, size_t> lastRead;
  for (size_t i = 0; i < steps.size(); ++i)
    for (Value v : steps[i].reads) lastRead[v] = i;

  SlotPlan plan;
  std::vector<FreeSlot> freeSlots;  // most recently freed last
  // Per slot, the bytes of its largest tenant so far; nullopt once two cannot be compared.
  std::vector<std::optional<SymDim>> capacity;
  for (size_t i = 0; i < steps.size(); ++i) {
    Value out = steps[i].writes;
    const SymShape& shape = shapes.shapes.lookup(out);
    std::optional<SymDim> bytes = symbolicBytes(out, shape);
    int outSlot;
    if (std::optional<Value> operand =
            inPlaceOperand(steps[i], i, plan, lastRead, keepAlive, shapes)) {
      // The operand dies here: the result takes its slot (of the same size), which therefore
      // stays taken.
      outSlot = plan.slotOf.lookup(*operand);
      plan.inPlace.insert(out);
    } else if (!freeSlots.empty()) {
      size_t k = pickFreeSlot(freeSlots, shape, bytes, capacity);
      outSlot = freeSlots[k].slot;
      freeSlots.erase(freeSlots.begin() + k);
      growCapacity(capacity[outSlot], bytes);
    } else {
      outSlot = plan.numSlots++;
      capacity.push_back(bytes);
    }
    plan.slotOf[out] = outSlot;
    // Operands read for the last time give their slot back after this step (not before: only
    // an in-place kernel may write over its own inputs).
    for (Value v : steps[i].reads) {
      auto slot = plan.slotOf.find(v);
      if (slot == plan.slotOf.end() || keepAlive.contains(v) || lastRead.lookup(v) != i) continue;
      if (slot->second == outSlot) continue;  // the result lives there now
      if (llvm::any_of(freeSlots, [&](const FreeSlot& s) { return s.slot == slot->second; }))
        continue;  // read twice by this step
      freeSlots.push_back({slot->second, shapes.shapes.lookup(v)});
    }
    // A result nobody reads (and not an output) frees its slot at once.
    if (!lastRead.count(out) && !keepAlive.contains(out)) freeSlots.push_back({outSlot, shape});
  }
  return plan;
}

}  // namespace llmopt
