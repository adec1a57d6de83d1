#include <gtest/gtest.h>

#include <cmath>

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

TEST(SoftmaxKernel, InPlace) {
  auto x = randomFloats(24, 9);
  auto expected = naiveSoftmax(x, Shape{4, 6}, 1);
  softmaxF32(x.data(), Shape{4, 6}, 1, x.data());
  EXPECT_TRUE(allClose(x, expected, 1e-6f));
}

}  // namespace
}  // namespace llmopt::testing
