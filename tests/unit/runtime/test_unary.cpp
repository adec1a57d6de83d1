#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/clip.h"
#include "kernels/cpu/generic/unary.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::UnaryOp;
using kernels::cpu::unaryF32;

double reference(UnaryOp op, double x) {
  switch (op) {
    case UnaryOp::Relu: return x > 0 ? x : 0;
    case UnaryOp::Gelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case UnaryOp::GeluTanh:
      return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    case UnaryOp::Tanh: return std::tanh(x);
    case UnaryOp::Sigmoid: return 1 / (1 + std::exp(-x));
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Reciprocal: return 1 / x;
    case UnaryOp::Erf: return std::erf(x);
    case UnaryOp::Cos: return std::cos(x);
    case UnaryOp::Sin: return std::sin(x);
    case UnaryOp::Abs: return std::fabs(x);
    case UnaryOp::Not: break;
    case UnaryOp::Silu: return x / (1 + std::exp(-x));
  }
  return 0;
}

TEST(UnaryKernel, MatchesFormulas) {
  for (UnaryOp op : {UnaryOp::Relu, UnaryOp::Gelu, UnaryOp::GeluTanh, UnaryOp::Tanh,
                     UnaryOp::Sigmoid, UnaryOp::Neg, UnaryOp::Exp, UnaryOp::Log, UnaryOp::Sqrt,
                     UnaryOp::Reciprocal, UnaryOp::Erf, UnaryOp::Cos, UnaryOp::Sin,
                     UnaryOp::Abs, UnaryOp::Silu}) {
    SCOPED_TRACE(static_cast<int>(op));
    for (size_t n : {0, 1, 7, 64, 1001}) {
      auto x = randomFloats(n, 7 + n, -6.0f, 6.0f);
      if (op == UnaryOp::Log || op == UnaryOp::Sqrt)
        for (float& v : x) v = std::fabs(v) + 0.01f;
      std::vector<float> y(n), expected(n);
      for (size_t i = 0; i < n; ++i) expected[i] = static_cast<float>(reference(op, x[i]));
      unaryF32(op, x.data(), y.data(), n);
      EXPECT_TRUE(allClose(y, expected, 2e-6f));
    }
  }
}

TEST(UnaryKernel, InPlaceAndExtremes) {
  std::vector<float> x = {-1e30f, -100.0f, -0.0f, 0.0f, 100.0f, 1e30f};
  unaryF32(UnaryOp::Sigmoid, x.data(), x.data(), x.size());
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_NEAR(x[2], 0.5f, 1e-7);
  EXPECT_EQ(x[5], 1.0f);
  for (float v : x) EXPECT_FALSE(std::isnan(v));

  std::vector<float> g = {-1e30f, 1e30f};
  unaryF32(UnaryOp::GeluTanh, g.data(), g.data(), g.size());
  EXPECT_EQ(g[1], 1e30f);
}

TEST(UnaryKernel, I64AndBool) {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> x = {-3, 0, 5, kMin, std::numeric_limits<int64_t>::max()}, y(5);
  kernels::cpu::unaryI64(UnaryOp::Neg, x.data(), y.data(), 5);
  EXPECT_EQ(y, (std::vector<int64_t>{3, 0, -5, kMin, -x[4]}));
  kernels::cpu::unaryI64(UnaryOp::Abs, x.data(), y.data(), 5);
  EXPECT_EQ(y, (std::vector<int64_t>{3, 0, 5, kMin, x[4]}));
  std::vector<uint8_t> b = {0, 1, 7, 0}, nb(4);
  kernels::cpu::notBool(b.data(), nb.data(), 4);
  EXPECT_EQ(nb, (std::vector<uint8_t>{1, 0, 0, 1}));
}

TEST(UnaryKernel, ThreadedMatchesSerial) {
  ThreadPoolForTests pool(3);
  auto x = randomFloats(100003, 9, -3.0f, 3.0f);
  std::vector<float> serial(x.size()), threaded(x.size());
  unaryF32(UnaryOp::Gelu, x.data(), serial.data(), x.size());
  unaryF32(UnaryOp::Gelu, x.data(), threaded.data(), x.size(), &pool);
  EXPECT_EQ(serial, threaded);
}

TEST(ClipKernel, ClampsAndKeepsNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {-5.0f, -1.0f, 0.5f, 1.0f, 9.0f, nan}, y(6);
  kernels::cpu::clipF32(x.data(), -1.0f, 1.0f, y.data(), 6);
  EXPECT_EQ(y[0], -1.0f);
  EXPECT_EQ(y[1], -1.0f);
  EXPECT_EQ(y[2], 0.5f);
  EXPECT_EQ(y[3], 1.0f);
  EXPECT_EQ(y[4], 1.0f);
  EXPECT_TRUE(std::isnan(y[5]));
  // min > max: every value becomes max (ONNX).
  kernels::cpu::clipF32(x.data(), 2.0f, 1.0f, y.data(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(y[i], 1.0f);
}

}  // namespace
}  // namespace llmopt::testing
