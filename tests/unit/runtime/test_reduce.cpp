#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/reduce.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::ReduceOp;
using kernels::cpu::reducedShape;
using kernels::cpu::reduceF32;
using kernels::cpu::reduceScratchBytes;

// Naive: every output element loops over the whole input (double accumulation).
std::vector<float> naiveReduce(ReduceOp op, const std::vector<float>& x, const Shape& xs,
                               uint32_t mask) {
  const Shape ys = reducedShape(xs, mask, true);
  std::vector<double> acc(ys.elements(), op == ReduceOp::Max   ? -INFINITY
                                         : op == ReduceOp::Min ? INFINITY
                                                               : 0.0);
  int64_t count = 1;
  for (int d = 0; d < xs.rank; ++d)
    if ((mask >> d) & 1) count *= xs.dims[d];
  forEachIndex(xs, [&](const int64_t* index) {
    int64_t yi[kernels::kMaxRank];
    for (int d = 0; d < xs.rank; ++d) yi[d] = (mask >> d) & 1 ? 0 : index[d];
    double& a = acc[flatIndex(ys, yi)];
    const double v = x[flatIndex(xs, index)];
    if (op == ReduceOp::Max) a = std::max(a, v);
    else if (op == ReduceOp::Min) a = std::min(a, v);
    else a += v;
  });
  std::vector<float> y(acc.size());
  for (size_t i = 0; i < acc.size(); ++i)
    y[i] = static_cast<float>(op == ReduceOp::Mean ? acc[i] / count : acc[i]);
  return y;
}

void checkReduce(ReduceOp op, const Shape& xs, uint32_t mask, ThreadPoolForTests* pool,
                 uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << " mask " << mask
                                    << " rank " << xs.rank << " seed " << seed);
  auto x = randomFloats(xs.elements(), seed, -2.0f, 3.0f);
  const Shape ys = reducedShape(xs, mask, false);
  std::vector<float> y(ys.elements(), -7.0f);
  std::vector<double> scratch(reduceScratchBytes(op, xs, mask) / sizeof(double) + 1);
  reduceF32(op, x.data(), xs, mask, y.data(), scratch.data(), pool);
  EXPECT_TRUE(allClose(y, naiveReduce(op, x, xs, mask), 1e-6f));
}

TEST(ReduceKernel, EveryAxisSubsetOfSmallShapes) {
  ThreadPoolForTests pool(3);
  const Shape shapes[] = {Shape{7}, Shape{3, 5}, Shape{2, 1, 4}, Shape{3, 4, 5, 2},
                          Shape{1, 6, 1, 3}};
  uint32_t seed = 1;
  for (const Shape& xs : shapes)
    for (uint32_t mask = 1; mask < (1u << xs.rank); ++mask)
      for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min})
        checkReduce(op, xs, mask, seed % 2 ? &pool : nullptr, seed++);
}

TEST(ReduceKernel, LargeAndThreaded) {
  ThreadPoolForTests pool(4);
  uint32_t seed = 100;
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max})
    for (uint32_t mask : {0b001u, 0b010u, 0b100u, 0b101u}) checkReduce(op, Shape{33, 129, 65}, mask, &pool, seed++);
}

// A long row of equal values: the mean must be exact to float precision.
TEST(ReduceKernel, LongRowMeanIsAccurate) {
  const int64_t n = 1 << 22;
  std::vector<float> x(n, 0.1f);
  float y = 0;
  std::vector<double> scratch(1);
  reduceF32(ReduceOp::Mean, x.data(), Shape{n}, 1u, &y, scratch.data());
  EXPECT_NEAR(y, 0.1f, 1e-6f * 0.1f);
}

TEST(ReduceKernel, EmptyAndNaN) {
  std::vector<double> scratch(4);
  float y[4];
  reduceF32(ReduceOp::Sum, nullptr, Shape{3, 0}, 0b10u, y, scratch.data());
  EXPECT_EQ(y[0], 0.0f);
  reduceF32(ReduceOp::Max, nullptr, Shape{3, 0}, 0b10u, y, scratch.data());
  EXPECT_EQ(y[2], -std::numeric_limits<float>::infinity());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {1.0f, nan, 3.0f, 2.0f};
  reduceF32(ReduceOp::Max, x.data(), Shape{4}, 1u, y, scratch.data());
  EXPECT_TRUE(std::isnan(y[0]));
  std::vector<float> row(37, 1.0f);
  row[21] = nan;
  for (ReduceOp op : {ReduceOp::Max, ReduceOp::Min, ReduceOp::Sum}) {
    reduceF32(op, row.data(), Shape{37}, 1u, y, scratch.data());
    EXPECT_TRUE(std::isnan(y[0])) << static_cast<int>(op);
  }
  // Reducing only size-1 dims copies.
  reduceF32(ReduceOp::Mean, x.data(), Shape{1, 4}, 1u, y, scratch.data());
  EXPECT_EQ(y[2], 3.0f);
}

TEST(ReduceKernel, ReducedShape) {
  EXPECT_EQ(reducedShape(Shape{2, 3, 4}, 0b101u, true), (Shape{1, 3, 1}));
  EXPECT_EQ(reducedShape(Shape{2, 3, 4}, 0b101u, false), (Shape{3}));
  EXPECT_EQ(reducedShape(Shape{2, 3}, 0b11u, false), (Shape{}));
}

}  // namespace
}  // namespace llmopt::testing
