#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/copy.h"
#include "kernels/cpu/generic/transpose.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::copyBytes;
using kernels::cpu::transpose;
using kernels::cpu::transposedShape;

std::vector<uint8_t> randomBytes(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(count);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

void checkTranspose(const Shape& x_shape, const int* perm, size_t elem_size, uint32_t seed) {
  const Shape y_shape = transposedShape(x_shape, perm);
  auto x = randomBytes(x_shape.elements() * elem_size, seed);
  std::vector<uint8_t> y(x.size(), 0xAB), expected(x.size());
  forEachIndex(y_shape, [&](const int64_t* y_index) {
    int64_t x_index[kernels::kMaxRank];
    for (int d = 0; d < x_shape.rank; ++d) x_index[perm[d]] = y_index[d];
    std::memcpy(&expected[flatIndex(y_shape, y_index) * elem_size],
                &x[flatIndex(x_shape, x_index) * elem_size], elem_size);
  });
  transpose(x.data(), x_shape, perm, elem_size, y.data());
  EXPECT_EQ(y, expected);
}

TEST(TransposeKernel, EveryPermutationUpToRank4) {
  const std::vector<Shape> shapes = {Shape{5}, Shape{3, 7}, Shape{2, 3, 5}, Shape{2, 3, 1, 4}};
  uint32_t seed = 11;
  for (const Shape& shape : shapes) {
    int perm[kernels::kMaxRank];
    std::iota(perm, perm + shape.rank, 0);
    do {
      for (size_t elem_size : {1, 2, 4, 8, 3}) checkTranspose(shape, perm, elem_size, seed++);
    } while (std::next_permutation(perm, perm + shape.rank));
  }
}

TEST(TransposeKernel, RandomRank8AndEmpty) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    Shape shape;
    shape.rank = 8;
    for (int d = 0; d < 8; ++d) shape.dims[d] = 1 + rng() % 3;
    int perm[8];
    std::iota(perm, perm + 8, 0);
    std::shuffle(perm, perm + 8, rng);
    checkTranspose(shape, perm, 4, 100 + trial);
  }
  const int perm[2] = {1, 0};
  checkTranspose(Shape{0, 3}, perm, 4, 1);
  checkTranspose(Shape{}, perm, 4, 1);
}

TEST(CopyKernel, CopiesBytes) {
  auto x = randomBytes(1003, 2);
  std::vector<uint8_t> y(x.size());
  copyBytes(x.data(), y.data(), x.size());
  EXPECT_EQ(x, y);
  copyBytes(x.data(), x.data(), x.size());  // same buffer: no-op
  EXPECT_EQ(x, y);
}

}  // namespace
}  // namespace llmopt::testing
