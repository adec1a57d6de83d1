#include <gtest/gtest.h>

#include <cstdint>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/broadcast.h"
#include "kernels/cpu/generic/expand.h"
#include "kernels/cpu/generic/slice.h"
#include "kernels/cpu/generic/where.h"

namespace llmopt::testing {
namespace {

// Index of `in` (right-aligned, size-1 dims broadcast) for output index `index` of rank `rank`.
int64_t broadcastIndex(const Shape& in, int rank, const int64_t* index) {
  int64_t i[kernels::kMaxRank];
  for (int d = 0; d < in.rank; ++d) i[d] = in.dims[d] == 1 ? 0 : index[rank - in.rank + d];
  return flatIndex(in, i);
}

template <class T>
void checkSlice(const Shape& xs, std::vector<int64_t> starts, std::vector<int64_t> steps,
                const Shape& ys, ThreadPoolForTests* pool = nullptr) {
  SCOPED_TRACE(::testing::Message() << "rank " << xs.rank << " elem " << sizeof(T));
  std::vector<T> x(xs.elements());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(i * 7 + 1);
  std::vector<T> y(ys.elements()), expected(ys.elements());
  forEachIndex(ys, [&](const int64_t* index) {
    int64_t src[kernels::kMaxRank];
    for (int d = 0; d < xs.rank; ++d) src[d] = starts[d] + index[d] * steps[d];
    expected[flatIndex(ys, index)] = x[flatIndex(xs, src)];
  });
  kernels::cpu::slice(x.data(), xs, starts.data(), steps.data(), sizeof(T), y.data(), ys, pool);
  EXPECT_EQ(y, expected);
}

TEST(SliceKernel, StridedAndReversed) {
  checkSlice<float>(Shape{10}, {2}, {3}, Shape{3});                       // 2, 5, 8
  checkSlice<float>(Shape{10}, {9}, {-1}, Shape{10});                     // reversed
  checkSlice<int64_t>(Shape{4, 6, 5}, {1, 0, 0}, {1, 1, 1}, Shape{2, 6, 5});  // rows
  checkSlice<int64_t>(Shape{4, 6, 5}, {0, 5, 0}, {1, -2, 1}, Shape{4, 3, 5});
  checkSlice<uint8_t>(Shape{3, 7, 2}, {2, 1, 1}, {-1, 2, 1}, Shape{3, 3, 1});
  checkSlice<uint16_t>(Shape{5, 5}, {4, 4}, {-1, -1}, Shape{5, 5});
  checkSlice<float>(Shape{2, 300}, {0, 299}, {1, 1}, Shape{2, 1});        // x[:, -1]
  checkSlice<float>(Shape{3, 4}, {0, 0}, {1, 1}, Shape{0, 4});            // empty
  checkSlice<float>(Shape{}, {}, {}, Shape{});                            // a scalar
  checkSlice<float>(Shape{3, 4}, {1, 2}, {INT64_MAX, 1}, Shape{1, 2});   // one step never taken
  ThreadPoolForTests pool(4);
  checkSlice<float>(Shape{64, 512, 9}, {0, 1, 0}, {1, 2, 1}, Shape{64, 255, 9}, &pool);
}

template <class T>
void checkExpand(const Shape& xs, const Shape& ys, ThreadPoolForTests* pool = nullptr) {
  std::vector<T> x(xs.elements());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(i + 1);
  std::vector<T> y(ys.elements()), expected(ys.elements());
  forEachIndex(ys, [&](const int64_t* index) {
    expected[flatIndex(ys, index)] = x[broadcastIndex(xs, ys.rank, index)];
  });
  kernels::cpu::expand(x.data(), xs, sizeof(T), y.data(), ys, pool);
  EXPECT_EQ(y, expected);
}

TEST(ExpandKernel, Broadcasts) {
  checkExpand<float>(Shape{3, 1}, Shape{2, 3, 4});
  checkExpand<int64_t>(Shape{1}, Shape{5});
  checkExpand<uint8_t>(Shape{}, Shape{2, 2});
  checkExpand<int32_t>(Shape{4}, Shape{3, 4});
  checkExpand<float>(Shape{2, 3}, Shape{2, 3});
  checkExpand<float>(Shape{1, 3}, Shape{0, 3});
  ThreadPoolForTests pool(4);
  checkExpand<float>(Shape{1, 1, 257, 257}, Shape{3, 2, 257, 257}, &pool);
}

template <class T>
void checkWhere(const Shape& cs, const Shape& xs, const Shape& ys,
                ThreadPoolForTests* pool = nullptr) {
  Shape os, tmp;
  ASSERT_TRUE(kernels::cpu::broadcastShapes(cs, xs, &tmp));
  ASSERT_TRUE(kernels::cpu::broadcastShapes(tmp, ys, &os));
  std::vector<uint8_t> c(cs.elements());
  for (size_t i = 0; i < c.size(); ++i) c[i] = (i * 5 + 1) % 3 == 0;
  std::vector<T> x(xs.elements()), y(ys.elements());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(i + 1);
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<T>(1000 + i);
  std::vector<T> out(os.elements()), expected(os.elements());
  forEachIndex(os, [&](const int64_t* index) {
    expected[flatIndex(os, index)] = c[broadcastIndex(cs, os.rank, index)]
                                         ? x[broadcastIndex(xs, os.rank, index)]
                                         : y[broadcastIndex(ys, os.rank, index)];
  });
  kernels::cpu::where(c.data(), cs, x.data(), xs, y.data(), ys, sizeof(T), out.data(), os, pool);
  EXPECT_EQ(out, expected);
}

TEST(WhereKernel, BroadcastsAllThree) {
  checkWhere<float>(Shape{4}, Shape{4}, Shape{4});
  checkWhere<float>(Shape{1, 1, 5, 5}, Shape{2, 3, 5, 5}, Shape{});  // masked_fill
  checkWhere<int64_t>(Shape{3, 1}, Shape{1, 4}, Shape{3, 4});
  checkWhere<uint8_t>(Shape{2, 1, 3}, Shape{3}, Shape{4, 1});
  checkWhere<uint16_t>(Shape{}, Shape{2}, Shape{2});
  ThreadPoolForTests pool(4);
  checkWhere<float>(Shape{1, 1, 200, 200}, Shape{2, 4, 200, 200}, Shape{}, &pool);
}

}  // namespace
}  // namespace llmopt::testing
