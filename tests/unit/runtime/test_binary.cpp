#include <gtest/gtest.h>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/binary.h"
#include "kernels/cpu/generic/broadcast.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::BinaryOp;
using kernels::cpu::binaryF32;
using kernels::cpu::broadcastShapes;

float apply(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
  }
  return 0.0f;
}

// Element of `in` (right-aligned, size-1 dims broadcast) at output multi-index `index`.
float broadcastAt(const std::vector<float>& in, const Shape& in_shape, const Shape& out_shape,
                  const int64_t* index) {
  int64_t in_index[kernels::kMaxRank];
  for (int d = 0; d < in_shape.rank; ++d) {
    const int64_t i = index[out_shape.rank - in_shape.rank + d];
    in_index[d] = in_shape.dims[d] == 1 ? 0 : i;
  }
  return in[flatIndex(in_shape, in_index)];
}

void checkBinary(BinaryOp op, const Shape& a_shape, const Shape& b_shape, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << " seed " << seed);
  Shape y_shape;
  ASSERT_TRUE(broadcastShapes(a_shape, b_shape, &y_shape));
  auto a = randomFloats(a_shape.elements(), seed);
  auto b = randomFloats(b_shape.elements(), seed + 1, 0.5f, 2.0f);  // no division by ~0
  std::vector<float> y(y_shape.elements(), -7.0f), expected(y_shape.elements());
  forEachIndex(y_shape, [&](const int64_t* index) {
    expected[flatIndex(y_shape, index)] =
        apply(op, broadcastAt(a, a_shape, y_shape, index), broadcastAt(b, b_shape, y_shape, index));
  });
  binaryF32(op, a.data(), a_shape, b.data(), b_shape, y.data(), y_shape);
  EXPECT_TRUE(allClose(y, expected, 0.0f));
}

TEST(BinaryKernel, BroadcastShapes) {
  Shape y;
  ASSERT_TRUE(broadcastShapes(Shape{3, 1, 5}, Shape{4, 1}, &y));
  EXPECT_EQ(y, (Shape{3, 4, 5}));
  ASSERT_TRUE(broadcastShapes(Shape{}, Shape{2, 3}, &y));
  EXPECT_EQ(y, (Shape{2, 3}));
  ASSERT_TRUE(broadcastShapes(Shape{0, 1}, Shape{1, 4}, &y));
  EXPECT_EQ(y, (Shape{0, 4}));
  EXPECT_FALSE(broadcastShapes(Shape{3, 4}, Shape{5}, &y));
  ASSERT_TRUE(broadcastShapes(Shape{2, 1}, Shape{3, 2, 3}, &y));
  EXPECT_EQ(y, (Shape{3, 2, 3}));
}

TEST(BinaryKernel, MatchesNaiveOnBroadcastShapes) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {Shape{7}, Shape{7}},
      {Shape{3, 1, 5}, Shape{4, 1}},
      {Shape{4, 1}, Shape{3, 1, 5}},
      {Shape{}, Shape{2, 3}},
      {Shape{2, 3}, Shape{}},
      {Shape{1}, Shape{9}},
      {Shape{2, 3, 4}, Shape{3, 1}},
      {Shape{2, 3, 4}, Shape{4}},
      {Shape{5, 1, 3}, Shape{1, 6, 1}},
      {Shape{2, 1, 3, 1, 2, 1, 2, 1}, Shape{1, 2, 1, 3, 1, 2, 1, 3}},
      {Shape{1, 1, 17}, Shape{33, 1}},
      {Shape{0, 4}, Shape{4}},
  };
  uint32_t seed = 1;
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div})
    for (const auto& [a, b] : cases) checkBinary(op, a, b, seed++);
}

TEST(BinaryKernel, RandomShapes) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    Shape y;
    y.rank = 1 + rng() % 6;
    for (int d = 0; d < y.rank; ++d) y.dims[d] = 1 + rng() % 5;
    auto sub = [&] {
      Shape s;
      s.rank = rng() % (y.rank + 1);
      for (int d = 0; d < s.rank; ++d) {
        int64_t full = y.dims[y.rank - s.rank + d];
        s.dims[d] = rng() % 3 == 0 ? 1 : full;
      }
      return s;
    };
    Shape a = sub(), b = sub();
    if (rng() % 2) a = y;
    checkBinary(static_cast<BinaryOp>(trial % 4), a, b, 1000 + trial);
  }
}

}  // namespace
}  // namespace llmopt::testing
