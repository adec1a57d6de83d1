#include "kernels/cpu/generic/unary.h"

#include <cmath>

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

template <class Fn>
void apply(const float* x, float* y, int64_t n) {
  Fn fn;
  for (int64_t i = 0; i < n; ++i) y[i] = fn(x[i]);
}

}  // namespace

void unaryF32(UnaryOp op, const float* x, float* y, int64_t n) {
  switch (op) {
    case UnaryOp::Relu: return apply<ReluFn>(x, y, n);
    case UnaryOp::Gelu: return apply<GeluFn>(x, y, n);
    case UnaryOp::GeluTanh: return apply<GeluTanhFn>(x, y, n);
    case UnaryOp::Tanh: return apply<TanhFn>(x, y, n);
    case UnaryOp::Sigmoid: return apply<SigmoidFn>(x, y, n);
  }
}

}  // namespace llmopt::kernels::cpu
