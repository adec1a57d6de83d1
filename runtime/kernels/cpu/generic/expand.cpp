#include "kernels/cpu/generic/expand.h"

#include <cstring>

#include "kernels/cpu/generic/elem_bits.h"
#include "kernels/cpu/generic/strided_walk.h"

namespace llmopt::kernels::cpu {

void expand(const void* x, const Shape& x_shape, size_t elem_size, void* y, const Shape& y_shape,
            Parallel* parallel) {
  const Shape* const in[1] = {&x_shape};
  const StridedLayout<1> l = makeBroadcastLayout<1>(in, y_shape);
  const int64_t stride = l.innerStride(0);  // 1 (a row of x) or 0 (one value repeated)
  withElemWord(elem_size, [&](auto word) {
    using W = decltype(word);
    const W* src = static_cast<const W*>(x);
    W* dst = static_cast<W*>(y);
    forEachRow<1>(l, parallel, [&](const int64_t* off, int64_t y_off, int64_t n) {
      if (stride == 1) {
        std::memcpy(dst + y_off, src + off[0], static_cast<size_t>(n) * sizeof(W));
      } else {
        const W v = src[off[0]];
        for (int64_t i = 0; i < n; ++i) dst[y_off + i] = v;
      }
    });
  });
}

}  // namespace llmopt::kernels::cpu
