#include <gtest/gtest.h>

#include <cstdlib>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/broadcast.h"
#include "kernels/cpu/generic/linear.h"
#include "kernels/cpu/generic/matmul.h"
#include "kernels/cpu/generic/pack_b.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::BLayout;

TEST(LinearKernel, BothLayoutsWithAndWithoutBias) {
  const std::vector<std::tuple<int64_t, int64_t, int64_t>> sizes = {
      {1, 1, 1}, {5, 7, 3}, {12, 16, 64}, {33, 40, 300}, {2, 3, 1}};
  for (const auto& [m, n, k] : sizes)
    for (BLayout layout : {BLayout::KN, BLayout::PackedN16})
      for (bool with_bias : {false, true}) {
        SCOPED_TRACE(::testing::Message() << m << "x" << n << "x" << k);
        auto x = randomFloats(m * k, 1);
        auto w = randomFloats(k * n, 2);
        auto bias = randomFloats(n, 3);
        std::vector<float> packed(kernels::cpu::panelCount(n) * 16 * k);
        kernels::cpu::packWeightsN16(w.data(), k, n, packed.data());
        std::vector<float> scratch(kernels::cpu::linearScratchFloats(m, n, k, layout) + 16);
        std::vector<float> y(m * n, 123.0f);
        kernels::cpu::LinearArgs args;
        args.x = x.data();
        args.m = m;
        args.k = k;
        args.n = n;
        args.w = layout == BLayout::KN ? w.data() : packed.data();
        args.w_layout = layout;
        args.bias = with_bias ? bias.data() : nullptr;
        args.y = y.data();
        args.scratch = scratch.data();
        kernels::cpu::linearF32(args);
        EXPECT_TRUE(allClose(y, naiveMatmul(x, w, args.bias, m, k, n), 2e-5f));
      }
}

// numpy.matmul, element by element.
std::vector<float> naiveNumpyMatmul(const std::vector<float>& a, Shape as,
                                    const std::vector<float>& b, Shape bs, Shape* ys) {
  const bool drop_m = as.rank == 1, drop_n = bs.rank == 1;
  if (drop_m) as = Shape{1, as.dims[0]};
  if (drop_n) bs = Shape{bs.dims[0], 1};
  Shape a_batch, b_batch, y_batch;
  a_batch.rank = as.rank - 2;
  b_batch.rank = bs.rank - 2;
  for (int d = 0; d < a_batch.rank; ++d) a_batch.dims[d] = as.dims[d];
  for (int d = 0; d < b_batch.rank; ++d) b_batch.dims[d] = bs.dims[d];
  EXPECT_TRUE(kernels::cpu::broadcastShapes(a_batch, b_batch, &y_batch));
  const int64_t m = as.dims[as.rank - 2], k = as.back(), n = bs.back();
  Shape full = y_batch;
  full.dims[full.rank++] = m;
  full.dims[full.rank++] = n;
  std::vector<float> y(full.elements());
  forEachIndex(full, [&](const int64_t* index) {
    int64_t ai[kernels::kMaxRank], bi[kernels::kMaxRank];
    for (int d = 0; d < a_batch.rank; ++d)
      ai[d] = a_batch.dims[d] == 1 ? 0 : index[y_batch.rank - a_batch.rank + d];
    for (int d = 0; d < b_batch.rank; ++d)
      bi[d] = b_batch.dims[d] == 1 ? 0 : index[y_batch.rank - b_batch.rank + d];
    double sum = 0;
    for (int64_t p = 0; p < k; ++p) {
      ai[as.rank - 2] = index[full.rank - 2];
      ai[as.rank - 1] = p;
      bi[bs.rank - 2] = p;
      bi[bs.rank - 1] = index[full.rank - 1];
      sum += double(a[flatIndex(as, ai)]) * double(b[flatIndex(bs, bi)]);
    }
    y[flatIndex(full, index)] = static_cast<float>(sum);
  });
  *ys = y_batch;
  if (!drop_m) ys->dims[ys->rank++] = m;
  if (!drop_n) ys->dims[ys->rank++] = n;
  return y;
}

TEST(MatMulKernel, NumpySemantics) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {Shape{3, 4}, Shape{4, 5}},
      {Shape{2, 3, 4}, Shape{4, 5}},
      {Shape{4, 5}, Shape{2, 5, 3}},
      {Shape{3, 1, 4, 5}, Shape{2, 5, 6}},
      {Shape{2, 1, 7, 9}, Shape{1, 3, 9, 17}},
      {Shape{4}, Shape{4, 5}},
      {Shape{2, 3, 4}, Shape{4}},
      {Shape{4}, Shape{4}},
      {Shape{5}, Shape{2, 5, 3}},
      {Shape{1, 300}, Shape{300, 20}},
      {Shape{2, 0, 4}, Shape{4, 3}},
  };
  uint32_t seed = 17;
  for (const auto& [as, bs] : cases) {
    SCOPED_TRACE(::testing::Message() << "case " << seed);
    auto a = randomFloats(as.elements(), seed++);
    auto b = randomFloats(bs.elements(), seed++);
    Shape expected_shape, shape;
    auto expected = naiveNumpyMatmul(a, as, b, bs, &expected_shape);
    ASSERT_TRUE(kernels::cpu::matmulShape(as, bs, &shape));
    ASSERT_EQ(shape, expected_shape);
    std::vector<float> y(shape.elements(), -5.0f);
    std::vector<float> scratch(kernels::cpu::matmulScratchFloats(as, bs) + 16);
    kernels::cpu::matmulF32(a.data(), as, b.data(), bs, y.data(), scratch.data());
    EXPECT_TRUE(allClose(y, expected, 2e-5f));
  }
}

TEST(MatMulKernel, RejectsBadShapes) {
  Shape y;
  EXPECT_FALSE(kernels::cpu::matmulShape(Shape{3, 4}, Shape{5, 6}, &y));
  EXPECT_FALSE(kernels::cpu::matmulShape(Shape{2, 3, 4}, Shape{3, 4, 5}, &y));
  EXPECT_FALSE(kernels::cpu::matmulShape(Shape{}, Shape{4, 5}, &y));
  EXPECT_FALSE(kernels::cpu::matmulShape(Shape{4}, Shape{5}, &y));
}

}  // namespace
}  // namespace llmopt::testing
