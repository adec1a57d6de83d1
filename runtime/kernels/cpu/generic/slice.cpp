#include "kernels/cpu/generic/slice.h"

#include <cstring>

#include "kernels/cpu/generic/elem_bits.h"
#include "kernels/cpu/generic/strided_walk.h"

namespace llmopt::kernels::cpu {

void slice(const void* x, const Shape& x_shape, const int64_t* starts, const int64_t* steps,
           size_t elem_size, void* y, const Shape& y_shape, Parallel* parallel) {
  if (y_shape.elements() == 0) return;
  int64_t full[1][kMaxRank];
  int64_t base = 0, stride = 1;
  for (int d = x_shape.rank - 1; d >= 0; --d) {
    // A dim of length 1 never steps (its step is unchecked and may be huge).
    full[0][d] = y_shape.dims[d] > 1 ? steps[d] * stride : 0;
    base += starts[d] * stride;
    stride *= x_shape.dims[d];
  }
  const StridedLayout<1> l = makeStridedLayout<1>(y_shape, full);
  const int64_t step = l.innerStride(0);
  withElemWord(elem_size, [&](auto word) {
    using W = decltype(word);
    const W* src = static_cast<const W*>(x) + base;
    W* dst = static_cast<W*>(y);
    forEachRow<1>(l, parallel, [&](const int64_t* off, int64_t y_off, int64_t n) {
      const W* row = src + off[0];
      if (step == 1) {
        std::memcpy(dst + y_off, row, static_cast<size_t>(n) * sizeof(W));
      } else {
        for (int64_t i = 0; i < n; ++i) dst[y_off + i] = row[i * step];
      }
    });
  });
}

}  // namespace llmopt::kernels::cpu
