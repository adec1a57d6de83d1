#include "kernels/cpu/generic/where.h"

#include <cstring>

#include "kernels/cpu/generic/elem_bits.h"
#include "kernels/cpu/generic/strided_walk.h"

namespace llmopt::kernels::cpu {
namespace {

// c ? a : b on the elements' bits, without a branch: compilers vectorize the loops below (a
// causal mask's rows would otherwise run one element at a time).
template <class W>
inline W select(uint8_t c, W a, W b) {
  const W mask = static_cast<W>(W(0) - W(c != 0));
  return static_cast<W>((a & mask) | (b & static_cast<W>(~mask)));
}

}  // namespace

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
      // Strides are 0 or 1: the common patterns get loops with constant strides.
      if (sc == 1 && sx == 1 && sy == 1) {
        for (int64_t i = 0; i < n; ++i) dst[i] = select(c[i], a[i], b[i]);
      } else if (sc == 0) {
        const W* src = *c ? a : b;
        const int64_t s = *c ? sx : sy;
        if (s == 1) {
          std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(W));
        } else {
          for (int64_t i = 0; i < n; ++i) dst[i] = *src;
        }
      } else if (sx == 1 && sy == 0) {
        const W bv = *b;
        for (int64_t i = 0; i < n; ++i) dst[i] = select(c[i], a[i], bv);
      } else if (sx == 0 && sy == 1) {
        const W av = *a;
        for (int64_t i = 0; i < n; ++i) dst[i] = select(c[i], av, b[i]);
      } else {
        for (int64_t i = 0; i < n; ++i) dst[i] = c[i * sc] ? a[i * sx] : b[i * sy];
      }
    });
  });
}

}  // namespace llmopt::kernels::cpu
