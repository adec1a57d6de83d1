#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <tuple>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/gemm.h"
#include "kernels/cpu/generic/pack_a.h"
#include "kernels/cpu/generic/pack_b.h"
#include "kernels/cpu/generic/qisa.h"
#include "thread_pool.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::BLayout;
using kernels::cpu::GemmArgs;
using kernels::cpu::GemmMicrokernelVariant;
using kernels::cpu::gemmF32;
using kernels::cpu::gemmMicrokernelVariants;
using kernels::cpu::gemmScratchFloats;
using kernels::cpu::packARows;
using kernels::cpu::packedAFloats;
using kernels::cpu::packWeightsN16;
using kernels::cpu::panelCount;

struct AlignedFloats {
  explicit AlignedFloats(size_t count)
      : data(static_cast<float*>(std::aligned_alloc(64, ((count * 4 + 63) / 64 + 1) * 64))) {}
  ~AlignedFloats() { std::free(data); }
  float* data;
};

// (M, N, K): odd sizes around the block sizes (MR 6 and 12, panels of 16 taken 1 or 2 at a
// time, 4 per task, MC 132, KC 256).
const std::vector<std::tuple<int64_t, int64_t, int64_t>> kSizes = {
    {1, 1, 1},     {1, 16, 1},   {7, 5, 3},     {6, 16, 256},  {13, 17, 257},
    {5, 3, 1},     {73, 33, 19}, {2, 100, 513}, {144, 48, 64}, {1, 1000, 7},
    {31, 15, 600}, {6, 32, 2},   {0, 5, 3},     {4, 0, 3},     {12, 32, 9},
    {11, 31, 5},   {25, 47, 33}, {12, 80, 300}, {71, 65, 2},   {128, 96, 768},
    // Every tail of a 12-row block (the AVX-512 variant splits them into 8, 4, 2 and 1 rows).
    {3, 33, 31},   {9, 17, 8},   {10, 40, 20},
};

void checkGemm(const GemmMicrokernelVariant& variant, BLayout layout, bool with_bias,
               bool accumulate, int64_t m, int64_t n, int64_t k, kernels::Parallel* parallel,
               int64_t lda_pad = 0, int64_t ldc_pad = 0) {
  SCOPED_TRACE(::testing::Message()
               << variant.name << (layout == BLayout::KN ? " KN" : " PackedN16") << " bias "
               << with_bias << " acc " << accumulate << " m " << m << " n " << n << " k " << k);
  const uint32_t seed = static_cast<uint32_t>(m * 131 + n * 17 + k);
  const int64_t lda = k + lda_pad, ldc = n + ldc_pad;
  auto a = randomFloats(m * lda, seed);
  auto b = randomFloats(k * n, seed + 1);
  auto bias = randomFloats(n, seed + 2);
  auto c0 = randomFloats(m * ldc, seed + 3);

  std::vector<float> a_dense(m * k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) a_dense[i * k + p] = a[i * lda + p];
  auto expected = naiveMatmul(a_dense, b, with_bias ? bias.data() : nullptr, m, k, n);
  if (accumulate)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) expected[i * n + j] += c0[i * ldc + j];

  std::vector<float> packed(panelCount(n) * k * 16 + 1);
  if (layout == BLayout::PackedN16) packWeightsN16(b.data(), k, n, packed.data());
  AlignedFloats scratch(gemmScratchFloats(m, n, k, layout));

  std::vector<float> c = c0;
  GemmArgs g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a.data();
  g.lda = lda;
  g.b = layout == BLayout::KN ? b.data() : packed.data();
  g.b_layout = layout;
  g.ldb = n;
  g.bias = with_bias ? bias.data() : nullptr;
  g.c = c.data();
  g.ldc = ldc;
  g.accumulate = accumulate;
  g.scratch = scratch.data;
  g.variant = &variant;
  gemmF32(g, parallel);

  std::vector<float> got(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) got[i * n + j] = c[i * ldc + j];
  EXPECT_TRUE(allClose(got, expected, 2e-5f));
  // Padding columns of C are left alone.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = n; j < ldc; ++j) ASSERT_EQ(c[i * ldc + j], c0[i * ldc + j]);
}

std::vector<GemmMicrokernelVariant> supportedVariants() {
  size_t count;
  const GemmMicrokernelVariant* variants = gemmMicrokernelVariants(&count);
  std::vector<GemmMicrokernelVariant> supported;
  for (size_t i = 0; i < count; ++i)
    if (variants[i].supported) supported.push_back(variants[i]);
  return supported;
}

TEST(Gemm, EveryVariantLayoutBiasAndSize) {
  for (const auto& variant : supportedVariants())
    for (BLayout layout : {BLayout::PackedN16, BLayout::KN})
      for (bool bias : {false, true})
        for (const auto& [m, n, k] : kSizes) checkGemm(variant, layout, bias, false, m, n, k,
                                                       nullptr);
}

TEST(Gemm, AccumulateAndStrides) {
  for (const auto& variant : supportedVariants())
    for (BLayout layout : {BLayout::PackedN16, BLayout::KN}) {
      checkGemm(variant, layout, true, true, 13, 17, 300, nullptr);
      checkGemm(variant, layout, false, true, 7, 40, 5, nullptr, 3, 5);
      checkGemm(variant, layout, true, false, 9, 21, 260, nullptr, 1, 2);
    }
}

#ifdef __aarch64__
// NEON is part of armv8-a: its variant runs on every 64-bit ARM CPU unless LLMOPT_ISA=scalar.
TEST(Gemm, NeonVariantRunsOnEveryArmCpu) {
  const std::vector<GemmMicrokernelVariant> supported = supportedVariants();
  ASSERT_GE(supported.size(), 2u);
  EXPECT_STREQ(supported[0].name, "neon");
  const bool forced_scalar = kernels::cpu::forcedQIsa() == kernels::cpu::QIsa::Scalar;
  EXPECT_STREQ(kernels::cpu::bestGemmMicrokernel().name, forced_scalar ? "baseline" : "neon");
}
#endif

TEST(Gemm, ZeroKGivesBias) {
  for (bool accumulate : {false, true})
    checkGemm(kernels::cpu::bestGemmMicrokernel(), BLayout::KN, true, accumulate, 3, 5, 0,
              nullptr);
}

TEST(Gemm, ThreadPoolMatchesSerial) {
  rt::ThreadPool pool(3);
  for (BLayout layout : {BLayout::PackedN16, BLayout::KN})
    for (const auto& [m, n, k] : kSizes)
      checkGemm(kernels::cpu::bestGemmMicrokernel(), layout, true, false, m, n, k, &pool);
  checkGemm(kernels::cpu::bestGemmMicrokernel(), BLayout::KN, true, false, 300, 260, 700, &pool);
}

TEST(Gemm, PackWeightsN16Layout) {
  // B[k][n] = 100 k + n; panel p holds columns [16p, 16p + 16), zero-padded.
  const int64_t k = 3, n = 20;
  std::vector<float> b(k * n);
  for (int64_t r = 0; r < k; ++r)
    for (int64_t j = 0; j < n; ++j) b[r * n + j] = static_cast<float>(100 * r + j);
  std::vector<float> packed(panelCount(n) * k * 16, -1.0f);
  packWeightsN16(b.data(), k, n, packed.data());
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t r = 0; r < k; ++r)
      for (int64_t j = 0; j < 16; ++j) {
        const int64_t col = p * 16 + j;
        EXPECT_EQ(packed[(p * k + r) * 16 + j], col < n ? b[r * n + col] : 0.0f);
      }
}

TEST(Gemm, PackARowsLayout) {
  // A[i][p] = 100 i + p, row stride 9; blocks of mr rows, each [k][rows], the last one shorter.
  const int64_t m = 14, k = 5, lda = 9;
  std::vector<float> a(m * lda, -1.0f);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) a[i * lda + p] = static_cast<float>(100 * i + p);
  for (int mr : {12, 6, 4, 1}) {
    SCOPED_TRACE(mr);
    ASSERT_EQ(packedAFloats(m, k), static_cast<size_t>(m * k));
    std::vector<float> packed(packedAFloats(m, k) + 1, -7.0f);
    rt::ThreadPool pool(2);
    packARows(a.data(), lda, m, k, mr, packed.data(), &pool);
    for (int64_t i = 0; i < m; ++i) {
      const int64_t block = i / mr, rows = std::min<int64_t>(mr, m - block * mr);
      for (int64_t p = 0; p < k; ++p)
        EXPECT_EQ(packed[block * mr * k + p * rows + i % mr], a[i * lda + p]);
    }
    EXPECT_EQ(packed[m * k], -7.0f);  // nothing past the rows
  }
}

// A variant's own block packing (pack_block) lays out the same as the generic one, for column
// counts around its vector width and with a short last block.
TEST(Gemm, PackARowsVariantBlocksMatchLayout) {
  size_t count = 0;
  const kernels::cpu::GemmMicrokernelVariant* variants =
      kernels::cpu::gemmMicrokernelVariants(&count);
  int tested = 0;
  for (size_t v = 0; v < count; ++v) {
    const auto& variant = variants[v];
    if (!variant.pack_block || !variant.supported) continue;
    ++tested;
    for (int64_t k : {1, 5, 15, 16, 17, 40, 256}) {
      SCOPED_TRACE(::testing::Message() << variant.name << " k " << k);
      const int64_t m = 2 * variant.mr + 3, lda = k + 3;
      std::vector<float> a(m * lda, -1.0f);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t p = 0; p < k; ++p) a[i * lda + p] = static_cast<float>(1000 * i + p);
      std::vector<float> packed(packedAFloats(m, k) + 16, -7.0f);
      packARows(a.data(), lda, m, k, variant.mr, packed.data(), nullptr, variant.pack_block);
      for (int64_t i = 0; i < m; ++i) {
        const int64_t block = i / variant.mr;
        const int64_t rows = std::min<int64_t>(variant.mr, m - block * variant.mr);
        for (int64_t p = 0; p < k; ++p)
          ASSERT_EQ(packed[block * variant.mr * k + p * rows + i % variant.mr], a[i * lda + p])
              << "row " << i << " column " << p;
      }
      for (size_t i = m * k; i < packed.size(); ++i) ASSERT_EQ(packed[i], -7.0f);
    }
  }
  if (tested == 0) GTEST_SKIP() << "no variant with its own packing runs on this CPU";
}

}  // namespace
}  // namespace llmopt::testing
