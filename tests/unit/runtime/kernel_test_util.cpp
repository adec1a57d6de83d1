#include "kernel_test_util.h"

#include <cmath>

namespace llmopt::testing {

std::vector<float> randomFloats(size_t count, uint32_t seed, float low, float high) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

int64_t flatIndex(const Shape& shape, const int64_t* index) {
  int64_t flat = 0;
  for (int d = 0; d < shape.rank; ++d) flat = flat * shape.dims[d] + index[d];
  return flat;
}

std::vector<float> naiveMatmul(const std::vector<float>& a, const std::vector<float>& b,
                               const float* bias, int64_t m, int64_t k, int64_t n) {
  std::vector<float> c(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = bias ? bias[j] : 0.0;
      for (int64_t p = 0; p < k; ++p) sum += double(a[i * k + p]) * double(b[p * n + j]);
      c[i * n + j] = static_cast<float>(sum);
    }
  return c;
}

::testing::AssertionResult allClose(const float* actual, const float* expected, size_t count,
                                    float tolerance) {
  for (size_t i = 0; i < count; ++i) {
    const float error = std::fabs(actual[i] - expected[i]) / (1.0f + std::fabs(expected[i]));
    if (!(error <= tolerance))
      return ::testing::AssertionFailure() << "element " << i << ": got " << actual[i]
                                           << ", expected " << expected[i] << " (of " << count
                                           << ")";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult allClose(const std::vector<float>& actual,
                                    const std::vector<float>& expected, float tolerance) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "size " << actual.size() << ", expected " << expected.size();
  return allClose(actual.data(), expected.data(), actual.size(), tolerance);
}

}  // namespace llmopt::testing
