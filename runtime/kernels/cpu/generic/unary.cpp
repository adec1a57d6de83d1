#include "kernels/cpu/generic/unary.h"

#include <cmath>

#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/vmath.h"

namespace llmopt::kernels::cpu {
namespace {

struct ReluFn { float operator()(float x) const { return x > 0.0f ? x : 0.0f; } };
struct NegFn { float operator()(float x) const { return -x; } };
struct LogFn { float operator()(float x) const { return std::log(x); } };
struct SqrtFn { float operator()(float x) const { return std::sqrt(x); } };
struct ReciprocalFn { float operator()(float x) const { return 1.0f / x; } };
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

// The transcendental ops run the chosen VMathVariant's array function, one call per chunk.
void applyArray(VMathFn fn, const float* x, float* y, int64_t n, Parallel* parallel) {
  parallelRanges(parallel, n, 1,
                 [&](int64_t begin, int64_t end) { fn(x + begin, y + begin, end - begin); });
}

// x * sigmoid(x), the sigmoid of each block computed into a buffer first: y may alias x, and the
// products are those of the unfused sigmoid and mul ops, bit for bit.
void applySilu(const float* x, float* y, int64_t n, Parallel* parallel) {
  const VMathFn sigmoid = bestVMathVariant().sigmoid;
  parallelRanges(parallel, n, 1, [&](int64_t begin, int64_t end) {
    constexpr int64_t kBlock = 256;
    float s[kBlock];
    for (int64_t i = begin; i < end; i += kBlock) {
      const int64_t len = end - i < kBlock ? end - i : kBlock;
      sigmoid(x + i, s, len);
      for (int64_t j = 0; j < len; ++j) y[i + j] = x[i + j] * s[j];
    }
  });
}

}  // namespace

void unaryF32(UnaryOp op, const float* x, float* y, int64_t n, Parallel* p) {
  switch (op) {
    case UnaryOp::Relu: return apply<ReluFn>(x, y, n, p);
    case UnaryOp::Gelu: return applyArray(bestVMathVariant().gelu, x, y, n, p);
    case UnaryOp::GeluTanh: return applyArray(bestVMathVariant().gelu_tanh, x, y, n, p);
    case UnaryOp::Tanh: return applyArray(bestVMathVariant().tanh, x, y, n, p);
    case UnaryOp::Sigmoid: return applyArray(bestVMathVariant().sigmoid, x, y, n, p);
    case UnaryOp::Neg: return apply<NegFn>(x, y, n, p);
    case UnaryOp::Exp: return applyArray(bestVMathVariant().exp, x, y, n, p);
    case UnaryOp::Log: return apply<LogFn>(x, y, n, p);
    case UnaryOp::Sqrt: return apply<SqrtFn>(x, y, n, p);
    case UnaryOp::Reciprocal: return apply<ReciprocalFn>(x, y, n, p);
    case UnaryOp::Erf: return applyArray(bestVMathVariant().erf, x, y, n, p);
    case UnaryOp::Cos: return apply<CosFn>(x, y, n, p);
    case UnaryOp::Sin: return apply<SinFn>(x, y, n, p);
    case UnaryOp::Abs: return apply<AbsFn>(x, y, n, p);
    case UnaryOp::Not: return;
    case UnaryOp::Silu: return applySilu(x, y, n, p);
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
