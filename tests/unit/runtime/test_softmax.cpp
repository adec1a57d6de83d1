#include <gtest/gtest.h>

#include <cmath>
#include <utility>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/softmax.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::softmaxF32;

std::vector<float> naiveSoftmax(const std::vector<float>& x, const Shape& shape, int axis) {
  std::vector<float> y(x.size());
  forEachIndex(shape, [&](const int64_t* index) {
    int64_t j[kernels::kMaxRank];
    for (int d = 0; d < shape.rank; ++d) j[d] = index[d];
    double max = -INFINITY;
    for (j[axis] = 0; j[axis] < shape.dims[axis]; ++j[axis])
      max = std::fmax(max, x[flatIndex(shape, j)]);
    double sum = 0;
    for (j[axis] = 0; j[axis] < shape.dims[axis]; ++j[axis])
      sum += std::exp(x[flatIndex(shape, j)] - max);
    const int64_t at = flatIndex(shape, index);
    y[at] = static_cast<float>(std::exp(x[at] - max) / sum);
  });
  return y;
}

TEST(SoftmaxKernel, EveryAxisOfRandomShapes) {
  const std::vector<Shape> shapes = {Shape{1}, Shape{17}, Shape{3, 5}, Shape{2, 3, 4},
                                     Shape{4, 1, 7, 3}, Shape{2, 0, 3}};
  uint32_t seed = 3;
  for (const Shape& shape : shapes)
    for (int axis = 0; axis < shape.rank; ++axis) {
      SCOPED_TRACE(::testing::Message() << "rank " << shape.rank << " axis " << axis);
      auto x = randomFloats(shape.elements(), seed++, -5.0f, 5.0f);
      std::vector<float> y(x.size());
      softmaxF32(x.data(), shape, axis, y.data());
      EXPECT_TRUE(allClose(y, naiveSoftmax(x, shape, axis), 1e-6f));
    }
}

TEST(SoftmaxKernel, LargeValuesStayFinite) {
  std::vector<float> x = {1000.0f, 1001.0f, 999.0f, -1000.0f};
  std::vector<float> y(4);
  softmaxF32(x.data(), Shape{4}, 0, y.data());
  float sum = 0;
  for (float v : y) {
    EXPECT_TRUE(std::isfinite(v));
    sum += v;
  }
  EXPECT_NEAR(sum, 1.0f, 1e-6f);
  EXPECT_GT(y[1], y[0]);
}

TEST(SoftmaxKernel, ThreadedMatchesSerial) {
  ThreadPoolForTests pool(3);
  // The last axis (rows), and a middle one (strided lines, more than one block of them).
  for (const auto& [shape, axis] : {std::pair<Shape, int>{Shape{8, 64, 300}, 2},
                                    std::pair<Shape, int>{Shape{16, 50, 130}, 1}}) {
    SCOPED_TRACE(::testing::Message() << "axis " << axis);
    auto x = randomFloats(shape.elements(), 21, -8.0f, 8.0f);
    for (size_t i = 0; i < x.size(); i += 7) x[i] = -INFINITY;
    std::vector<float> serial(x.size()), threaded(x.size());
    softmaxF32(x.data(), shape, axis, serial.data());
    softmaxF32(x.data(), shape, axis, threaded.data(), &pool);
    EXPECT_EQ(serial, threaded);
    EXPECT_TRUE(allClose(serial, naiveSoftmax(x, shape, axis), 1e-6f));
  }
}

// Masked attention scores: -inf above the diagonal; a row of only -inf gives NaN (as
// exp(-inf - -inf) does), on either path.
TEST(SoftmaxKernel, MaskedAndFullyMaskedLines) {
  const int64_t n = 37;
  auto x = randomFloats(n * n, 5, -4.0f, 4.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) x[i * n + j] = -INFINITY;
  for (int axis : {1, 0}) {
    SCOPED_TRACE(::testing::Message() << "axis " << axis);
    std::vector<float> y(x.size());
    softmaxF32(x.data(), Shape{n, n}, axis, y.data());
    EXPECT_TRUE(allClose(y, naiveSoftmax(x, Shape{n, n}, axis), 1e-6f));
  }
  std::vector<float> masked(2 * 19, -INFINITY);
  std::vector<float> y(masked.size());
  softmaxF32(masked.data(), Shape{2, 19}, 1, y.data());
  for (float v : y) EXPECT_TRUE(std::isnan(v));
  softmaxF32(masked.data(), Shape{2, 19}, 0, y.data());
  for (float v : y) EXPECT_TRUE(std::isnan(v));
}

TEST(SoftmaxKernel, InPlace) {
  auto x = randomFloats(24, 9);
  auto expected = naiveSoftmax(x, Shape{4, 6}, 1);
  softmaxF32(x.data(), Shape{4, 6}, 1, x.data());
  EXPECT_TRUE(allClose(x, expected, 1e-6f));
}

}  // namespace
}  // namespace llmopt::testing
