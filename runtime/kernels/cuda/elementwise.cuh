// Elementwise kernels: binary arithmetic, comparisons and logic, unary math, clip, fake quant,
// cast and where. Each output element reads its inputs through the op's strided views
// (op_args.h), which carry broadcasting. The functors match the CPU kernels' formulas
// (runtime/kernels/cpu/generic/binary.cpp, unary.cpp, vmath.cpp's scalar reference).
#ifndef LLMOPT_KERNELS_CUDA_ELEMENTWISE_CUH
#define LLMOPT_KERNELS_CUDA_ELEMENTWISE_CUH

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/op_args.h"
#include "kernels/cuda/team.cuh"

namespace llmopt::cuda {
namespace ops {

// Signed overflow is undefined: i64 arithmetic goes through uint64 and wraps.
LLMOPT_HD inline int64_t wrap(uint64_t v) { return static_cast<int64_t>(v); }
LLMOPT_HD inline uint64_t bits(int64_t v) { return static_cast<uint64_t>(v); }

struct Add {
  LLMOPT_HD float operator()(float x, float y) const { return x + y; }
  LLMOPT_HD int64_t operator()(int64_t x, int64_t y) const { return wrap(bits(x) + bits(y)); }
};
struct Sub {
  LLMOPT_HD float operator()(float x, float y) const { return x - y; }
  LLMOPT_HD int64_t operator()(int64_t x, int64_t y) const { return wrap(bits(x) - bits(y)); }
};
struct Mul {
  LLMOPT_HD float operator()(float x, float y) const { return x * y; }
  LLMOPT_HD int64_t operator()(int64_t x, int64_t y) const { return wrap(bits(x) * bits(y)); }
};
struct Div {
  LLMOPT_HD float operator()(float x, float y) const { return x / y; }
  LLMOPT_HD int64_t operator()(int64_t x, int64_t y) const {
    if (y == 0) return 0;
    if (y == -1) return wrap(uint64_t(0) - bits(x));  // INT64_MIN / -1 overflows
    return x / y;
  }
};
struct Pow {
  LLMOPT_HD float operator()(float x, float y) const { return ::powf(x, y); }
  LLMOPT_HD int64_t operator()(int64_t x, int64_t y) const {
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
// NaN wins (either side).
struct Min {
  LLMOPT_HD float operator()(float x, float y) const { return (x < y || x != x) ? x : y; }
  LLMOPT_HD int64_t operator()(int64_t x, int64_t y) const { return x < y ? x : y; }
};
struct Max {
  LLMOPT_HD float operator()(float x, float y) const { return (x > y || x != x) ? x : y; }
  LLMOPT_HD int64_t operator()(int64_t x, int64_t y) const { return x > y ? x : y; }
};
struct Equal {
  template <class T>
  LLMOPT_HD uint8_t operator()(T x, T y) const {
    return x == y;
  }
};
struct Less {
  template <class T>
  LLMOPT_HD uint8_t operator()(T x, T y) const {
    return x < y;
  }
};
struct Greater {
  template <class T>
  LLMOPT_HD uint8_t operator()(T x, T y) const {
    return x > y;
  }
};
struct LessOrEqual {
  template <class T>
  LLMOPT_HD uint8_t operator()(T x, T y) const {
    return x <= y;
  }
};
struct GreaterOrEqual {
  template <class T>
  LLMOPT_HD uint8_t operator()(T x, T y) const {
    return x >= y;
  }
};
// Any nonzero byte reads as true.
struct And {
  LLMOPT_HD uint8_t operator()(uint8_t x, uint8_t y) const { return (x != 0) & (y != 0); }
};
struct Or {
  LLMOPT_HD uint8_t operator()(uint8_t x, uint8_t y) const { return (x != 0) | (y != 0); }
};
struct Xor {
  LLMOPT_HD uint8_t operator()(uint8_t x, uint8_t y) const { return (x != 0) ^ (y != 0); }
};

// --- unary ---

struct Relu {
  LLMOPT_HD float operator()(float x) const { return x > 0.0f ? x : 0.0f; }
};
struct Gelu {  // 0.5 x (1 + erf(x / sqrt 2))
  LLMOPT_HD float operator()(float x) const {
    return 0.5f * x * (1.0f + ::erff(x * 0.70710678118654752f));
  }
};
struct GeluTanh {  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  LLMOPT_HD float operator()(float x) const {
    const float kSqrt2OverPi = 0.79788456080286536f;
    return 0.5f * x * (1.0f + ::tanhf(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
  }
};
struct Tanh {
  LLMOPT_HD float operator()(float x) const { return ::tanhf(x); }
};
struct Sigmoid {  // neither branch overflows exp
  LLMOPT_HD float operator()(float x) const {
    if (x >= 0.0f) return 1.0f / (1.0f + ::expf(-x));
    const float e = ::expf(x);
    return e / (1.0f + e);
  }
};
struct Neg {
  LLMOPT_HD float operator()(float x) const { return -x; }
  LLMOPT_HD int64_t operator()(int64_t x) const { return wrap(uint64_t(0) - bits(x)); }
};
struct Exp {
  LLMOPT_HD float operator()(float x) const { return ::expf(x); }
};
struct Log {
  LLMOPT_HD float operator()(float x) const { return ::logf(x); }
};
struct Sqrt {
  LLMOPT_HD float operator()(float x) const { return ::sqrtf(x); }
};
struct Reciprocal {
  LLMOPT_HD float operator()(float x) const { return 1.0f / x; }
};
struct Erf {
  LLMOPT_HD float operator()(float x) const { return ::erff(x); }
};
struct Cos {
  LLMOPT_HD float operator()(float x) const { return ::cosf(x); }
};
struct Sin {
  LLMOPT_HD float operator()(float x) const { return ::sinf(x); }
};
struct Abs {
  LLMOPT_HD float operator()(float x) const { return ::fabsf(x); }
  LLMOPT_HD int64_t operator()(int64_t x) const { return x < 0 ? Neg()(x) : x; }
};
struct Not {
  LLMOPT_HD uint8_t operator()(uint8_t x) const { return x == 0; }
};
struct Silu {  // x * sigmoid(x): the unfused sigmoid then mul, as the CPU computes it
  LLMOPT_HD float operator()(float x) const { return mulRn(x, Sigmoid()(x)); }
};

// A linear layer's activation (plan.fbs Activation). ActSwiglu is no function of one value: the
// linear kernels treat it apart.
struct ActNone {
  LLMOPT_HD float operator()(float x) const { return x; }
};
using ActRelu = Relu;
using ActGelu = Gelu;
using ActGeluTanh = GeluTanh;
using ActSilu = Silu;
struct ActSwiglu {};

}  // namespace ops

// Whether view k is the identity over out's dims (a same-shape, contiguous input).
LLMOPT_HD inline bool isIdentityView(const OpArgs& a, int k) {
  if (a.view[k].offset != 0) return false;
  int64_t stride = 1;
  for (int d = a.out.rank - 1; d >= 0; --d) {
    if (a.out.dims[d] != 1 && a.view[k].strides[d] != stride) return false;
    stride *= a.out.dims[d];
  }
  return true;
}

// Element offsets of inputs [0, N) for output element i, through their views.
template <int N>
LLMOPT_HD void viewOffsets(const OpArgs& a, int64_t i, int64_t* off) {
  for (int k = 0; k < N; ++k) off[k] = a.view[k].offset;
  for (int d = a.out.rank - 1; d >= 0; --d) {
    int64_t o;
    const int64_t q = divMod(i, a.out.dims[d], &o);
    for (int k = 0; k < N; ++k) off[k] += o * a.view[k].strides[d];
    i = q;
  }
}

// f(i, off) for every output element i, off[k] the element offset of input k.
template <int N, class Exec, class F>
LLMOPT_DEV void forEachElement(const Exec& ex, const OpArgs& a, F f) {
  bool identity = true;
  for (int k = 0; k < N; ++k) identity = identity && isIdentityView(a, k);
  if (identity) {
    ex.forEach(a.out.numel, [&](int64_t i) {
      int64_t off[N];
      LLMOPT_UNROLL
      for (int k = 0; k < N; ++k) off[k] = i;
      f(i, off);
    });
  } else {
    ex.forEach(a.out.numel, [&](int64_t i) {
      int64_t off[N];
      viewOffsets<N>(a, i, off);
      f(i, off);
    });
  }
}

template <class F, class T, class R, class Exec>
LLMOPT_DEV void binary(const Exec& ex, const OpArgs& a) {
  const T* x = static_cast<const T*>(a.in[0].data);
  const T* y = static_cast<const T*>(a.in[1].data);
  R* out = static_cast<R*>(a.out.data);
  const F f;
  forEachElement<2>(ex, a, [&](int64_t i, const int64_t* off) {
    out[i] = static_cast<R>(f(x[off[0]], y[off[1]]));
  });
}

template <class F, class T, class Exec>
LLMOPT_DEV void unary(const Exec& ex, const OpArgs& a) {
  const T* x = static_cast<const T*>(a.in[0].data);
  T* out = static_cast<T*>(a.out.data);
  const F f;
  forEachElement<1>(ex, a, [&](int64_t i, const int64_t* off) { out[i] = f(x[off[0]]); });
}

template <class Exec>
LLMOPT_DEV void clip(const Exec& ex, const OpArgs& a, float lo, float hi) {
  const float* x = static_cast<const float*>(a.in[0].data);
  float* out = static_cast<float*>(a.out.data);
  forEachElement<1>(ex, a, [&](int64_t i, const int64_t* off) {
    const float v = x[off[0]];
    const float low = v < lo ? lo : v;  // NaN stays NaN
    out[i] = low > hi ? hi : low;
  });
}

// plan.fbs FakeQuantParams: (clamp(round_half_even(x / scale) + zp, qmin, qmax) - zp) * scale.
template <class Exec>
LLMOPT_DEV void fakeQuant(const Exec& ex, const OpArgs& a, float scale, int32_t zero_point,
                          int32_t qmin, int32_t qmax) {
  const float* x = static_cast<const float*>(a.in[0].data);
  float* out = static_cast<float*>(a.out.data);
  const float zero = static_cast<float>(zero_point);
  const float lo = static_cast<float>(qmin), hi = static_cast<float>(qmax);
  forEachElement<1>(ex, a, [&](int64_t i, const int64_t* off) {
    float q = roundHalfEven(x[off[0]] / scale) + zero;
    q = q < lo ? lo : (q > hi ? hi : q);  // the comparisons keep NaN
    out[i] = (q - zero) * scale;
  });
}

// plan.fbs CastParams, the CPU's cast.cpp: float to int truncates toward zero (saturating, NaN
// to 0); anything to bool (uint8_t) is x != 0; a bool reads any nonzero byte as 1.
template <class To, class From>
LLMOPT_HD To convertValue(From v) {
  if constexpr (std::is_same_v<To, uint8_t>) {
    return static_cast<uint8_t>(v != 0);
  } else if constexpr (std::is_same_v<From, uint8_t>) {
    return static_cast<To>(v != 0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    return saturatingCast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

template <class From, class To, class Exec>
LLMOPT_DEV void cast(const Exec& ex, const OpArgs& a) {
  const From* x = static_cast<const From*>(a.in[0].data);
  To* out = static_cast<To*>(a.out.data);
  forEachElement<1>(
      ex, a, [&](int64_t i, const int64_t* off) { out[i] = convertValue<To, From>(x[off[0]]); });
}

// inputs [cond (bool), x, y]: out = cond ? x : y. T is any type of the element's size.
template <class T, class Exec>
LLMOPT_DEV void where(const Exec& ex, const OpArgs& a) {
  const uint8_t* cond = static_cast<const uint8_t*>(a.in[0].data);
  const T* x = static_cast<const T*>(a.in[1].data);
  const T* y = static_cast<const T*>(a.in[2].data);
  T* out = static_cast<T*>(a.out.data);
  forEachElement<3>(ex, a, [&](int64_t i, const int64_t* off) {
    out[i] = cond[off[0]] != 0 ? x[off[1]] : y[off[2]];
  });
}

}  // namespace llmopt::cuda

#endif  // LLMOPT_KERNELS_CUDA_ELEMENTWISE_CUH
