// Fill, Range, Cast and Trilu.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/cast.h"
#include "kernels/cpu/generic/fill.h"
#include "kernels/cpu/generic/trilu.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::ElemType;

TEST(FillKernel, EveryType) {
  std::vector<float> f(5);
  kernels::cpu::fill(ElemType::F32, -1.5, f.data(), 5);
  EXPECT_EQ(f, std::vector<float>(5, -1.5f));
  std::vector<int64_t> l(3);
  kernels::cpu::fill(ElemType::I64, -2.9, l.data(), 3);
  EXPECT_EQ(l, std::vector<int64_t>(3, -2));
  kernels::cpu::fill(ElemType::I64, 1e300, l.data(), 3);
  EXPECT_EQ(l[0], std::numeric_limits<int64_t>::max());
  std::vector<int32_t> i(2);
  kernels::cpu::fill(ElemType::I32, NAN, i.data(), 2);
  EXPECT_EQ(i, std::vector<int32_t>(2, 0));
  std::vector<uint8_t> b(4);
  kernels::cpu::fill(ElemType::Bool, 0.25, b.data(), 4);
  EXPECT_EQ(b, std::vector<uint8_t>(4, 1));
  ThreadPoolForTests pool(4);
  std::vector<float> big(200001);
  kernels::cpu::fill(ElemType::F32, 3.0, big.data(), big.size(), &pool);
  EXPECT_EQ(big, std::vector<float>(big.size(), 3.0f));
}

TEST(RangeKernel, EveryType) {
  std::vector<float> f(4);
  kernels::cpu::range(ElemType::F32, 0.5, 0.25, f.data(), 4);
  EXPECT_EQ(f, (std::vector<float>{0.5f, 0.75f, 1.0f, 1.25f}));
  std::vector<int64_t> l(5);
  kernels::cpu::range(ElemType::I64, 10, -3, l.data(), 5);
  EXPECT_EQ(l, (std::vector<int64_t>{10, 7, 4, 1, -2}));
  std::vector<int32_t> i(3);
  kernels::cpu::range(ElemType::I32, 0, 1, i.data(), 3);
  EXPECT_EQ(i, (std::vector<int32_t>{0, 1, 2}));
  kernels::cpu::range(ElemType::I32, 0, 1, nullptr, 0);  // empty
}

TEST(CastKernel, AllPairs) {
  const float f[] = {-2.7f, -0.0f, 0.5f, 3.9f, 1e20f, NAN};
  int64_t l[6];
  kernels::cpu::cast(ElemType::F32, f, ElemType::I64, l, 6);
  EXPECT_EQ(std::vector<int64_t>(l, l + 6),
            (std::vector<int64_t>{-2, 0, 0, 3, std::numeric_limits<int64_t>::max(), 0}));
  int32_t i[6];
  kernels::cpu::cast(ElemType::F32, f, ElemType::I32, i, 6);
  EXPECT_EQ(std::vector<int32_t>(i, i + 6),
            (std::vector<int32_t>{-2, 0, 0, 3, std::numeric_limits<int32_t>::max(), 0}));
  uint8_t b[6];
  kernels::cpu::cast(ElemType::F32, f, ElemType::Bool, b, 6);
  EXPECT_EQ(std::vector<uint8_t>(b, b + 6), (std::vector<uint8_t>{1, 0, 1, 1, 1, 1}));

  const int64_t big[] = {-3, 0, int64_t(1) << 33 | 5, 7};
  float bf[4];
  kernels::cpu::cast(ElemType::I64, big, ElemType::F32, bf, 4);
  EXPECT_EQ(bf[0], -3.0f);
  EXPECT_EQ(bf[3], 7.0f);
  int32_t bi[4];
  kernels::cpu::cast(ElemType::I64, big, ElemType::I32, bi, 4);
  EXPECT_EQ(bi[2], 5);  // low bits
  uint8_t bb[4];
  kernels::cpu::cast(ElemType::I64, big, ElemType::Bool, bb, 4);
  EXPECT_EQ(std::vector<uint8_t>(bb, bb + 4), (std::vector<uint8_t>{1, 0, 1, 1}));
  int64_t same[4];
  kernels::cpu::cast(ElemType::I64, big, ElemType::I64, same, 4);
  EXPECT_EQ(std::memcmp(same, big, sizeof big), 0);

  const int32_t i32[] = {-1, 2};
  int64_t wide[2];
  kernels::cpu::cast(ElemType::I32, i32, ElemType::I64, wide, 2);
  EXPECT_EQ(wide[0], -1);
  float i32f[2];
  kernels::cpu::cast(ElemType::I32, i32, ElemType::F32, i32f, 2);
  EXPECT_EQ(i32f[1], 2.0f);
  uint8_t i32b[2];
  kernels::cpu::cast(ElemType::I32, i32, ElemType::Bool, i32b, 2);
  EXPECT_EQ(i32b[0], 1);

  const uint8_t bools[] = {0, 1, 5};
  float bfl[3];
  int64_t bl[3];
  int32_t b32[3];
  uint8_t b8[3];
  kernels::cpu::cast(ElemType::Bool, bools, ElemType::F32, bfl, 3);
  kernels::cpu::cast(ElemType::Bool, bools, ElemType::I64, bl, 3);
  kernels::cpu::cast(ElemType::Bool, bools, ElemType::I32, b32, 3);
  kernels::cpu::cast(ElemType::Bool, bools, ElemType::Bool, b8, 3);
  EXPECT_EQ(std::vector<float>(bfl, bfl + 3), (std::vector<float>{0, 1, 1}));
  EXPECT_EQ(std::vector<int64_t>(bl, bl + 3), (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(std::vector<int32_t>(b32, b32 + 3), (std::vector<int32_t>{0, 1, 1}));
  EXPECT_EQ(std::vector<uint8_t>(b8, b8 + 3), (std::vector<uint8_t>{0, 1, 1}));
}

template <class T>
void checkTrilu(const Shape& s, bool upper, int64_t k) {
  SCOPED_TRACE(::testing::Message() << "upper " << upper << " k " << k);
  std::vector<T> x(s.elements());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(i % 100 + 1);
  std::vector<T> y(x.size(), T(99)), expected(x.size());
  const int r = s.rank;
  forEachIndex(s, [&](const int64_t* index) {
    const int64_t diff = index[r - 1] - index[r - 2];
    const bool keep = upper ? diff >= k : diff <= k;
    const int64_t flat = flatIndex(s, index);
    expected[flat] = keep ? x[flat] : T(0);
  });
  kernels::cpu::trilu(x.data(), s, upper, k, sizeof(T), y.data());
  EXPECT_EQ(y, expected);
}

TEST(TriluKernel, UpperAndLower) {
  for (bool upper : {true, false})
    for (int64_t k : {int64_t(-7), int64_t(-1), int64_t(0), int64_t(1), int64_t(3),
                      std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
      checkTrilu<float>(Shape{4, 5}, upper, k);
      checkTrilu<int64_t>(Shape{2, 3, 6, 3}, upper, k);
      checkTrilu<uint8_t>(Shape{1, 1}, upper, k);
    }
}

}  // namespace
}  // namespace llmopt::testing
