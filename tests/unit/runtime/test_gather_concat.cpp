#include <gtest/gtest.h>

#include <cstring>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/concat.h"
#include "kernels/cpu/generic/gather.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::ConcatInput;
using kernels::cpu::GatherArgs;

std::vector<int64_t> iota64(size_t n, int64_t start = 0) {
  std::vector<int64_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + static_cast<int64_t>(i);
  return v;
}

TEST(GatherKernel, EmbeddingRowsI64Indices) {
  // data [5, 3]; indices [2, 2] with negatives; y [2, 2, 3].
  const std::vector<int64_t> data = iota64(15, 100);
  const std::vector<int64_t> indices = {4, 0, -1, -5};
  std::vector<int64_t> y(12, -1);
  GatherArgs a;
  a.data = data.data();
  a.outer = 1;
  a.dim = 5;
  a.inner = 3;
  a.elem_size = 8;
  a.indices = indices.data();
  a.count = 4;
  a.y = y.data();
  int64_t bad = 0;
  ASSERT_TRUE(kernels::cpu::gather(a, &bad));
  EXPECT_EQ(y, (std::vector<int64_t>{112, 113, 114, 100, 101, 102, 112, 113, 114, 100, 101, 102}));
}

TEST(GatherKernel, MiddleAxisI32IndicesAndThreads) {
  ThreadPoolForTests pool(4);
  // data [outer 40, dim 7, inner 300] floats; gather axis 1 with 5 indices.
  const int64_t outer = 40, dim = 7, inner = 300;
  auto data = randomFloats(outer * dim * inner, 11);
  const std::vector<int32_t> indices = {6, -7, 3, 3, -2};
  std::vector<float> y(outer * 5 * inner), expected(y.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < 5; ++j) {
      const int64_t i = indices[j] < 0 ? indices[j] + dim : indices[j];
      std::memcpy(&expected[(o * 5 + j) * inner], &data[(o * dim + i) * inner],
                  inner * sizeof(float));
    }
  GatherArgs a;
  a.data = data.data();
  a.outer = outer;
  a.dim = dim;
  a.inner = inner;
  a.elem_size = 4;
  a.indices = indices.data();
  a.indices_i64 = false;
  a.count = 5;
  a.y = y.data();
  int64_t bad = 0;
  ASSERT_TRUE(kernels::cpu::gather(a, &bad, &pool));
  EXPECT_EQ(y, expected);
}

TEST(GatherKernel, OutOfRangeIndexWritesNothing) {
  const std::vector<uint8_t> data = {1, 2, 3};
  for (int64_t index : {int64_t(3), int64_t(-4), int64_t(1) << 40}) {
    const std::vector<int64_t> indices = {0, index};
    std::vector<uint8_t> y(2, 9);
    GatherArgs a;
    a.data = data.data();
    a.outer = 1;
    a.dim = 3;
    a.inner = 1;
    a.elem_size = 1;
    a.indices = indices.data();
    a.count = 2;
    a.y = y.data();
    int64_t bad = 0;
    EXPECT_FALSE(kernels::cpu::gather(a, &bad));
    EXPECT_EQ(bad, index);
    EXPECT_EQ(y, (std::vector<uint8_t>{9, 9}));
  }
}

TEST(ConcatKernel, MiddleAxisOddSizes) {
  // [2, d, 3] for d = 1, 0, 4 along axis 1, i64.
  const int64_t outer = 2, inner = 3;
  const std::vector<int64_t> a = iota64(outer * 1 * inner, 0), c = iota64(outer * 4 * inner, 100);
  const ConcatInput inputs[] = {{a.data(), 1}, {nullptr, 0}, {c.data(), 4}};
  std::vector<int64_t> y(outer * 5 * inner, -1);
  kernels::cpu::concat(inputs, 3, outer, inner, 8, y.data());
  std::vector<int64_t> expected;
  for (int64_t o = 0; o < outer; ++o) {
    expected.insert(expected.end(), a.begin() + o * 3, a.begin() + o * 3 + 3);
    expected.insert(expected.end(), c.begin() + o * 12, c.begin() + o * 12 + 12);
  }
  EXPECT_EQ(y, expected);
}

TEST(ConcatKernel, ThreadedMatchesSerial) {
  ThreadPoolForTests pool(4);
  auto a = randomFloats(500 * 30, 1), b = randomFloats(500 * 70, 2);
  const ConcatInput inputs[] = {{a.data(), 3}, {b.data(), 7}};
  std::vector<float> serial(500 * 100), threaded(500 * 100);
  kernels::cpu::concat(inputs, 2, 500, 10, 4, serial.data());
  kernels::cpu::concat(inputs, 2, 500, 10, 4, threaded.data(), &pool);
  EXPECT_EQ(serial, threaded);
  EXPECT_EQ(serial[30], b[0]);
}

}  // namespace
}  // namespace llmopt::testing
