#include "slot_liveness.h"

#include <algorithm>

namespace llmopt::rt {

Status checkSlotLiveness(const ModelDesc& model) {
  const size_t num_tensors = model.tensors.size();
  const int64_t end = static_cast<int64_t>(model.ops.size());
  std::vector<int64_t> first(num_tensors, -1), last(num_tensors, -1);
  for (int64_t i = 0; i < end; ++i) {
    const OpDesc& op = model.ops[i];
    for (uint32_t t : op.inputs) last[t] = i;
    first[op.output] = i;
    last[op.output] = std::max(last[op.output], i);
  }
  for (uint32_t t : model.outputs) last[t] = end;

  struct Range {
    int64_t first, last;
    uint32_t tensor;
  };
  std::vector<std::vector<Range>> by_slot(model.num_slots);
  for (uint32_t t = 0; t < num_tensors; ++t) {
    const TensorDesc& tensor = model.tensors[t];
    if (tensor.slot < 0 || first[t] < 0) continue;
    by_slot[tensor.slot].push_back({first[t], last[t], t});
  }
  for (uint32_t slot = 0; slot < model.num_slots; ++slot) {
    std::vector<Range>& ranges = by_slot[slot];
    std::sort(ranges.begin(), ranges.end(),
              [](const Range& x, const Range& y) { return x.first < y.first; });
    for (size_t i = 1; i < ranges.size(); ++i) {
      const Range& before = ranges[i - 1];
      const Range& after = ranges[i];
      if (after.first > before.last) continue;
      return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
                  "slot %u holds tensors '%s' and '%s' while both are live (ops %lld-%lld and "
                  "%lld-%lld)",
                  slot, model.tensors[before.tensor].name, model.tensors[after.tensor].name,
                  static_cast<long long>(before.first), static_cast<long long>(before.last),
                  static_cast<long long>(after.first), static_cast<long long>(after.last));
    }
  }
  return LLMOPT_OK;
}

}  // namespace llmopt::rt
