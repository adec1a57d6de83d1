#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/layer_norm.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::layerNormF32;
using kernels::cpu::NormVariant;
using kernels::cpu::rmsNormF32;

// Each test runs once per variant built into the library ("avx512", "avx2", "scalar").
class NormTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    size_t count = 0;
    const NormVariant* variants = kernels::cpu::normVariants(&count);
    for (size_t i = 0; i < count; ++i)
      if (std::string(GetParam()) == variants[i].name) variant_ = &variants[i];
    if (variant_ == nullptr) GTEST_SKIP() << GetParam() << " is not built for this target";
    if (!variant_->supported) GTEST_SKIP() << "this CPU does not run " << GetParam();
  }
  const NormVariant* variant_ = nullptr;
};

std::vector<float> naiveLayerNorm(const std::vector<float>& x, const std::vector<float>& scale,
                                  const std::vector<float>* bias, int64_t rows, int64_t cols,
                                  double eps) {
  std::vector<float> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x.data() + r * cols;
    long double mean = 0, var = 0;
    for (int64_t i = 0; i < cols; ++i) mean += row[i];
    mean /= cols;
    for (int64_t i = 0; i < cols; ++i) var += (row[i] - mean) * (row[i] - mean);
    var /= cols;
    for (int64_t i = 0; i < cols; ++i)
      y[r * cols + i] = static_cast<float>((row[i] - mean) / std::sqrt(var + eps) * scale[i] +
                                           (bias ? (*bias)[i] : 0.0f));
  }
  return y;
}

TEST_P(NormTest, LayerNormMatchesNaive) {
  ThreadPoolForTests pool(3);
  // Row lengths around the 8- and 16-lane steps and their tails.
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {3, 7},   {2, 8},    {5, 64},
                                                {4, 15}, {17, 33}, {2, 768}, {300, 257}};
  uint32_t seed = 1;
  for (const auto& [rows, cols] : shapes)
    for (bool with_bias : {false, true}) {
      SCOPED_TRACE(::testing::Message() << rows << "x" << cols << " bias " << with_bias);
      auto x = randomFloats(rows * cols, seed++, -3.0f, 5.0f);
      auto scale = randomFloats(cols, seed++, 0.5f, 1.5f);
      auto bias = randomFloats(cols, seed++);
      std::vector<float> y(x.size());
      layerNormF32(x.data(), scale.data(), with_bias ? bias.data() : nullptr, rows, cols, 1e-5f,
                   y.data(), seed % 2 ? &pool : nullptr, variant_);
      EXPECT_TRUE(allClose(y, naiveLayerNorm(x, scale, with_bias ? &bias : nullptr, rows, cols,
                                             1e-5),
                           2e-6f));
    }
}

// A large common offset: a one-pass float variance would lose everything.
TEST_P(NormTest, LayerNormLargeOffsetStaysAccurate) {
  const int64_t cols = 4093;  // a tail in every variant
  auto x = randomFloats(cols, 3, -1.0f, 1.0f);
  for (float& v : x) v += 1000.0f;
  std::vector<float> scale(cols, 1.0f), y(cols);
  layerNormF32(x.data(), scale.data(), nullptr, 1, cols, 1e-5f, y.data(), nullptr, variant_);
  EXPECT_TRUE(allClose(y, naiveLayerNorm(x, scale, nullptr, 1, cols, 1e-5), 1e-4f));
}

// RMS normalisation against double arithmetic: y = scale * x / sqrt(mean(x^2) + eps).
TEST_P(NormTest, RmsNormMatchesDoubleReferenceSerialAndThreaded) {
  ThreadPoolForTests pool(3);
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {3, 7}, {4, 15}, {5, 64}, {300, 257}};
  uint32_t seed = 11;
  for (const auto& [rows, cols] : shapes) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    auto x = randomFloats(rows * cols, seed++, -3.0f, 5.0f);
    auto scale = randomFloats(cols, seed++, 0.5f, 1.5f);
    std::vector<float> expected(x.size()), serial(x.size()), threaded(x.size());
    for (int64_t r = 0; r < rows; ++r) {
      double squares = 0;
      for (int64_t c = 0; c < cols; ++c) squares += double(x[r * cols + c]) * x[r * cols + c];
      const double inv = 1.0 / std::sqrt(squares / double(cols) + 1e-6);
      for (int64_t c = 0; c < cols; ++c)
        expected[r * cols + c] = static_cast<float>(scale[c] * (x[r * cols + c] * inv));
    }
    rmsNormF32(x.data(), scale.data(), rows, cols, 1e-6f, serial.data(), nullptr, variant_);
    rmsNormF32(x.data(), scale.data(), rows, cols, 1e-6f, threaded.data(), &pool, variant_);
    EXPECT_TRUE(allClose(serial, expected, 2e-6f));
    EXPECT_EQ(serial, threaded);
  }
}

// A row of zeros gives zeros (epsilon keeps the root finite); in place works.
TEST_P(NormTest, RmsNormZeroRowAndInPlace) {
  std::vector<float> x = {0, 0, 0, 3, 4, 0}, scale = {1, 1, 1};
  rmsNormF32(x.data(), scale.data(), 2, 3, 1e-5f, x.data(), nullptr, variant_);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_EQ(x[2], 0.0f);
  // Row 2: mean of squares 25/3, so 3 -> 3 / sqrt(25/3 + 1e-5).
  EXPECT_NEAR(x[3], 3.0 / std::sqrt(25.0 / 3 + 1e-5), 1e-6);
}

// In place, a row long enough for the vector loops and a tail: the same as out of place.
TEST_P(NormTest, LayerNormInPlaceMatchesOutOfPlace) {
  const int64_t rows = 3, cols = 45;
  auto x = randomFloats(rows * cols, 21, -2.0f, 2.0f);
  auto scale = randomFloats(cols, 22, 0.5f, 1.5f);
  auto bias = randomFloats(cols, 23);
  std::vector<float> y(x.size());
  layerNormF32(x.data(), scale.data(), bias.data(), rows, cols, 1e-5f, y.data(), nullptr,
               variant_);
  layerNormF32(x.data(), scale.data(), bias.data(), rows, cols, 1e-5f, x.data(), nullptr,
               variant_);
  EXPECT_EQ(x, y);
}

// Every variant agrees with the scalar reference to a few ulp (they differ in summation order).
TEST_P(NormTest, VariantMatchesScalar) {
  size_t count = 0;
  const NormVariant* variants = kernels::cpu::normVariants(&count);
  const NormVariant& scalar = variants[count - 1];
  ASSERT_STREQ(scalar.name, "scalar");
  for (int64_t cols : {1, 5, 16, 31, 256, 1000}) {
    SCOPED_TRACE(::testing::Message() << "cols " << cols);
    auto x = randomFloats(4 * cols, 31 + cols, -4.0f, 4.0f);
    auto scale = randomFloats(cols, 32, 0.5f, 1.5f);
    auto bias = randomFloats(cols, 33);
    std::vector<float> want(x.size()), got(x.size());
    layerNormF32(x.data(), scale.data(), bias.data(), 4, cols, 1e-5f, want.data(), nullptr,
                 &scalar);
    layerNormF32(x.data(), scale.data(), bias.data(), 4, cols, 1e-5f, got.data(), nullptr,
                 variant_);
    EXPECT_TRUE(allClose(got, want, 1e-6f));
    rmsNormF32(x.data(), scale.data(), 4, cols, 1e-6f, want.data(), nullptr, &scalar);
    rmsNormF32(x.data(), scale.data(), 4, cols, 1e-6f, got.data(), nullptr, variant_);
    EXPECT_TRUE(allClose(got, want, 1e-6f));
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, NormTest, ::testing::Values("avx512", "avx2", "scalar"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace llmopt::testing
