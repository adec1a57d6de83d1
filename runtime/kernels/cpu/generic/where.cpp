#include "kernels/cpu/generic/where.h"

#include "kernels/cpu/generic/elem_bits.h"
#include "kernels/cpu/generic/strided_walk.h"

namespace llmopt::kernels::cpu {

void where(const uint8_t* cond, const Shape& cond_shape, const void* x, const Shape& x_shape,
           const void* y, const Shape& y_shape, size_t elem_size, void* out,
           const Shape& out_shape, Parallel* parallel) {
  const Shape* const in[3] = {&cond_shape, &x_shape, &y_shape};
  const StridedLayout<3> l = makeBroadcastLayout<3>(in, out_shape);
  const int64_t sc = l.innerStride(0), sx = l.innerStride(1), sy = l.innerStride(2);
  withElemWord(elem_size, [&](auto word) {
    using W = decltype(word);
    const W* xs = static_cast<const W*>(x);
    const W* ys = static_cast<const W*>(y);
    W* o = static_cast<W*>(out);
    forEachRow<3>(l, parallel, [&](const int64_t* off, int64_t o_off, int64_t n) {
      const uint8_t* c = cond + off[0];
      const W* a = xs + off[1];
      const W* b = ys + off[2];
      W* dst = o + o_off;
      for (int64_t i = 0; i < n; ++i) dst[i] = c[i * sc] ? a[i * sx] : b[i * sy];
    });
  });
}

}  // namespace llmopt::kernels::cpu
