#include "kernels/cpu/generic/concat.h"

#include <cstring>

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {

void concat(const ConcatInput* inputs, size_t count, int64_t outer, int64_t inner,
            size_t elem_size, void* y, Parallel* parallel) {
  int64_t total = 0;
  for (size_t k = 0; k < count; ++k) total += inputs[k].dim;
  const size_t y_row = static_cast<size_t>(total * inner) * elem_size;
  if (outer == 0 || y_row == 0) return;
  auto* dst = static_cast<unsigned char*>(y);
  parallelRanges(parallel, outer, total * inner, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      unsigned char* out = dst + static_cast<size_t>(o) * y_row;
      for (size_t k = 0; k < count; ++k) {
        const size_t bytes = static_cast<size_t>(inputs[k].dim * inner) * elem_size;
        if (bytes == 0) continue;
        std::memcpy(out, static_cast<const unsigned char*>(inputs[k].data) + o * bytes, bytes);
        out += bytes;
      }
    }
  });
}

}  // namespace llmopt::kernels::cpu
