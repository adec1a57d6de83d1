// fake_quant (the QuantizeLinear -> DequantizeLinear pairs of QDQ models): ONNX's rounding
// (half to even, x / scale), saturation, the zero point, NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/generic/fake_quant.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::fakeQuantF32;

TEST(FakeQuantKernel, RoundsHalfToEvenAndSaturates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // scale 0.5, int8 with zero point 3: q = round(x / 0.5) + 3 clamped to [-128, 127].
  std::vector<float> x = {0.25f, 0.75f, -0.25f, 1.1f, 100.0f, -100.0f, 0.0f, nan};
  std::vector<float> y(x.size());
  fakeQuantF32(x.data(), 0.5f, 3, -128.0f, 127.0f, y.data(), static_cast<int64_t>(x.size()));
  EXPECT_EQ(y[0], 0.0f);    // 0.5 -> 0 (even)
  EXPECT_EQ(y[1], 1.0f);    // 1.5 -> 2
  EXPECT_EQ(y[2], 0.0f);    // -0.5 -> -0 (even)
  EXPECT_EQ(y[3], 1.0f);    // 2.2 -> 2
  EXPECT_EQ(y[4], 62.0f);   // 200 + 3 -> 127: (127 - 3) * 0.5
  EXPECT_EQ(y[5], -65.5f);  // -200 + 3 -> -128: (-128 - 3) * 0.5
  EXPECT_EQ(y[6], 0.0f);
  EXPECT_TRUE(std::isnan(y[7]));
}

TEST(FakeQuantKernel, Uint8InPlaceMatchesTwoStepFormula) {
  // uint8, zero point 128, an awkward scale; y aliases x. The reference quantizes with ONNX's
  // formula in two explicit steps.
  const float scale = 0.0123f;
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = -2.0f + 0.0041f * static_cast<float>(i);
  std::vector<float> expected(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    float q = std::nearbyint(x[i] / scale) + 128.0f;
    q = std::fmin(std::fmax(q, 0.0f), 255.0f);
    expected[i] = (q - 128.0f) * scale;
  }
  fakeQuantF32(x.data(), scale, 128, 0.0f, 255.0f, x.data(), static_cast<int64_t>(x.size()));
  EXPECT_EQ(x, expected);
}

}  // namespace
}  // namespace llmopt::testing
