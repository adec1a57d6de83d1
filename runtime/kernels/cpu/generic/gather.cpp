#include "kernels/cpu/generic/gather.h"

#include <cstring>

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {
namespace {

int64_t indexAt(const GatherArgs& a, int64_t j) {
  return a.indices_i64 ? static_cast<const int64_t*>(a.indices)[j]
                       : static_cast<const int32_t*>(a.indices)[j];
}

}  // namespace

bool gather(const GatherArgs& a, int64_t* bad_index, Parallel* parallel) {
  // Every index is checked before anything is written.
  for (int64_t j = 0; j < a.count; ++j) {
    const int64_t i = indexAt(a, j);
    if (i < -a.dim || i >= a.dim) {
      *bad_index = i;
      return false;
    }
  }
  const size_t row_bytes = static_cast<size_t>(a.inner) * a.elem_size;
  if (a.outer == 0 || a.count == 0 || row_bytes == 0) return true;
  const auto* src = static_cast<const unsigned char*>(a.data);
  auto* dst = static_cast<unsigned char*>(a.y);
  parallelRanges(parallel, a.outer * a.count, a.inner, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t o = r / a.count, j = r % a.count;
      int64_t i = indexAt(a, j);
      if (i < 0) i += a.dim;
      std::memcpy(dst + static_cast<size_t>(r) * row_bytes,
                  src + static_cast<size_t>(o * a.dim + i) * row_bytes, row_bytes);
    }
  });
  return true;
}

}  // namespace llmopt::kernels::cpu
