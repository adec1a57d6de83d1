#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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
    case BinaryOp::Pow: return std::pow(a, b);
    case BinaryOp::Min: return std::fmin(a, b);
    case BinaryOp::Max: return std::fmax(a, b);
    default: return 0.0f;
  }
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
  // Pow of a negative base is NaN for most exponents: Pow gets positive bases.
  auto a = randomFloats(a_shape.elements(), seed, op == BinaryOp::Pow ? 0.1f : -1.0f, 1.0f);
  auto b = randomFloats(b_shape.elements(), seed + 1, 0.5f, 2.0f);  // no division by ~0
  std::vector<float> y(y_shape.elements(), -7.0f), expected(y_shape.elements());
  forEachIndex(y_shape, [&](const int64_t* index) {
    expected[flatIndex(y_shape, index)] =
        apply(op, broadcastAt(a, a_shape, y_shape, index), broadcastAt(b, b_shape, y_shape, index));
  });
  binaryF32(op, a.data(), a_shape, b.data(), b_shape, y.data(), y_shape);
  EXPECT_TRUE(allClose(y, expected, op == BinaryOp::Pow ? 1e-6f : 0.0f));
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
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Pow,
                      BinaryOp::Min, BinaryOp::Max})
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
    checkBinary(static_cast<BinaryOp>(trial % 7), a, b, 1000 + trial);
  }
}

// Typed broadcasting reference: y[i] = fn(a at i, b at i).
template <class T, class U, class Fn>
std::vector<U> reference(const std::vector<T>& a, const Shape& as, const std::vector<T>& b,
                         const Shape& bs, const Shape& ys, Fn fn) {
  std::vector<U> y(ys.elements());
  forEachIndex(ys, [&](const int64_t* index) {
    int64_t ia[kernels::kMaxRank], ib[kernels::kMaxRank];
    for (int d = 0; d < as.rank; ++d) ia[d] = as.dims[d] == 1 ? 0 : index[ys.rank - as.rank + d];
    for (int d = 0; d < bs.rank; ++d) ib[d] = bs.dims[d] == 1 ? 0 : index[ys.rank - bs.rank + d];
    y[flatIndex(ys, index)] = fn(a[flatIndex(as, ia)], b[flatIndex(bs, ib)]);
  });
  return y;
}

std::vector<int64_t> smallInts(size_t n, uint32_t seed, int64_t lo, int64_t hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  std::vector<int64_t> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

const std::pair<Shape, Shape> kShapes[] = {
    {Shape{7}, Shape{7}},       {Shape{3, 1, 5}, Shape{4, 1}}, {Shape{}, Shape{2, 3}},
    {Shape{2, 3, 4}, Shape{4}}, {Shape{5, 1, 3}, Shape{1, 6, 1}}, {Shape{0, 4}, Shape{4}},
};

TEST(BinaryKernel, I64Arithmetic) {
  using Fn = int64_t (*)(int64_t, int64_t);
  const std::pair<BinaryOp, Fn> ops[] = {
      {BinaryOp::Add, [](int64_t a, int64_t b) { return a + b; }},
      {BinaryOp::Sub, [](int64_t a, int64_t b) { return a - b; }},
      {BinaryOp::Mul, [](int64_t a, int64_t b) { return a * b; }},
      {BinaryOp::Div, [](int64_t a, int64_t b) { return b == 0 ? 0 : a / b; }},
      {BinaryOp::Min, [](int64_t a, int64_t b) { return a < b ? a : b; }},
      {BinaryOp::Max, [](int64_t a, int64_t b) { return a > b ? a : b; }},
      {BinaryOp::Pow,
       [](int64_t a, int64_t b) {
         int64_t r = 1;
         for (int64_t i = 0; i < b; ++i) r *= a;
         return b < 0 ? (a == 1 ? 1 : a == -1 ? (b % 2 ? -1 : 1) : 0) : r;
       }},
  };
  uint32_t seed = 5;
  for (const auto& [op, fn] : ops)
    for (const auto& [as, bs] : kShapes) {
      SCOPED_TRACE(static_cast<int>(op));
      Shape ys;
      ASSERT_TRUE(broadcastShapes(as, bs, &ys));
      auto a = smallInts(as.elements(), seed++, -9, 9);
      auto b = smallInts(bs.elements(), seed++, op == BinaryOp::Pow ? -2 : -9, op == BinaryOp::Pow ? 5 : 9);
      std::vector<int64_t> y(ys.elements());
      kernels::cpu::binaryI64(op, a.data(), as, b.data(), bs, y.data(), ys);
      EXPECT_EQ(y, (reference<int64_t, int64_t>(a, as, b, bs, ys, fn)));
    }
}

TEST(BinaryKernel, I64EdgeCasesDoNotTrap) {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> a = {kMin, 7, kMax, -7}, b = {-1, 0, 1, 2};
  std::vector<int64_t> y(4);
  kernels::cpu::binaryI64(BinaryOp::Div, a.data(), Shape{4}, b.data(), Shape{4}, y.data(),
                          Shape{4});
  EXPECT_EQ(y, (std::vector<int64_t>{kMin, 0, kMax, -3}));  // truncates toward zero
  kernels::cpu::binaryI64(BinaryOp::Add, a.data(), Shape{4}, b.data(), Shape{4}, y.data(),
                          Shape{4});
  EXPECT_EQ(y[2], kMin);  // wraps
}

TEST(BinaryKernel, Comparisons) {
  const std::pair<BinaryOp, bool (*)(double, double)> ops[] = {
      {BinaryOp::Equal, [](double a, double b) { return a == b; }},
      {BinaryOp::Less, [](double a, double b) { return a < b; }},
      {BinaryOp::Greater, [](double a, double b) { return a > b; }},
      {BinaryOp::LessOrEqual, [](double a, double b) { return a <= b; }},
      {BinaryOp::GreaterOrEqual, [](double a, double b) { return a >= b; }},
  };
  uint32_t seed = 50;
  for (const auto& [op, fn] : ops)
    for (const auto& [as, bs] : kShapes) {
      SCOPED_TRACE(static_cast<int>(op));
      Shape ys;
      ASSERT_TRUE(broadcastShapes(as, bs, &ys));
      auto ai = smallInts(as.elements(), seed++, -2, 2);
      auto bi = smallInts(bs.elements(), seed++, -2, 2);
      auto cmp = [fn = fn](auto x, auto y) { return static_cast<uint8_t>(fn(x, y)); };
      std::vector<uint8_t> y(ys.elements(), 9);
      kernels::cpu::compareI64(op, ai.data(), as, bi.data(), bs, y.data(), ys);
      EXPECT_EQ(y, (reference<int64_t, uint8_t>(ai, as, bi, bs, ys, cmp)));
      std::vector<float> af(ai.begin(), ai.end()), bf(bi.begin(), bi.end());
      std::fill(y.begin(), y.end(), 9);
      kernels::cpu::compareF32(op, af.data(), as, bf.data(), bs, y.data(), ys);
      EXPECT_EQ(y, (reference<float, uint8_t>(af, as, bf, bs, ys, cmp)));
    }
}

TEST(BinaryKernel, Logic) {
  const std::pair<BinaryOp, bool (*)(bool, bool)> ops[] = {
      {BinaryOp::And, [](bool a, bool b) { return a && b; }},
      {BinaryOp::Or, [](bool a, bool b) { return a || b; }},
      {BinaryOp::Xor, [](bool a, bool b) { return a != b; }},
  };
  uint32_t seed = 80;
  for (const auto& [op, fn] : ops)
    for (const auto& [as, bs] : kShapes) {
      Shape ys;
      ASSERT_TRUE(broadcastShapes(as, bs, &ys));
      auto ai = smallInts(as.elements(), seed++, 0, 1);
      auto bi = smallInts(bs.elements(), seed++, 0, 1);
      std::vector<uint8_t> a(ai.begin(), ai.end()), b(bi.begin(), bi.end());
      std::vector<uint8_t> y(ys.elements(), 9);
      kernels::cpu::logicBool(op, a.data(), as, b.data(), bs, y.data(), ys);
      auto logic = [fn = fn](uint8_t x, uint8_t y) { return static_cast<uint8_t>(fn(x, y)); };
      EXPECT_EQ(y, (reference<uint8_t, uint8_t>(a, as, b, bs, ys, logic)));
    }
}

TEST(BinaryKernel, MinMaxPropagateNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> a = {nan, 1.0f, 2.0f}, b = {1.0f, nan, 3.0f}, y(3);
  binaryF32(BinaryOp::Max, a.data(), Shape{3}, b.data(), Shape{3}, y.data(), Shape{3});
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_TRUE(std::isnan(y[1]));
  EXPECT_EQ(y[2], 3.0f);
}

// Large enough to be split across threads: the same result as one thread.
TEST(BinaryKernel, ThreadedMatchesSerial) {
  ThreadPoolForTests pool(4);
  const Shape as{64, 1, 300}, bs{1, 37, 300}, ys{64, 37, 300};
  auto a = randomFloats(as.elements(), 3), b = randomFloats(bs.elements(), 4);
  std::vector<float> serial(ys.elements()), threaded(ys.elements());
  binaryF32(BinaryOp::Mul, a.data(), as, b.data(), bs, serial.data(), ys);
  binaryF32(BinaryOp::Mul, a.data(), as, b.data(), bs, threaded.data(), ys, &pool);
  EXPECT_EQ(serial, threaded);
}

}  // namespace
}  // namespace llmopt::testing
