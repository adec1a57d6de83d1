#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.h"
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
  }
  return 0;
}

TEST(UnaryKernel, MatchesFormulas) {
  for (UnaryOp op : {UnaryOp::Relu, UnaryOp::Gelu, UnaryOp::GeluTanh, UnaryOp::Tanh,
                     UnaryOp::Sigmoid}) {
    SCOPED_TRACE(static_cast<int>(op));
    for (size_t n : {0, 1, 7, 64, 1001}) {
      auto x = randomFloats(n, 7 + n, -6.0f, 6.0f);
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

}  // namespace
}  // namespace llmopt::testing
