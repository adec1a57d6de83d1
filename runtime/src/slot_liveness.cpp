#include "slot_liveness.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "checked_math.h"
#include "dtype.h"

namespace llmopt::rt {
namespace {

bool sameDim(const DimExpr& a, const DimExpr& b) {
  return a.num == b.num && a.den == b.den && a.num_syms == b.num_syms &&
         std::equal(a.syms, a.syms + a.num_syms, b.syms);
}

bool sameShape(const TensorDesc& a, const TensorDesc& b) {
  if (a.rank != b.rank) return false;
  for (int d = 0; d < a.rank; ++d)
    if (!sameDim(a.dims[d], b.dims[d])) return false;
  return true;
}

// A tensor's byte count, num / den * product(syms), in one form per monomial: the fraction in
// lowest terms, the symbols sorted (0 bytes: num 0, no symbols). Equal forms are equal counts
// whatever values the symbols take.
struct ByteCount {
  int64_t num = 1, den = 1;
  std::vector<uint32_t> syms;
  bool operator==(const ByteCount& o) const {
    return num == o.num && den == o.den && syms == o.syms;
  }
};

// num/den times a/b (all positive), reduced; false on overflow.
bool multiplyFraction(int64_t* num, int64_t* den, int64_t a, int64_t b) {
  const int64_t g1 = std::gcd(*num, b), g2 = std::gcd(a, *den);
  return checkedMul(*num / g1, a / g2, num) && checkedMul(*den / g2, b / g1, den);
}

// False when it does not fit in 64 bits.
bool byteCountOf(const TensorDesc& t, ByteCount* out) {
  *out = ByteCount{static_cast<int64_t>(dtypeSize(t.dtype)), 1, {}};
  for (int d = 0; d < t.rank; ++d) {
    const DimExpr& dim = t.dims[d];
    if (dim.num == 0) {
      *out = ByteCount{0, 1, {}};
      return true;
    }
    if (!multiplyFraction(&out->num, &out->den, dim.num, dim.den)) return false;
    out->syms.insert(out->syms.end(), dim.syms, dim.syms + dim.num_syms);
  }
  const int64_t g = std::gcd(out->num, out->den);
  out->num /= g;
  out->den /= g;
  std::sort(out->syms.begin(), out->syms.end());
  return true;
}

// Why `op` may not write its output over `input`, which it reads for the last time and whose
// slot the output shares; nullptr when it may (see checkSlotLiveness).
const char* inPlaceProblem(const ModelDesc& model, const OpDesc& op, uint32_t input) {
  const size_t reads = std::count(op.inputs.begin(), op.inputs.end(), input);
  if (reads != 1) return "it reads that input more than once";
  const size_t position = std::find(op.inputs.begin(), op.inputs.end(), input) - op.inputs.begin();
  const InPlace rule = inPlaceRule(op.kernel, position);
  if (rule == InPlace::No) return "its kernel does not run in place on that input";
  const TensorDesc &in = model.tensors[input], &out = model.tensors[op.output];
  if (dtypeSize(in.dtype) != dtypeSize(out.dtype)) return "the output's element size differs";
  if (rule == InPlace::SameShape)
    return sameShape(in, out) ? nullptr : "the output's shape differs";
  ByteCount in_bytes, out_bytes;
  if (!byteCountOf(in, &in_bytes) || !byteCountOf(out, &out_bytes))
    return "the sizes overflow 64 bits";
  return in_bytes == out_bytes ? nullptr : "the output's byte count differs";
}

// The ops during which a tensor is live.
struct Range {
  int64_t first, last;
  uint32_t tensor;
};

// Two tensors of `slot` live at once; `problem` says why an in-place write is refused, if that
// is what the plan asked for.
Status refuseOverlap(const ModelDesc& model, uint32_t slot, const Range& before,
                     const Range& after, const char* problem) {
  const char* a = model.tensors[before.tensor].name;
  const char* b = model.tensors[after.tensor].name;
  const auto a_first = static_cast<long long>(before.first);
  const auto a_last = static_cast<long long>(before.last);
  const auto b_first = static_cast<long long>(after.first);
  const auto b_last = static_cast<long long>(after.last);
#define LLMOPT_OVERLAP \
  "slot %u holds tensors '%s' and '%s' while both are live (ops %lld-%lld and %lld-%lld)"
  if (!problem)
    return fail(LLMOPT_ERROR_INVALID_ARTIFACT, LLMOPT_OVERLAP, slot, a, b, a_first, a_last,
                b_first, b_last);
  const OpDesc& op = model.ops[after.first];
  return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
              LLMOPT_OVERLAP ": op '%s' (%s) cannot write over '%s' in place: %s", slot, a, b,
              a_first, a_last, b_first, b_last, op.name, opKernelName(op.kernel), a, problem);
#undef LLMOPT_OVERLAP
}

}  // namespace

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
      // Meeting at one op, which reads `before` for the last time and writes `after`: in place.
      const char* problem = nullptr;
      if (after.first == before.last && before.first < after.first) {
        problem = inPlaceProblem(model, model.ops[after.first], before.tensor);
        if (!problem) continue;
      }
      return refuseOverlap(model, slot, before, after, problem);
    }
  }
  return LLMOPT_OK;
}

}  // namespace llmopt::rt
