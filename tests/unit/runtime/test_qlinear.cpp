#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/qfloat16.h"
#include "kernels/cpu/generic/qgemv_w4a8.h"
#include "kernels/cpu/generic/qisa.h"
#include "kernels/cpu/generic/qlinear.h"
#include "kernels/cpu/generic/qpack.h"
#include "kernels/cpu/x86/qgemv_w4a8_x86.h"
#include "qtest_util.h"
#include "thread_pool.h"

#ifdef __aarch64__
#include <sys/auxv.h>
#endif

namespace llmopt::testing {
namespace {

using namespace kernels::cpu;  // the kernels under test

// --- packing ---------------------------------------------------------------------------------

TEST(QPack, Sizes) {
  EXPECT_EQ(packedW8A8Bytes(17, 5), 2 * 2 * 64);
  EXPECT_EQ(packedW8A8Bytes(16, 4), 1 * 1 * 64);
  EXPECT_EQ(packedInt8Bytes(17, 5), 2 * 5 * 16);
  EXPECT_EQ(packedInt4Bytes(33, 3), 3 * 3 * 8);
  EXPECT_EQ(packed16BitBytes(1, 7), 1 * 7 * 32);
  EXPECT_EQ(qPanelCount(0), 0);
  EXPECT_EQ(qPanelCount(16), 1);
  EXPECT_EQ(qPanelCount(17), 2);
}

TEST(QPack, W8A8HandChecked) {
  // 2 channels of k = 5: two quads, the second holding k = 4 and zero padding.
  const std::vector<int8_t> w = {1, 2, 3, 4, 5, 6, 7, 8, 9, -10};
  std::vector<int8_t> packed(packedW8A8Bytes(2, 5), 99);
  packW8A8(w.data(), 2, 5, packed.data());
  std::vector<int8_t> expected(128, 0);
  const int8_t quad0[8] = {1, 2, 3, 4, 6, 7, 8, 9};
  std::memcpy(expected.data(), quad0, 8);
  expected[64] = 5;
  expected[68] = -10;
  EXPECT_EQ(packed, expected);
}

TEST(QPack, W8A8RaggedShape) {
  const int64_t n = 20, k = 7, kq = 2;
  std::vector<int8_t> w(n * k);
  for (int64_t i = 0; i < n * k; ++i) w[i] = static_cast<int8_t>(i * 37 % 256 - 128);
  std::vector<int8_t> packed(packedW8A8Bytes(n, k), 99);
  packW8A8(w.data(), n, k, packed.data());
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t q = 0; q < kq; ++q)
      for (int64_t j = 0; j < 16; ++j)
        for (int64_t t = 0; t < 4; ++t) {
          const int64_t c = 16 * p + j, kk = 4 * q + t;
          EXPECT_EQ(packed[(p * kq + q) * 64 + j * 4 + t], c < n && kk < k ? w[c * k + kk] : 0)
              << "p " << p << " q " << q << " j " << j << " t " << t;
        }
}

TEST(QPack, W8A8ColumnSums) {
  const std::vector<int8_t> w = {1, -2, 3, -128, 127, 127, 127, 127, 0, 0, 0, -1};
  std::vector<int32_t> sums(16, 99);
  w8a8ColumnSums(w.data(), 3, 4, sums.data());
  std::vector<int32_t> expected(16, 0);
  expected[0] = -126;
  expected[1] = 508;
  expected[2] = -1;
  EXPECT_EQ(sums, expected);
}

TEST(QPack, Int8HandChecked) {
  const std::vector<int8_t> w = {1, 2, 3, -4, -5, -6};  // 2 channels, k = 3
  std::vector<int8_t> packed(packedInt8Bytes(2, 3), 99);
  packInt8(w.data(), 2, 3, packed.data());
  std::vector<int8_t> expected(48, 0);
  for (int kk = 0; kk < 3; ++kk) {
    expected[kk * 16] = w[kk];
    expected[kk * 16 + 1] = w[3 + kk];
  }
  EXPECT_EQ(packed, expected);
}

TEST(QPack, Int4HandChecked) {
  // Channels 0, 1, 2 with k = 2: row kk holds bytes (c0 | c1 << 4), (c2 | 0 << 4), then zeros.
  const std::vector<uint8_t> q = {1, 2, 3, 4, 5, 0xf6};  // the high nibble is ignored
  std::vector<uint8_t> packed(packedInt4Bytes(3, 2), 99);
  packInt4(q.data(), 3, 2, packed.data());
  const std::vector<uint8_t> expected = {0x31, 0x05, 0, 0, 0, 0, 0, 0,
                                         0x42, 0x06, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(packed, expected);
}

TEST(QPack, Int4RaggedShape) {
  const int64_t n = 19, k = 5;
  const auto values = randomInts(n * k, 7, 0, 15);
  const std::vector<uint8_t> q(values.begin(), values.end());
  std::vector<uint8_t> packed(packedInt4Bytes(n, k), 99);
  packInt4(q.data(), n, k, packed.data());
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < 16; ++j) {
        const int64_t c = 16 * p + j;
        const uint8_t byte = packed[(p * k + kk) * 8 + j / 2];
        EXPECT_EQ((j & 1) ? byte >> 4 : byte & 0xf, c < n ? q[c * k + kk] : 0)
            << "p " << p << " kk " << kk << " j " << j;
      }
}

TEST(QPack, Int4GroupParams) {
  const int64_t n = 17, groups = 3;
  std::vector<uint16_t> params(n * groups);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t g = 0; g < groups; ++g) params[c * groups + g] = static_cast<uint16_t>(c * 10 + g);
  std::vector<uint16_t> packed(2 * groups * 16, 99);
  packInt4GroupParams(params.data(), n, groups, packed.data());
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t j = 0; j < 16; ++j) {
        const int64_t c = 16 * p + j;
        EXPECT_EQ(packed[(p * groups + g) * 16 + j], c < n ? c * 10 + g : 0);
      }
}

TEST(QPack, Pack16Bit) {
  const std::vector<uint16_t> w = {0x3c00, 0x4000, 0xbc00, 0x7c00, 0x0001, 0x8000};  // [3][2]
  std::vector<uint16_t> packed(packed16BitBytes(3, 2) / 2, 99);
  pack16Bit(w.data(), 3, 2, packed.data());
  std::vector<uint16_t> expected(32, 0);
  expected[0] = 0x3c00;
  expected[1] = 0xbc00;
  expected[2] = 0x0001;
  expected[16] = 0x4000;
  expected[17] = 0x7c00;
  expected[18] = 0x8000;
  EXPECT_EQ(packed, expected);
}

// --- fp16 / bfloat16 -------------------------------------------------------------------------

float bitsToFloat(uint32_t bits) { return floatFromBits(bits); }

TEST(QFloat16, HalfRoundsToNearestEven) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(0.0f), 0x0000);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie: to even
  EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie: to even
  EXPECT_EQ(floatToHalf(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3c01);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65519.99f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);  // tie with 2^16: to even, which is inf
  EXPECT_EQ(floatToHalf(-1e10f), 0xfc00);
  EXPECT_EQ(floatToHalf(0.1f), 0x2e66);
}

TEST(QFloat16, HalfSubnormals) {
  const float unit = std::ldexp(1.0f, -24);  // the smallest subnormal half
  EXPECT_EQ(floatToHalf(unit), 0x0001);
  EXPECT_EQ(floatToHalf(-unit), 0x8001);
  EXPECT_EQ(floatToHalf(unit / 2), 0x0000);                          // tie: to even 0
  EXPECT_EQ(floatToHalf(std::nextafter(unit / 2, 1.0f)), 0x0001);
  EXPECT_EQ(floatToHalf(unit * 1.5f), 0x0002);                       // tie: to even 2
  EXPECT_EQ(floatToHalf(unit * 2.5f), 0x0002);                       // tie: to even 2
  EXPECT_EQ(floatToHalf(unit * 1023), 0x03ff);
  EXPECT_EQ(floatToHalf(unit * 1023.5f), 0x0400);  // rounds up into the smallest normal
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(floatToHalf(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(halfToFloat(0x0001), unit);
  EXPECT_EQ(halfToFloat(0x83ff), -unit * 1023);
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));
}

TEST(QFloat16, HalfInfAndNaN) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(floatToHalf(inf), 0x7c00);
  EXPECT_EQ(floatToHalf(-inf), 0xfc00);
  EXPECT_EQ(halfToFloat(0x7c00), inf);
  EXPECT_EQ(halfToFloat(0xfc00), -inf);
  const uint16_t nan = floatToHalf(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x3ff, 0);
  // A NaN whose payload lies below the bits a half keeps stays a NaN.
  EXPECT_NE(floatToHalf(bitsToFloat(0x7f800001u)) & 0x3ff, 0);
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0xfc01)));
}

TEST(QFloat16, EveryHalfRoundTripsAndDecodesExactly) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = halfToFloat(static_cast<uint16_t>(h));
    ASSERT_EQ(floatToHalf(f), h) << std::hex << h;
    const uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 0x1f) continue;
    const double magnitude = exponent == 0
                                 ? std::ldexp(double(mantissa), -24)
                                 : std::ldexp(double(mantissa + 1024), int(exponent) - 25);
    ASSERT_EQ(double(f), (h & 0x8000) ? -magnitude : magnitude) << std::hex << h;
  }
}

TEST(QFloat16, HalfIsNearestForRandomFloats) {
  // The half chosen is at least as near as both neighbours; on a tie, the even one.
  const auto values = randomFloats(200000, 11, -70000.0f, 70000.0f);
  for (size_t i = 0; i < values.size(); ++i) {
    const float f = values[i] * (i % 3 == 0 ? 1e-6f : 1.0f);
    const uint16_t h = floatToHalf(f);
    if ((h & 0x7c00) == 0x7c00) {
      ASSERT_GE(std::fabs(f), 65520.0f) << f;
      continue;
    }
    const double error = std::fabs(double(halfToFloat(h)) - f);
    for (int step : {-1, 1}) {
      const uint16_t neighbour = static_cast<uint16_t>(h + step);
      if ((neighbour & 0x7c00) == 0x7c00 || ((h & 0x7fff) == 0 && step < 0)) continue;
      const double other = std::fabs(double(halfToFloat(neighbour)) - f);
      ASSERT_LE(error, other) << f;
      if (error == other) {
        ASSERT_EQ(h & 1, 0) << f;
      }
    }
  }
}

TEST(QFloat16, BFloat16RoundsToNearestEven) {
  EXPECT_EQ(floatToBFloat16(1.0f), 0x3f80);
  EXPECT_EQ(floatToBFloat16(-0.0f), 0x8000);
  EXPECT_EQ(floatToBFloat16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);      // tie: to even
  EXPECT_EQ(floatToBFloat16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);  // tie: to even
  EXPECT_EQ(floatToBFloat16(std::nextafter(1.0f + std::ldexp(1.0f, -8), 2.0f)), 0x3f81);
  EXPECT_EQ(floatToBFloat16(std::numeric_limits<float>::max()), 0x7f80);  // rounds up to inf
  EXPECT_EQ(floatToBFloat16(bitsToFloat(0x7f7f7fffu)), 0x7f7f);
  EXPECT_EQ(floatToBFloat16(bitsToFloat(0x00008000u)), 0x0000);  // subnormal tie: to even
  EXPECT_EQ(floatToBFloat16(bitsToFloat(0x00018000u)), 0x0002);  // subnormal tie: to even
  EXPECT_EQ(floatToBFloat16(bitsToFloat(0x00018001u)), 0x0002);
  EXPECT_EQ(floatToBFloat16(bitsToFloat(0x00017fffu)), 0x0001);
  EXPECT_EQ(floatToBFloat16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(floatToBFloat16(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(floatToBFloat16(bitsToFloat(0x7fc00000u)), 0x7fc0);
  EXPECT_NE(floatToBFloat16(bitsToFloat(0x7f800001u)) & 0x7f, 0);  // still a NaN
  EXPECT_EQ(bfloat16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(0x0001), bitsToFloat(0x00010000u));
}

TEST(QFloat16, EveryBFloat16RoundTrips) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = bfloat16ToFloat(static_cast<uint16_t>(b));
    ASSERT_EQ(floatBits(f), b << 16);
    ASSERT_EQ(floatToBFloat16(f), b) << std::hex << b;
  }
}

// --- W8A8 ------------------------------------------------------------------------------------

std::vector<QGemmVariant> supportedQGemmVariants() {
  size_t count;
  const QGemmVariant* variants = qgemmVariants(&count);
  std::vector<QGemmVariant> supported;
  for (size_t i = 0; i < count; ++i)
    if (variants[i].supported) supported.push_back(variants[i]);
  return supported;
}

const QGemmVariant& scalarQGemm() {
  size_t count;
  const QGemmVariant* variants = qgemmVariants(&count);
  return variants[count - 1];
}

TEST(QGemmMicrokernel, ScalarIsLastAndAlwaysSupported) {
  EXPECT_STREQ(scalarQGemm().name, "scalar");
  EXPECT_TRUE(scalarQGemm().supported);
  EXPECT_TRUE(bestQGemmVariant().supported);
}

TEST(QGemmMicrokernel, EveryVariantGivesExactSums) {
  // Activations over the whole of 0..255 and weights over the whole of -128..127, odd strides.
  for (int64_t kq : {0, 1, 2, 3, 7, 64, 97}) {
    const int64_t lda = kq * 4 + 5, panel_stride = kq * 64 + 64;
    // kQGemmMaxMr rows: a variant may read all of its mr rows whatever `rows` is.
    const auto a_values = randomInts(kQGemmMaxMr * lda, 100 + kq, 0, 255);
    const auto w_values = randomInts(kQGemmPanels * panel_stride, 200 + kq, -128, 127);
    std::vector<uint8_t> a(a_values.begin(), a_values.end());
    std::vector<int8_t> w(w_values.begin(), w_values.end());
    if (kq > 0) {  // the extremes, in one row and one channel
      a[0] = 255;
      w[0] = -128;
      w[1] = 127;
    }
    for (int rows = 1; rows <= kQGemmMaxMr; ++rows)
      for (int panels = 1; panels <= kQGemmPanels; ++panels) {
        std::vector<int32_t> expected(kQGemmMaxMr * kQGemmAccStride, 0);
        for (int r = 0; r < rows; ++r)
          for (int i = 0; i < panels; ++i)
            for (int j = 0; j < 16; ++j) {
              int32_t sum = 0;
              for (int64_t t = 0; t < 4 * kq; ++t)
                sum += a[r * lda + t] * w[i * panel_stride + (t / 4) * 64 + j * 4 + t % 4];
              expected[r * kQGemmAccStride + i * 16 + j] = sum;
            }
        for (const auto& variant : supportedQGemmVariants()) {
          if (rows > variant.mr) continue;
          SCOPED_TRACE(::testing::Message() << variant.name << " kq " << kq << " rows " << rows
                                            << " panels " << panels);
          std::vector<int32_t> acc(kQGemmMaxMr * kQGemmAccStride, 0);
          const QGemmRun run(variant, kq);
          variant.microkernel(kq, a.data(), lda, w.data(), panel_stride, panels, rows,
                              acc.data());
          for (int r = 0; r < rows; ++r)
            for (int j = 0; j < panels * 16; ++j)
              ASSERT_EQ(acc[r * kQGemmAccStride + j], expected[r * kQGemmAccStride + j])
                  << "row " << r << " column " << j;
        }
      }
  }
}

struct W8A8Problem {
  int64_t m, k, n;
  std::vector<float> x;
  std::vector<int8_t> w;  // [n][k]
  std::vector<float> w_scale, bias;
  bool with_bias;
  std::vector<int8_t> packed;
  std::vector<int32_t> colsum;
};

// x rows of very different magnitudes (and a row of zeros when m > 1); weights over the whole
// int8 range, -128 included.
W8A8Problem makeW8A8Problem(int64_t m, int64_t k, int64_t n, bool with_bias, uint32_t seed) {
  W8A8Problem p{m, k, n, randomFloats(m * k, seed), {}, randomFloats(n, seed + 1, 0.001f, 0.02f),
                randomFloats(n, seed + 2), with_bias, {}, {}};
  for (int64_t i = 0; i < m; ++i) {
    const float magnitude = std::ldexp(1.0f, static_cast<int>(i % 7) * 4 - 12);
    for (int64_t kk = 0; kk < k; ++kk) p.x[i * k + kk] *= magnitude;
  }
  if (m > 1)
    for (int64_t kk = 0; kk < k; ++kk) p.x[k + kk] = 0.0f;
  const auto w = randomInts(n * k, seed + 3, -128, 127);
  p.w.assign(w.begin(), w.end());
  p.packed.resize(packedW8A8Bytes(n, k));
  packW8A8(p.w.data(), n, k, p.packed.data());
  p.colsum.resize(qPanelCount(n) * 16);
  w8a8ColumnSums(p.w.data(), n, k, p.colsum.data());
  return p;
}

std::vector<float> runW8A8(const W8A8Problem& p, const QGemmVariant* variant,
                           kernels::Parallel* parallel) {
  AlignedBuffer scratch(linearW8A8ScratchBytes(p.m, p.k, p.n));
  std::vector<float> y(p.m * p.n, -1.0f);
  LinearW8A8Args args;
  args.x = p.x.data();
  args.m = p.m;
  args.k = p.k;
  args.n = p.n;
  args.w = p.packed.data();
  args.w_colsum = p.colsum.data();
  args.w_scale = p.w_scale.data();
  args.bias = p.with_bias ? p.bias.data() : nullptr;
  args.y = y.data();
  args.scratch = scratch.data();
  args.variant = variant;
  linearW8A8(args, parallel);
  return y;
}

// The documented semantics, straight from the unpacked weights: per-token s = max|x| / 127 and
// q = clamp(round_half_even(x · (1 / s)), -127, 127) in fp32 (x / s where 1 / s overflows), then
// the rest in double. Checks each
// output within a few fp32 roundings of its terms' magnitude.
::testing::AssertionResult matchesW8A8Semantics(const W8A8Problem& p,
                                                const std::vector<float>& y) {
  for (int64_t i = 0; i < p.m; ++i) {
    float amax = 0.0f;
    for (int64_t kk = 0; kk < p.k; ++kk) amax = std::max(amax, std::fabs(p.x[i * p.k + kk]));
    const float s = amax / 127.0f;
    std::vector<int64_t> q(p.k, 0);
    if (s > 0.0f)
      for (int64_t kk = 0; kk < p.k; ++kk) {
        const float inv = 1.0f / s;  // the row divides where the reciprocal overflows
        const float v = std::nearbyint(inv <= 3.4028234e38f ? p.x[i * p.k + kk] * inv
                                                            : p.x[i * p.k + kk] / s);
        q[kk] = static_cast<int64_t>(std::min(127.0f, std::max(-127.0f, v)));
      }
    for (int64_t c = 0; c < p.n; ++c) {
      int64_t acc = 0;
      for (int64_t kk = 0; kk < p.k; ++kk) acc += q[kk] * p.w[c * p.k + kk];
      const double product = double(acc) * s * p.w_scale[c];
      const double bias = p.with_bias ? p.bias[c] : 0.0;
      const double expected = product + bias;
      const double tolerance = 1e-6 * (std::fabs(product) + std::fabs(bias)) + 1e-30;
      const float got = y[i * p.n + c];
      if (!(std::fabs(got - expected) <= tolerance))
        return ::testing::AssertionFailure() << "y[" << i << "][" << c << "] = " << got
                                             << ", expected " << expected;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(QLinearW8A8, EveryVariantMatchesTheSemanticsAndTheScalarExactly) {
  uint32_t seed = 1;
  for (int64_t m : {1, 2, 5, 6, 7, 13, 64})
    for (int64_t k : {1, 3, 4, 17, 64, 257})
      for (int64_t n : {1, 15, 16, 17, 33, 100}) {
        const bool with_bias = seed % 2 == 0;
        const W8A8Problem p = makeW8A8Problem(m, k, n, with_bias, seed++);
        SCOPED_TRACE(::testing::Message() << "m " << m << " k " << k << " n " << n << " bias "
                                          << with_bias);
        const std::vector<float> reference = runW8A8(p, &scalarQGemm(), nullptr);
        ASSERT_TRUE(matchesW8A8Semantics(p, reference));
        for (const auto& variant : supportedQGemmVariants()) {
          const std::vector<float> y = runW8A8(p, &variant, nullptr);
          ASSERT_EQ(std::memcmp(y.data(), reference.data(), y.size() * sizeof(float)), 0)
              << variant.name;
        }
      }
}

TEST(QLinearW8A8, QuantizationRoundsHalfToEven) {
  // max|x| = 127 makes s = 1, so y[c] = q[c] through an identity weight.
  const int64_t k = 8, n = 8;
  W8A8Problem p{1, k, n, {127.0f, 2.5f, 3.5f, -2.5f, -0.5f, 1.5f, 0.49f, -126.6f}, {}, {}, {},
                false, {}, {}};
  p.w.assign(n * k, 0);
  for (int64_t c = 0; c < n; ++c) p.w[c * k + c] = 1;
  p.w_scale.assign(n, 1.0f);
  p.packed.resize(packedW8A8Bytes(n, k));
  packW8A8(p.w.data(), n, k, p.packed.data());
  p.colsum.resize(16);
  w8a8ColumnSums(p.w.data(), n, k, p.colsum.data());
  const std::vector<float> expected = {127, 2, 4, -2, 0, 2, 0, -127};
  for (const auto& variant : supportedQGemmVariants())
    EXPECT_EQ(runW8A8(p, &variant, nullptr), expected) << variant.name;
}

TEST(QLinearW8A8, ZeroRowGivesBiasAndNonFiniteRowGivesNaN) {
  W8A8Problem p = makeW8A8Problem(3, 20, 17, true, 5);
  for (int64_t kk = 0; kk < 20; ++kk) p.x[kk] = 0.0f;
  p.x[2 * 20 + 3] = std::numeric_limits<float>::infinity();
  for (const auto& variant : supportedQGemmVariants()) {
    const std::vector<float> y = runW8A8(p, &variant, nullptr);
    for (int64_t c = 0; c < 17; ++c) {
      EXPECT_EQ(y[c], p.bias[c]);
      EXPECT_TRUE(std::isnan(y[2 * 17 + c]));
    }
  }
}

TEST(QLinearW8A8, SubnormalRows) {
  // max|x| = 189 * 2^-149 gives s = 2^-149, so x / s reaches 189 and q saturates at 127; a
  // smaller row has s = 0 and gives bias.
  W8A8Problem p = makeW8A8Problem(2, 5, 17, true, 6);
  const float unit = std::numeric_limits<float>::denorm_min();
  const float rows[2][5] = {{189 * unit, -100 * unit, 3 * unit, 0.0f, -189 * unit},
                            {unit, -unit, 0.0f, unit, 0.0f}};
  for (int64_t kk = 0; kk < 5; ++kk) {
    p.x[kk] = rows[0][kk];
    p.x[5 + kk] = rows[1][kk];
  }
  const std::vector<float> reference = runW8A8(p, &scalarQGemm(), nullptr);
  EXPECT_TRUE(matchesW8A8Semantics(p, reference));
  for (int64_t c = 0; c < 17; ++c) EXPECT_EQ(reference[17 + c], p.bias[c]);
  for (const auto& variant : supportedQGemmVariants())
    EXPECT_EQ(runW8A8(p, &variant, nullptr), reference) << variant.name;
}

TEST(QLinearW8A8, ZeroKGivesBias) {
  const W8A8Problem p = makeW8A8Problem(3, 0, 5, true, 9);
  const std::vector<float> y = runW8A8(p, nullptr, nullptr);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t c = 0; c < 5; ++c) EXPECT_EQ(y[i * 5 + c], p.bias[c]);
}

TEST(QLinearW8A8, ThreadPoolMatchesSerial) {
  rt::ThreadPool pool(3);
  for (const auto& [m, k, n] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 257, 100}, {64, 257, 100}, {150, 768, 200},
           // 15 groups of 4 panels, the last of 1 column: few rows take runs of 2 groups.
           {3, 257, 900},
           // More rows split the groups into ranges of 2 or 3 (6 for 3 threads, 2 serially),
           // prefetching the next group's weights, over 1 or 2 row blocks.
           {13, 64, 2000}, {150, 257, 900}}) {
    const W8A8Problem p = makeW8A8Problem(m, k, n, true, static_cast<uint32_t>(m + k + n));
    for (const auto& variant : supportedQGemmVariants())
      EXPECT_EQ(runW8A8(p, &variant, &pool), runW8A8(p, &variant, nullptr)) << variant.name;
  }
}

// --- weight-only formats, decoded ------------------------------------------------------------

const QWeightFormat kFormats[] = {QWeightFormat::Int8, QWeightFormat::Int4, QWeightFormat::F16,
                                  QWeightFormat::BF16};

std::vector<QDecodeVariant> supportedDecodeVariants() {
  size_t count;
  const QDecodeVariant* variants = qdecodeVariants(&count);
  std::vector<QDecodeVariant> supported;
  for (size_t i = 0; i < count; ++i)
    if (variants[i].supported) supported.push_back(variants[i]);
  return supported;
}

QPanelSource panelSource(const QuantizedWeights& w) {
  QPanelSource s;
  s.format = w.format;
  s.w = w.packed.data();
  s.scale = w.panel_scale.data();
  s.group_scale = w.panel_group_scale.data();
  s.group_offset = w.panel_group_offset.data();
  s.group_size = w.group_size;
  s.k = w.k;
  return s;
}

TEST(QDecode, EveryVariantDecodesExactly) {
  // Blocks starting and ending inside Int4 groups (of 32, over k = 70), ragged last panel.
  const int64_t n = 37, k = 70;
  for (QWeightFormat format : kFormats) {
    const QuantizedWeights w = makeQuantizedWeights(format, n, k, 32, 3);
    const QPanelSource source = panelSource(w);
    const std::vector<std::pair<int64_t, int64_t>> blocks = {{0, 70}, {3, 60}, {33, 1}};
    for (const auto& variant : supportedDecodeVariants())
      for (const auto& [k0, kc] : blocks) {
        SCOPED_TRACE(::testing::Message() << formatName(format) << " " << variant.name << " k0 "
                                          << k0 << " kc " << kc);
        for (int64_t p = 0; p < qPanelCount(n); ++p) {
          std::vector<float> out(kc * 16, -1.0f);
          variant.decode_panel(source, p, k0, kc, out.data());
          for (int64_t kk = k0; kk < k0 + kc; ++kk)
            for (int64_t j = 0; j < 16; ++j) {
              const int64_t c = p * 16 + j;
              ASSERT_EQ(out[(kk - k0) * 16 + j], c < n ? w.dense[c * k + kk] : 0.0f)
                  << "channel " << c << " row " << kk;
            }
        }
      }
  }
}

TEST(QDecode, EveryVariantDecodesEvery16BitValue) {
  // 16 channels x 4096 rows: every bit pattern once.
  std::vector<uint16_t> bits(65536);
  for (uint32_t i = 0; i < 65536; ++i) bits[i] = static_cast<uint16_t>(i);
  std::vector<uint16_t> packed(65536);
  pack16Bit(bits.data(), 16, 4096, packed.data());
  for (QWeightFormat format : {QWeightFormat::F16, QWeightFormat::BF16}) {
    QPanelSource source;
    source.format = format;
    source.w = packed.data();
    source.k = 4096;
    for (const auto& variant : supportedDecodeVariants()) {
      std::vector<float> out(65536);
      variant.decode_panel(source, 0, 0, 4096, out.data());
      for (int64_t kk = 0; kk < 4096; ++kk)
        for (int64_t j = 0; j < 16; ++j) {
          const uint16_t b = bits[j * 4096 + kk];
          const float expected = format == QWeightFormat::F16 ? halfToFloat(b) : bfloat16ToFloat(b);
          const float got = out[kk * 16 + j];
          if (std::isnan(expected))
            ASSERT_TRUE(std::isnan(got)) << variant.name << " " << std::hex << b;
          else
            ASSERT_EQ(floatBits(got), floatBits(expected)) << variant.name << " " << std::hex << b;
        }
    }
  }
}

std::vector<float> runDecoded(const QuantizedWeights& w, const std::vector<float>& x, int64_t m,
                              const float* bias, const QDecodeVariant* variant,
                              kernels::Parallel* parallel) {
  AlignedBuffer scratch(linearDecodedScratchFloats(m, w.k, w.n) * sizeof(float));
  std::vector<float> y(m * w.n, -1.0f);
  LinearDecodedArgs args;
  args.x = x.data();
  args.m = m;
  args.k = w.k;
  args.n = w.n;
  args.format = w.format;
  args.w = w.packed.data();
  args.scale = w.panel_scale.data();
  args.group_scale = w.panel_group_scale.data();
  args.group_offset = w.panel_group_offset.data();
  args.group_size = w.group_size;
  args.bias = bias;
  args.y = y.data();
  args.scratch = scratch.floats();
  args.variant = variant;
  linearDecoded(args, parallel);
  return y;
}

// y = x . dense^T + bias in double.
std::vector<float> decodedReference(const QuantizedWeights& w, const std::vector<float>& x,
                                    int64_t m, const float* bias) {
  std::vector<float> w_kn(w.k * w.n);
  for (int64_t c = 0; c < w.n; ++c)
    for (int64_t kk = 0; kk < w.k; ++kk) w_kn[kk * w.n + c] = w.dense[c * w.k + kk];
  return naiveMatmul(x, w_kn, bias, m, w.k, w.n);
}

// Int4 nibble q[c][kk] of the row-major copy.
int int4At(const QuantizedWeights& w, int64_t c, int64_t kk) {
  const uint8_t byte = w.rows[c * ((w.k + 1) / 2) + kk / 2];
  return (kk & 1) ? byte >> 4 : byte & 0xf;
}

// The W4A8 GEMV's result (qgemv_w4a8.h) in double, on x quantized by quantizeW4A8Rows.
std::vector<float> w4a8Reference(const QuantizedWeights& w, const std::vector<float>& x,
                                 int64_t m, const float* bias) {
  AlignedBuffer scratch(w4a8ScratchBytes(m, w.k));
  const W4A8Rows rows = quantizeW4A8Rows(x.data(), w.k, m, w.k, w.group_size, scratch.data());
  std::vector<float> y(m * w.n);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < w.n; ++c) {
      double acc = bias ? bias[c] : 0.0;
      for (int64_t g = 0; g < w.groups; ++g) {
        int64_t dot = 0;
        for (int64_t kk = g * w.group_size; kk < std::min(w.k, (g + 1) * w.group_size); ++kk)
          dot += rows.q[r * w.k + kk] * int4At(w, c, kk);
        const double scale = kernels::cpu::halfToFloat(w.row_group_scale[c * w.groups + g]);
        const double offset = kernels::cpu::halfToFloat(w.row_group_offset[c * w.groups + g]);
        acc += dot * scale * rows.scale[r * w.groups + g] + offset * rows.sum[r * w.groups + g];
      }
      y[r * w.n + c] = static_cast<float>(acc);
    }
  return y;
}

// ||actual - expected|| / ||expected||.
double relativeError(const std::vector<float>& actual, const std::vector<float>& expected) {
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < expected.size(); ++i) {
    diff += (double(actual[i]) - expected[i]) * (double(actual[i]) - expected[i]);
    norm += double(expected[i]) * expected[i];
  }
  return std::sqrt(diff / (norm > 0.0 ? norm : 1.0));
}

// Whether linearDecoded runs these weights as W4A8 (qgemv_w4a8.h) for m rows.
bool takesW4A8(const QuantizedWeights& w, int64_t m) {
  return m <= kDecodedGemvMaxM && w.format == QWeightFormat::Int4 && w.k % kW4A8Step == 0 &&
         w.group_size % kW4A8Step == 0;
}

TEST(QLinearDecoded, EveryFormatVariantAndPathMatchesTheReference) {
  // Up to kDecodedGemvMaxM rows take the GEMV (passes of up to 4 rows; Int4 with k and group
  // a multiple of 16 the W4A8 one, passes of 2), more the decode + fp32 microkernel (K blocks of
  // 256, row blocks of 144).
  static_assert(kDecodedGemvMaxM == 16, "update the cases below");
  const std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t>> cases = {
      // m, k, n, Int4 group size
      {1, 1, 1, 32},       {1, 64, 16, 32},    {2, 300, 33, 32},    {3, 257, 17, 64},
      {4, 128, 100, 128},  {1, 513, 15, 64},   {5, 1, 1, 32},       {6, 300, 33, 128},
      {7, 257, 17, 32},    {13, 64, 100, 64},  {16, 300, 48, 32},   {17, 1, 1, 32},
      {17, 257, 17, 64},   {20, 300, 33, 128}, {70, 513, 15, 128},  {150, 300, 100, 32},
      {1, 768, 40, 64},    {3, 336, 31, 48},   {2, 160, 16, 96},    {1, 16, 5, 16},
  };
  uint32_t seed = 1;
  for (const auto& [m, k, n, group_size] : cases)
    for (QWeightFormat format : kFormats)
      for (bool with_bias : {false, true}) {
        const QuantizedWeights w = makeQuantizedWeights(format, n, k, group_size, seed);
        const auto x = randomFloats(m * k, seed + 1);
        const auto bias = randomFloats(n, seed + 2);
        ++seed;
        const float* b = with_bias ? bias.data() : nullptr;
        const bool w4a8 = takesW4A8(w, m);
        const std::vector<float> expected =
            w4a8 ? w4a8Reference(w, x, m, b) : decodedReference(w, x, m, b);
        for (const auto& variant : supportedDecodeVariants()) {
          SCOPED_TRACE(::testing::Message() << formatName(format) << " " << variant.name << " m "
                                            << m << " k " << k << " n " << n << " group "
                                            << group_size << " bias " << with_bias);
          const std::vector<float> y = runDecoded(w, x, m, b, &variant, nullptr);
          EXPECT_TRUE(allClose(y, expected, 1e-5f));
          // W4A8 differs from the fp32 product only by the int8 activations: up to 1.3% of the
          // output's norm in these cases (k >= 64; k = 16 reaches 1.8%), against about 20% for
          // the int4 weights themselves (bench/RESULTS.md).
          if (w4a8 && k >= 64) {
            EXPECT_LT(relativeError(y, decodedReference(w, x, m, b)), 2e-2);
          }
        }
      }
}

TEST(QLinearDecoded, ZeroKGivesBias) {
  for (int64_t m : {1, 20}) {
    const QuantizedWeights w = makeQuantizedWeights(QWeightFormat::Int8, 5, 0, 32, 1);
    const auto bias = randomFloats(5, 2);
    const std::vector<float> y = runDecoded(w, {}, m, bias.data(), nullptr, nullptr);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t c = 0; c < 5; ++c) EXPECT_EQ(y[i * 5 + c], bias[c]);
  }
}

TEST(QLinearDecoded, ThreadPoolMatchesSerial) {
  rt::ThreadPool pool(3);
  // n = 900: 57 panels, the last of 4 columns, which the GEMV takes in runs of 5.
  for (QWeightFormat format : kFormats)
    for (int64_t n : {100, 900}) {
      const QuantizedWeights w = makeQuantizedWeights(format, n, 513, 64, 4);
      const auto bias = randomFloats(n, 5);
      for (int64_t m : {1, 3, 9, 170}) {
        const auto x = randomFloats(m * 513, 6);
        EXPECT_EQ(runDecoded(w, x, m, bias.data(), nullptr, &pool),
                  runDecoded(w, x, m, bias.data(), nullptr, nullptr))
            << formatName(format) << " n " << n << " m " << m;
      }
    }
}

#ifdef LLMOPT_QKERNELS_X86
// The AVX-512 W4A8 GEMV regroups its weights with byte shuffles and unpacks, or on CPUs with
// AVX512_VBMI with byte permutations: the same bytes reach the same dot products, so the two
// forms agree bit for bit (the variant table holds only the one this CPU runs best).
TEST(QLinearDecoded, W4A8PermutationFormEqualsShuffleFormBitForBit) {
  if (!kernels::cpu::cpuHasAvx512Vbmi()) GTEST_SKIP() << "this CPU has no AVX512_VBMI";
  size_t count = 0;
  const QDecodeVariant* variants = qdecodeVariants(&count);
  const QDecodeVariant* avx512 = nullptr;
  for (size_t i = 0; i < count; ++i)
    if (std::strcmp(variants[i].name, "avx512") == 0) avx512 = &variants[i];
  ASSERT_NE(avx512, nullptr);
  QDecodeVariant shuffles = *avx512, permutations = *avx512;
  shuffles.gemv_w4a8 = kernels::cpu::gemvW4A8PanelAvx512Vnni;
  permutations.gemv_w4a8 = kernels::cpu::gemvW4A8PanelAvx512Vbmi;
  uint32_t seed = 40;
  // m, k, n, group size: one and two rows, partial panels, groups of 16 to 128.
  for (const auto& [m, k, n, group_size] :
       std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t>>{{1, 16, 5, 16},
                                                                   {2, 64, 16, 64},
                                                                   {1, 768, 100, 64},
                                                                   {3, 336, 31, 48},
                                                                   {2, 512, 47, 128}}) {
    const QuantizedWeights w = makeQuantizedWeights(QWeightFormat::Int4, n, k, group_size, seed);
    const auto x = randomFloats(m * k, seed + 1);
    const auto bias = randomFloats(n, seed + 2);
    ++seed;
    ASSERT_TRUE(takesW4A8(w, m));
    EXPECT_EQ(runDecoded(w, x, m, bias.data(), &permutations, nullptr),
              runDecoded(w, x, m, bias.data(), &shuffles, nullptr))
        << "m " << m << " k " << k << " n " << n << " group " << group_size;
  }
}
#endif  // LLMOPT_QKERNELS_X86

// --- 64-bit ARM: the sdot variants and the fallback ---------------------------------------------

#ifdef __aarch64__
template <typename Variant>
const Variant* variantNamed(const Variant* variants, size_t count, const char* name) {
  for (size_t i = 0; i < count; ++i)
    if (std::strcmp(variants[i].name, name) == 0) return &variants[i];
  return nullptr;
}

// The sdot variants run exactly when the kernel reports dot products (Debian's qemu-aarch64 7.2
// has them by default, as with -cpu max; -cpu cortex-a53 does not): otherwise the NEON W8A8 microkernel and the
// portable W4A8 GEMV. LLMOPT_ISA may force a variant the CPU runs, never one it does not.
TEST(ArmVariants, DotProductVariantsFollowTheCpu) {
  const bool dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
  size_t count = 0;
  const QGemmVariant* qgemm = qgemmVariants(&count);
  const QGemmVariant* qgemm_dot = variantNamed(qgemm, count, "neondot");
  const QGemmVariant* qgemm_neon = variantNamed(qgemm, count, "neon");
  ASSERT_NE(qgemm_dot, nullptr);
  ASSERT_NE(qgemm_neon, nullptr);
  EXPECT_EQ(qgemm_dot->supported, dotprod);
  EXPECT_TRUE(qgemm_neon->supported);
  const QDecodeVariant* decode = qdecodeVariants(&count);
  const QDecodeVariant* decode_dot = variantNamed(decode, count, "neondot");
  ASSERT_NE(decode_dot, nullptr);
  EXPECT_EQ(decode_dot->supported, dotprod);

  const char* best_qgemm = dotprod ? "neondot" : "neon";
  const char* best_decode = dotprod ? "neondot" : "portable";
  if (forcedQIsa() == QIsa::Neon) best_qgemm = "neon";
  if (forcedQIsa() == QIsa::Scalar) {
    best_qgemm = "scalar";
    best_decode = "portable";
  }
  EXPECT_STREQ(bestQGemmVariant().name, best_qgemm);
  EXPECT_STREQ(bestQDecodeVariant().name, best_decode);
}
#endif  // __aarch64__

}  // namespace
}  // namespace llmopt::testing
