#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/layer_norm.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::layerNormF32;

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

TEST(LayerNormKernel, MatchesNaive) {
  ThreadPoolForTests pool(3);
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {3, 7}, {5, 64}, {17, 33}, {300, 257}};
  uint32_t seed = 1;
  for (const auto& [rows, cols] : shapes)
    for (bool with_bias : {false, true}) {
      SCOPED_TRACE(::testing::Message() << rows << "x" << cols << " bias " << with_bias);
      auto x = randomFloats(rows * cols, seed++, -3.0f, 5.0f);
      auto scale = randomFloats(cols, seed++, 0.5f, 1.5f);
      auto bias = randomFloats(cols, seed++);
      std::vector<float> y(x.size());
      layerNormF32(x.data(), scale.data(), with_bias ? bias.data() : nullptr, rows, cols, 1e-5f,
                   y.data(), seed % 2 ? &pool : nullptr);
      EXPECT_TRUE(allClose(y, naiveLayerNorm(x, scale, with_bias ? &bias : nullptr, rows, cols,
                                             1e-5),
                           2e-6f));
    }
}

// A large common offset: a one-pass float variance would lose everything.
TEST(LayerNormKernel, LargeOffsetStaysAccurate) {
  const int64_t cols = 4096;
  auto x = randomFloats(cols, 3, -1.0f, 1.0f);
  for (float& v : x) v += 1000.0f;
  std::vector<float> scale(cols, 1.0f), y(cols);
  layerNormF32(x.data(), scale.data(), nullptr, 1, cols, 1e-5f, y.data());
  EXPECT_TRUE(allClose(y, naiveLayerNorm(x, scale, nullptr, 1, cols, 1e-5), 1e-4f));
}

}  // namespace
}  // namespace llmopt::testing
