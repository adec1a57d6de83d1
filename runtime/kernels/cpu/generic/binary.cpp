#include "kernels/cpu/generic/binary.h"

#include "kernels/cpu/generic/broadcast.h"

namespace llmopt::kernels::cpu {
namespace {

struct AddFn { float operator()(float x, float y) const { return x + y; } };
struct SubFn { float operator()(float x, float y) const { return x - y; } };
struct MulFn { float operator()(float x, float y) const { return x * y; } };
struct DivFn { float operator()(float x, float y) const { return x / y; } };

// One innermost row; the stride of each operand is 0 (broadcast) or 1, so each case is a plain
// loop the compiler vectorises.
template <class Fn>
void row(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n) {
  Fn fn;
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = fn(a[i], b[i]);
  } else if (sa == 1) {
    const float bv = *b;
    for (int64_t i = 0; i < n; ++i) y[i] = fn(a[i], bv);
  } else if (sb == 1) {
    const float av = *a;
    for (int64_t i = 0; i < n; ++i) y[i] = fn(av, b[i]);
  } else {
    const float v = fn(*a, *b);
    for (int64_t i = 0; i < n; ++i) y[i] = v;
  }
}

template <class Fn>
void run(const float* a, const Shape& a_shape, const float* b, const Shape& b_shape, float* y,
         const Shape& y_shape) {
  if (y_shape.elements() == 0) return;
  int64_t sa_full[kMaxRank], sb_full[kMaxRank];
  broadcastStrides(a_shape, y_shape, sa_full);
  broadcastStrides(b_shape, y_shape, sb_full);

  // Merge adjacent dims along which both operands are contiguous (or both broadcast), dropping
  // size-1 dims, so the innermost loop is as long as possible.
  int64_t dims[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  int rank = 0;
  for (int i = 0; i < y_shape.rank; ++i) {
    if (y_shape.dims[i] == 1) continue;
    if (rank > 0 && sa[rank - 1] == sa_full[i] * y_shape.dims[i] &&
        sb[rank - 1] == sb_full[i] * y_shape.dims[i]) {
      dims[rank - 1] *= y_shape.dims[i];
      sa[rank - 1] = sa_full[i];
      sb[rank - 1] = sb_full[i];
      continue;
    }
    dims[rank] = y_shape.dims[i];
    sa[rank] = sa_full[i];
    sb[rank] = sb_full[i];
    ++rank;
  }
  if (rank == 0) {  // a single element
    y[0] = Fn()(a[0], b[0]);
    return;
  }

  const int64_t inner = dims[rank - 1];
  int64_t index[kMaxRank] = {};
  int64_t offset_a = 0, offset_b = 0;
  const int64_t rows = y_shape.elements() / inner;
  for (int64_t r = 0; r < rows; ++r) {
    row<Fn>(a + offset_a, sa[rank - 1], b + offset_b, sb[rank - 1], y + r * inner, inner);
    // Odometer over the outer dims.
    for (int d = rank - 2; d >= 0; --d) {
      offset_a += sa[d];
      offset_b += sb[d];
      if (++index[d] < dims[d]) break;
      offset_a -= sa[d] * dims[d];
      offset_b -= sb[d] * dims[d];
      index[d] = 0;
    }
  }
}

}  // namespace

void binaryF32(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
               const Shape& b_shape, float* y, const Shape& y_shape) {
  switch (op) {
    case BinaryOp::Add: return run<AddFn>(a, a_shape, b, b_shape, y, y_shape);
    case BinaryOp::Sub: return run<SubFn>(a, a_shape, b, b_shape, y, y_shape);
    case BinaryOp::Mul: return run<MulFn>(a, a_shape, b, b_shape, y, y_shape);
    case BinaryOp::Div: return run<DivFn>(a, a_shape, b, b_shape, y, y_shape);
  }
}

}  // namespace llmopt::kernels::cpu
