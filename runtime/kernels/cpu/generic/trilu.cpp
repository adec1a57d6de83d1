#include "kernels/cpu/generic/trilu.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {

void trilu(const void* x, const Shape& shape, bool upper, int64_t k, size_t elem_size, void* y,
           Parallel* parallel) {
  if (shape.rank < 2 || shape.elements() == 0) return;
  const int64_t m = shape.dims[shape.rank - 2], n = shape.dims[shape.rank - 1];
  const int64_t rows = shape.elements() / n;  // every row of every matrix
  // Beyond +-(m + n) every k keeps all or nothing; clamping keeps i + k from overflowing.
  k = std::clamp<int64_t>(k, -(m + n), m + n);
  const auto* src = static_cast<const unsigned char*>(x);
  auto* dst = static_cast<unsigned char*>(y);
  parallelRanges(parallel, rows, n, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t i = r % m;
      // Columns [keep_begin, keep_end) are kept.
      const int64_t keep_begin = upper ? std::clamp<int64_t>(i + k, 0, n) : 0;
      const int64_t keep_end = upper ? n : std::clamp<int64_t>(i + k + 1, 0, n);
      unsigned char* out = dst + static_cast<size_t>(r * n) * elem_size;
      const unsigned char* in = src + static_cast<size_t>(r * n) * elem_size;
      if (keep_begin > 0) std::memset(out, 0, static_cast<size_t>(keep_begin) * elem_size);
      if (keep_end > keep_begin)
        std::memcpy(out + keep_begin * elem_size, in + keep_begin * elem_size,
                    static_cast<size_t>(keep_end - keep_begin) * elem_size);
      if (keep_end < n)
        std::memset(out + keep_end * elem_size, 0, static_cast<size_t>(n - keep_end) * elem_size);
    }
  });
}

}  // namespace llmopt::kernels::cpu
