#include "kernels/cpu/generic/unary.h"

#include <cmath>

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {
namespace {

struct ReluFn { float operator()(float x) const { return x > 0.0f ? x : 0.0f; } };
struct GeluFn {
  float operator()(float x) const {
    return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
  }
};
struct GeluTanhFn {
  float operator()(float x) const {
    const float kSqrt2OverPi = 0.79788456080286536f;
    return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
  }
};
struct TanhFn { float operator()(float x) const { return std::tanh(x); } };
struct SigmoidFn {
  // Written so that neither branch overflows exp().
  float operator()(float x) const {
    if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
    float e = std::exp(x);
    return e / (1.0f + e);
  }
};
struct NegFn { float operator()(float x) const { return -x; } };
struct ExpFn { float operator()(float x) const { return std::exp(x); } };
struct LogFn { float operator()(float x) const { return std::log(x); } };
struct SqrtFn { float operator()(float x) const { return std::sqrt(x); } };
struct ReciprocalFn { float operator()(float x) const { return 1.0f / x; } };
struct ErfFn { float operator()(float x) const { return std::erf(x); } };
struct CosFn { float operator()(float x) const { return std::cos(x); } };
struct SinFn { float operator()(float x) const { return std::sin(x); } };
struct AbsFn { float operator()(float x) const { return std::fabs(x); } };

struct NegI64Fn {
  int64_t operator()(int64_t x) const {
    return static_cast<int64_t>(uint64_t(0) - static_cast<uint64_t>(x));
  }
};
struct AbsI64Fn {
  int64_t operator()(int64_t x) const { return x < 0 ? NegI64Fn()(x) : x; }
};
struct NotFn { uint8_t operator()(uint8_t x) const { return x == 0; } };

template <class Fn, class T, class U>
void apply(const T* x, U* y, int64_t n, Parallel* parallel) {
  parallelRanges(parallel, n, 1, [&](int64_t begin, int64_t end) {
    Fn fn;
    for (int64_t i = begin; i < end; ++i) y[i] = fn(x[i]);
  });
}

}  // namespace

void unaryF32(UnaryOp op, const float* x, float* y, int64_t n, Parallel* p) {
  switch (op) {
    case UnaryOp::Relu: return apply<ReluFn>(x, y, n, p);
    case UnaryOp::Gelu: return apply<GeluFn>(x, y, n, p);
    case UnaryOp::GeluTanh: return apply<GeluTanhFn>(x, y, n, p);
    case UnaryOp::Tanh: return apply<TanhFn>(x, y, n, p);
    case UnaryOp::Sigmoid: return apply<SigmoidFn>(x, y, n, p);
    case UnaryOp::Neg: return apply<NegFn>(x, y, n, p);
    case UnaryOp::Exp: return apply<ExpFn>(x, y, n, p);
    case UnaryOp::Log: return apply<LogFn>(x, y, n, p);
    case UnaryOp::Sqrt: return apply<SqrtFn>(x, y, n, p);
    case UnaryOp::Reciprocal: return apply<ReciprocalFn>(x, y, n, p);
    case UnaryOp::Erf: return apply<ErfFn>(x, y, n, p);
    case UnaryOp::Cos: return apply<CosFn>(x, y, n, p);
    case UnaryOp::Sin: return apply<SinFn>(x, y, n, p);
    case UnaryOp::Abs: return apply<AbsFn>(x, y, n, p);
    case UnaryOp::Not: return;
  }
}

void unaryI64(UnaryOp op, const int64_t* x, int64_t* y, int64_t n, Parallel* p) {
  switch (op) {
    case UnaryOp::Neg: return apply<NegI64Fn>(x, y, n, p);
    case UnaryOp::Abs: return apply<AbsI64Fn>(x, y, n, p);
    default: return;
  }
}

void notBool(const uint8_t* x, uint8_t* y, int64_t n, Parallel* p) { apply<NotFn>(x, y, n, p); }

}  // namespace llmopt::kernels::cpu
