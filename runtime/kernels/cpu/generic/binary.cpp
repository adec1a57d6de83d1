#include "kernels/cpu/generic/binary.h"

#include <cmath>
#include <type_traits>

#include "kernels/cpu/generic/strided_walk.h"

namespace llmopt::kernels::cpu {
namespace {

// Signed overflow is undefined in C++: i64 arithmetic goes through uint64 and wraps.
inline int64_t wrap(uint64_t v) { return static_cast<int64_t>(v); }
inline uint64_t bits(int64_t v) { return static_cast<uint64_t>(v); }

struct AddFn {
  float operator()(float x, float y) const { return x + y; }
  int64_t operator()(int64_t x, int64_t y) const { return wrap(bits(x) + bits(y)); }
};
struct SubFn {
  float operator()(float x, float y) const { return x - y; }
  int64_t operator()(int64_t x, int64_t y) const { return wrap(bits(x) - bits(y)); }
};
struct MulFn {
  float operator()(float x, float y) const { return x * y; }
  int64_t operator()(int64_t x, int64_t y) const { return wrap(bits(x) * bits(y)); }
};
struct DivFn {
  float operator()(float x, float y) const { return x / y; }
  int64_t operator()(int64_t x, int64_t y) const {
    if (y == 0) return 0;
    if (y == -1) return wrap(uint64_t(0) - bits(x));  // INT64_MIN / -1 traps on x86
    return x / y;
  }
};
struct PowFn {
  float operator()(float x, float y) const { return std::pow(x, y); }
  int64_t operator()(int64_t x, int64_t y) const {
    if (y < 0) {
      if (x == 1) return 1;
      if (x == -1) return (y & 1) ? -1 : 1;
      return 0;
    }
    uint64_t result = 1, base = bits(x);
    for (uint64_t e = static_cast<uint64_t>(y); e; e >>= 1) {
      if (e & 1) result *= base;
      base *= base;
    }
    return wrap(result);
  }
};
struct MinFn {
  float operator()(float x, float y) const { return (x < y || x != x) ? x : y; }
  int64_t operator()(int64_t x, int64_t y) const { return x < y ? x : y; }
};
struct MaxFn {
  float operator()(float x, float y) const { return (x > y || x != x) ? x : y; }
  int64_t operator()(int64_t x, int64_t y) const { return x > y ? x : y; }
};
struct EqualFn {
  template <class T> uint8_t operator()(T x, T y) const { return x == y; }
};
struct LessFn {
  template <class T> uint8_t operator()(T x, T y) const { return x < y; }
};
struct GreaterFn {
  template <class T> uint8_t operator()(T x, T y) const { return x > y; }
};
struct LessOrEqualFn {
  template <class T> uint8_t operator()(T x, T y) const { return x <= y; }
};
struct GreaterOrEqualFn {
  template <class T> uint8_t operator()(T x, T y) const { return x >= y; }
};
struct AndFn {
  uint8_t operator()(uint8_t x, uint8_t y) const { return (x != 0) & (y != 0); }
};
struct OrFn {
  uint8_t operator()(uint8_t x, uint8_t y) const { return (x != 0) | (y != 0); }
};
struct XorFn {
  uint8_t operator()(uint8_t x, uint8_t y) const { return (x != 0) ^ (y != 0); }
};

// One innermost row; the stride of each operand is 0 (broadcast) or 1, so each case is a plain
// loop the compiler vectorises. For fp32 arithmetic, what a model's activations go through.
template <class T, class U, class Fn>
void vectorRow(const T* a, int64_t sa, const T* b, int64_t sb, U* y, int64_t n) {
  Fn fn;
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = fn(a[i], b[i]);
  } else if (sa == 1) {
    const T bv = *b;
    for (int64_t i = 0; i < n; ++i) y[i] = fn(a[i], bv);
  } else if (sb == 1) {
    const T av = *a;
    for (int64_t i = 0; i < n; ++i) y[i] = fn(av, b[i]);
  } else {
    const U v = fn(*a, *b);
    for (int64_t i = 0; i < n; ++i) y[i] = v;
  }
}

// The same as one scalar loop: i64 arithmetic, comparisons and logic compute shapes, indices and
// masks of a few elements, where four vectorised loops per op and type would be only code size.
template <class T, class U, class Fn>
void scalarRow(const T* a, int64_t sa, const T* b, int64_t sb, U* y, int64_t n) {
  Fn fn;
  for (int64_t i = 0; i < n; ++i) y[i] = fn(a[i * sa], b[i * sb]);
}

template <class T, class U, class Fn>
void run(const T* a, const Shape& a_shape, const T* b, const Shape& b_shape, U* y,
         const Shape& y_shape, Parallel* parallel) {
  const Shape* const in[2] = {&a_shape, &b_shape};
  const StridedLayout<2> l = makeBroadcastLayout<2>(in, y_shape);
  const int64_t sa = l.innerStride(0), sb = l.innerStride(1);
  constexpr bool kVector = std::is_same_v<T, float> && std::is_same_v<U, float>;
  forEachRow<2>(l, parallel, [&](const int64_t* offsets, int64_t y_offset, int64_t n) {
    if constexpr (kVector)
      vectorRow<T, U, Fn>(a + offsets[0], sa, b + offsets[1], sb, y + y_offset, n);
    else
      scalarRow<T, U, Fn>(a + offsets[0], sa, b + offsets[1], sb, y + y_offset, n);
  });
}

template <class T>
void arithmetic(BinaryOp op, const T* a, const Shape& as, const T* b, const Shape& bs, T* y,
                const Shape& ys, Parallel* p) {
  switch (op) {
    case BinaryOp::Add: return run<T, T, AddFn>(a, as, b, bs, y, ys, p);
    case BinaryOp::Sub: return run<T, T, SubFn>(a, as, b, bs, y, ys, p);
    case BinaryOp::Mul: return run<T, T, MulFn>(a, as, b, bs, y, ys, p);
    case BinaryOp::Div: return run<T, T, DivFn>(a, as, b, bs, y, ys, p);
    case BinaryOp::Pow: return run<T, T, PowFn>(a, as, b, bs, y, ys, p);
    case BinaryOp::Min: return run<T, T, MinFn>(a, as, b, bs, y, ys, p);
    case BinaryOp::Max: return run<T, T, MaxFn>(a, as, b, bs, y, ys, p);
    default: return;
  }
}

template <class T>
void comparison(BinaryOp op, const T* a, const Shape& as, const T* b, const Shape& bs,
                uint8_t* y, const Shape& ys, Parallel* p) {
  switch (op) {
    case BinaryOp::Equal: return run<T, uint8_t, EqualFn>(a, as, b, bs, y, ys, p);
    case BinaryOp::Less: return run<T, uint8_t, LessFn>(a, as, b, bs, y, ys, p);
    case BinaryOp::Greater: return run<T, uint8_t, GreaterFn>(a, as, b, bs, y, ys, p);
    case BinaryOp::LessOrEqual: return run<T, uint8_t, LessOrEqualFn>(a, as, b, bs, y, ys, p);
    case BinaryOp::GreaterOrEqual:
      return run<T, uint8_t, GreaterOrEqualFn>(a, as, b, bs, y, ys, p);
    default: return;
  }
}

}  // namespace

void binaryF32(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
               const Shape& b_shape, float* y, const Shape& y_shape, Parallel* parallel) {
  arithmetic<float>(op, a, a_shape, b, b_shape, y, y_shape, parallel);
}

void binaryI64(BinaryOp op, const int64_t* a, const Shape& a_shape, const int64_t* b,
               const Shape& b_shape, int64_t* y, const Shape& y_shape, Parallel* parallel) {
  arithmetic<int64_t>(op, a, a_shape, b, b_shape, y, y_shape, parallel);
}

void compareF32(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                const Shape& b_shape, uint8_t* y, const Shape& y_shape, Parallel* parallel) {
  comparison<float>(op, a, a_shape, b, b_shape, y, y_shape, parallel);
}

void compareI64(BinaryOp op, const int64_t* a, const Shape& a_shape, const int64_t* b,
                const Shape& b_shape, uint8_t* y, const Shape& y_shape, Parallel* parallel) {
  comparison<int64_t>(op, a, a_shape, b, b_shape, y, y_shape, parallel);
}

void logicBool(BinaryOp op, const uint8_t* a, const Shape& a_shape, const uint8_t* b,
               const Shape& b_shape, uint8_t* y, const Shape& y_shape, Parallel* parallel) {
  switch (op) {
    case BinaryOp::And: return run<uint8_t, uint8_t, AndFn>(a, a_shape, b, b_shape, y, y_shape, parallel);
    case BinaryOp::Or: return run<uint8_t, uint8_t, OrFn>(a, a_shape, b, b_shape, y, y_shape, parallel);
    case BinaryOp::Xor: return run<uint8_t, uint8_t, XorFn>(a, a_shape, b, b_shape, y, y_shape, parallel);
    default: return;
  }
}

}  // namespace llmopt::kernels::cpu
