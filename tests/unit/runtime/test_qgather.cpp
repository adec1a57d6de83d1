#include <gtest/gtest.h>

#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/qgather.h"
#include "qtest_util.h"
#include "thread_pool.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::GatherDecodedArgs;
using kernels::cpu::gatherDecoded;
using kernels::cpu::QWeightFormat;

const QWeightFormat kFormats[] = {QWeightFormat::Int8, QWeightFormat::Int4, QWeightFormat::F16,
                                  QWeightFormat::BF16};

GatherDecodedArgs gatherArgs(const QuantizedWeights& table, float* y) {
  GatherDecodedArgs args;
  args.format = table.format;
  args.table = table.rows.data();
  args.row_scale = table.row_scale.data();
  args.group_scale = table.row_group_scale.data();
  args.group_offset = table.row_group_offset.data();
  args.group_size = table.group_size;
  args.rows = table.n;
  args.dim = table.k;
  args.y = y;
  return args;
}

// Runs the gather with i64 and i32 indices, serially and on a pool, and checks each against the
// table's decoded rows.
void checkGather(const QuantizedWeights& table, const std::vector<int64_t>& indices) {
  const int64_t dim = table.k, count = static_cast<int64_t>(indices.size());
  std::vector<float> expected(count * dim);
  for (int64_t j = 0; j < count; ++j) {
    const int64_t row = indices[j] < 0 ? indices[j] + table.n : indices[j];
    for (int64_t c = 0; c < dim; ++c) expected[j * dim + c] = table.dense[row * dim + c];
  }
  const std::vector<int32_t> indices32(indices.begin(), indices.end());
  rt::ThreadPool pool(3);
  for (bool i64 : {true, false})
    for (kernels::Parallel* parallel : {static_cast<kernels::Parallel*>(nullptr),
                                        static_cast<kernels::Parallel*>(&pool)}) {
      SCOPED_TRACE(::testing::Message() << formatName(table.format) << " dim " << dim << " i64 "
                                        << i64 << " pool " << (parallel != nullptr));
      std::vector<float> y(count * dim, -1.0f);
      GatherDecodedArgs args = gatherArgs(table, y.data());
      args.indices = i64 ? static_cast<const void*>(indices.data()) : indices32.data();
      args.indices_i64 = i64;
      args.count = count;
      int64_t bad = 0;
      ASSERT_TRUE(gatherDecoded(args, &bad, parallel));
      EXPECT_EQ(y, expected);
    }
}

TEST(QGatherDecoded, EveryFormatWithNegativeIndices) {
  for (QWeightFormat format : kFormats)
    for (int64_t dim : {1, 7, 16, 37, 200}) {
      // Int4 groups of 16 leave a short last group for dims 7, 37 and 200.
      const QuantizedWeights table = makeQuantizedWeights(format, 50, dim, 16, 17);
      checkGather(table, {0, 49, -1, -50, 3, 3, 25, -7});
    }
}

TEST(QGatherDecoded, Int4GroupSizes) {
  for (int64_t group_size : {32, 64, 128})
    for (int64_t dim : {64, 100, 129, 300})
      checkGather(makeQuantizedWeights(QWeightFormat::Int4, 20, dim, group_size, 3),
                  {19, 0, -20, 7});
}

TEST(QGatherDecoded, ManyRowsOnThePool) {
  // Enough rows for the pool to split the work.
  std::vector<int64_t> indices;
  for (int64_t j = 0; j < 400; ++j) indices.push_back((j * 37) % 300 - 150);
  for (QWeightFormat format : kFormats)
    checkGather(makeQuantizedWeights(format, 300, 256, 64, 5), indices);
}

TEST(QGatherDecoded, OutOfRangeIndexWritesNothing) {
  const QuantizedWeights table = makeQuantizedWeights(QWeightFormat::Int4, 10, 9, 4, 1);
  for (int64_t bad_value : {10, -11, 1000})
    for (bool i64 : {true, false}) {
      const std::vector<int64_t> indices = {0, 9, bad_value, 1};
      const std::vector<int32_t> indices32(indices.begin(), indices.end());
      std::vector<float> y(4 * 9, -1.0f);
      GatherDecodedArgs args = gatherArgs(table, y.data());
      args.indices = i64 ? static_cast<const void*>(indices.data()) : indices32.data();
      args.indices_i64 = i64;
      args.count = 4;
      int64_t bad = 0;
      EXPECT_FALSE(gatherDecoded(args, &bad));
      EXPECT_EQ(bad, bad_value);
      EXPECT_EQ(y, std::vector<float>(4 * 9, -1.0f));
    }
}

TEST(QGatherDecoded, EmptyIndicesAndRows) {
  const QuantizedWeights table = makeQuantizedWeights(QWeightFormat::F16, 4, 8, 0, 1);
  GatherDecodedArgs args = gatherArgs(table, nullptr);
  int64_t bad = 0;
  EXPECT_TRUE(gatherDecoded(args, &bad));  // no indices
  const int64_t index = 0;
  args.rows = 0;
  args.indices = &index;
  args.count = 1;
  EXPECT_FALSE(gatherDecoded(args, &bad));  // no rows to pick from
  EXPECT_EQ(bad, 0);
}

}  // namespace
}  // namespace llmopt::testing
