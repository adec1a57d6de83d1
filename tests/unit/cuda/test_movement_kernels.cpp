// CUDA data movement kernels on HostExec and on the emulated warps: strided copy (transpose,
// negative-step slice, expand) for every word size, concat (with an empty input), gather and the
// quantized-table gather (every format, int32/int64 indices, out-of-range faults), against the
// CPU kernels or plain loops.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/concat.h"
#include "kernels/cpu/generic/gather.h"
#include "kernels/cpu/generic/qfloat16.h"
#include "kernels/cpu/generic/qgather.h"

namespace llmopt::cuda_test {
namespace {

namespace cpu = llmopt::kernels::cpu;

template <class T>
class CudaStridedCopy : public ::testing::Test {};
template <int kBytes>
struct WordSize {
  static constexpr int value = kBytes;
};
using WordSizes = ::testing::Types<WordSize<1>, WordSize<2>, WordSize<4>, WordSize<8>>;
class WordSizeNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::to_string(T::value) + "Bytes";
  }
};
TYPED_TEST_SUITE(CudaStridedCopy, WordSizes, WordSizeNames);

// x [2,3,4,5] transposed by perm (3,1,0,2).
TYPED_TEST(CudaStridedCopy, Transpose) {
  constexpr int kBytes = TypeParam::value;
  using W = typename cu::Word<kBytes>::type;
  const Dims in_dims{2, 3, 4, 5};
  std::vector<W> x(120);
  for (int i = 0; i < 120; ++i) x[i] = static_cast<W>(i * 37 + 1);
  const auto s = contiguousStrides(in_dims);
  const int perm[4] = {3, 1, 0, 2};
  Dims out_dims(4);
  for (int d = 0; d < 4; ++d) out_dims[d] = in_dims[perm[d]];
  std::vector<W> want(120), got(120);
  for (int i0 = 0; i0 < out_dims[0]; ++i0)
    for (int i1 = 0; i1 < out_dims[1]; ++i1)
      for (int i2 = 0; i2 < out_dims[2]; ++i2)
        for (int i3 = 0; i3 < out_dims[3]; ++i3) {
          const int64_t o = ((i0 * out_dims[1] + i1) * out_dims[2] + i2) * out_dims[3] + i3;
          want[o] = x[i0 * s[3] + i1 * s[1] + i2 * s[0] + i3 * s[2]];
        }
  Args args;
  args.out(got.data(), out_dims);
  args.in(x.data(), in_dims);
  for (int d = 0; d < 4; ++d) args.a.view[0].strides[d] = s[perm[d]];
  runOnBothExecutors(
      [&](auto ex) { cu::stridedCopy<kBytes>(ex, args.a); },
      [&](const char* exec) { EXPECT_TRUE(valuesEqual(got, want)) << "on " << exec; });
}

// x[1, 0:3:2, 3:0:-1, 1::2]: shape [2, 3, 2], an offset and a negative stride.
TYPED_TEST(CudaStridedCopy, SliceWithStepsAndOffset) {
  constexpr int kBytes = TypeParam::value;
  using W = typename cu::Word<kBytes>::type;
  const Dims in_dims{2, 3, 4, 5}, sl_dims{2, 3, 2};
  std::vector<W> x(120);
  for (int i = 0; i < 120; ++i) x[i] = static_cast<W>(i * 37 + 1);
  const auto s = contiguousStrides(in_dims);
  std::vector<W> want(12), got(12);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 2; ++c)
        want[(a * 3 + b) * 2 + c] = x[1 * s[0] + (2 * a) * s[1] + (3 - b) * s[2] + (1 + 2 * c)];
  Args args;
  args.out(got.data(), sl_dims);
  args.in(x.data(), in_dims);
  args.a.view[0] = {};
  args.a.view[0].offset = s[0] + 3 * s[2] + 1;
  args.a.view[0].strides[0] = 2 * s[1], args.a.view[0].strides[1] = -s[2];
  args.a.view[0].strides[2] = 2;
  runOnBothExecutors(
      [&](auto ex) { cu::stridedCopy<kBytes>(ex, args.a); },
      [&](const char* exec) { EXPECT_TRUE(valuesEqual(got, want)) << "on " << exec; });
}

// [3, 1] -> [2, 3, 4].
TYPED_TEST(CudaStridedCopy, Expand) {
  constexpr int kBytes = TypeParam::value;
  using W = typename cu::Word<kBytes>::type;
  std::vector<W> e{1, 2, 3}, want(24), got(24);
  for (int i = 0; i < 24; ++i) want[i] = e[(i / 4) % 3];
  Args args;
  args.out(got.data(), {2, 3, 4});
  args.in(e.data(), {3, 1});
  runOnBothExecutors(
      [&](auto ex) { cu::stridedCopy<kBytes>(ex, args.a); },
      [&](const char* exec) { EXPECT_TRUE(valuesEqual(got, want)) << "on " << exec; });
}

// Four inputs along axis 1, one of them empty (null data).
TEST(CudaConcat, FourInputsOneEmpty) {
  const Dims d0{2, 3, 5}, d1{2, 1, 5}, d2{2, 4, 5}, d3{2, 0, 5}, out{2, 8, 5};
  auto a = randomFloats(30), b = randomFloats(10), c = randomFloats(40);
  std::vector<float> want(80), got(80);
  cpu::ConcatInput inputs[4] = {{a.data(), 3}, {b.data(), 1}, {nullptr, 0}, {c.data(), 4}};
  cpu::concat(inputs, 4, 2, 5, 4, want.data());
  Args args;
  args.out(got.data(), out);
  args.in(a.data(), d0);
  args.in(b.data(), d1);
  args.in(nullptr, d3);
  args.in(c.data(), d2);
  // The views' offsets are each input's start along the axis.
  args.a.view[0].offset = 0, args.a.view[1].offset = 3, args.a.view[2].offset = 4;
  args.a.view[3].offset = 4;
  runOnBothExecutors(
      [&](auto ex) { cu::concat<4>(ex, args.a, 1); },
      [&](const char* exec) { EXPECT_TRUE(floatsMatch(got, want, -1)) << "on " << exec; });
}

// data [4, 6, 3] int64 gathered along `axis` by [2, 3] indices (negative ones included); then an
// index out of range must raise the fault flag.
template <class Index>
void checkGather(int axis) {
  const Dims data_dims{4, 6, 3}, idx_dims{2, 3};
  std::vector<int64_t> data(72);
  for (int i = 0; i < 72; ++i) data[i] = i * 11 - 5;
  const int64_t dim = data_dims[axis];
  std::vector<Index> idx(6);
  for (auto& v : idx) v = static_cast<Index>(randomInt(-dim, dim - 1));
  Dims out_dims;
  for (int d = 0; d < axis; ++d) out_dims.push_back(data_dims[d]);
  out_dims.push_back(2), out_dims.push_back(3);
  for (int d = axis + 1; d < 3; ++d) out_dims.push_back(data_dims[d]);
  std::vector<int64_t> want(numel(out_dims)), got(want.size());
  cpu::GatherArgs g;
  g.data = data.data();
  g.outer = numel(Dims(data_dims.begin(), data_dims.begin() + axis));
  g.dim = dim;
  g.inner = numel(Dims(data_dims.begin() + axis + 1, data_dims.end()));
  g.elem_size = 8;
  g.indices = idx.data();
  g.indices_i64 = sizeof(Index) == 8;
  g.count = 6;
  g.y = want.data();
  int64_t bad = 0;
  ASSERT_TRUE(cpu::gather(g, &bad)) << "CPU reference gather, axis " << axis;
  Args args;
  args.out(got.data(), out_dims);
  args.in(data.data(), data_dims);
  args.in(idx.data(), idx_dims);
  runOnBothExecutors([&](auto ex) { cu::gather<8, Index>(ex, args.a, axis); },
                     [&](const char* exec) {
                       EXPECT_TRUE(valuesEqual(got, want)) << "axis " << axis << " on " << exec;
                       EXPECT_EQ(args.fault, 0) << "axis " << axis << " on " << exec;
                     });
  idx[4] = static_cast<Index>(dim);  // out of range
  runOnBothExecutors([&](auto ex) { cu::gather<8, Index>(ex, args.a, axis); },
                     [&] { args.fault = 0; },
                     [&](const char* exec) {
                       EXPECT_EQ(args.fault, 1)
                           << "index " << dim << " out of range, axis " << axis << " on " << exec;
                     });
}

TEST(CudaGather, Axis0Int64Indices) { checkGather<int64_t>(0); }
TEST(CudaGather, Axis1Int32Indices) { checkGather<int32_t>(1); }
TEST(CudaGather, Axis2Int64Indices) { checkGather<int64_t>(2); }

// Seven rows of a quantized embedding table, decoded, against cpu::gatherDecoded; then a negative
// index below -rows must raise the fault flag.
template <class F, class Index>
void checkGatherQuant(cpu::QWeightFormat fmt, int64_t rows, int64_t dim, int64_t gs) {
  const int64_t groups = gs > 0 ? (dim + gs - 1) / gs : 1;
  std::vector<uint8_t> table;
  std::vector<float> row_scale;
  std::vector<uint16_t> sc, of;
  switch (fmt) {
    case cpu::QWeightFormat::Int8:
      table.resize(rows * dim);
      for (auto& v : table) v = static_cast<uint8_t>(randomInt(0, 255));
      row_scale = randomFloats(rows, 0.01f, 0.1f);
      break;
    case cpu::QWeightFormat::Int4:
      table.resize(rows * ((dim + 1) / 2));
      for (auto& v : table) v = static_cast<uint8_t>(randomInt(0, 255));
      sc.resize(rows * groups), of.resize(rows * groups);
      for (auto& v : sc) v = cpu::floatToHalf(randomFloat(0.01f, 0.2f));
      for (auto& v : of) v = cpu::floatToHalf(randomFloat(-1, 0));
      break;
    default:
      table.resize(rows * dim * 2);
      for (int64_t i = 0; i < rows * dim; ++i) {
        const uint16_t h = fmt == cpu::QWeightFormat::F16 ? cpu::floatToHalf(randomFloat())
                                                          : cpu::floatToBFloat16(randomFloat());
        std::memcpy(table.data() + 2 * i, &h, 2);
      }
  }
  std::vector<Index> idx(7);
  for (auto& v : idx) v = static_cast<Index>(randomInt(-rows, rows - 1));
  std::vector<float> want(7 * dim), got(7 * dim);
  cpu::GatherDecodedArgs g;
  g.format = fmt, g.table = table.data(), g.row_scale = row_scale.data();
  g.group_scale = sc.data(), g.group_offset = of.data(), g.group_size = gs;
  g.rows = rows, g.dim = dim, g.indices = idx.data(), g.indices_i64 = sizeof(Index) == 8;
  g.count = 7, g.y = want.data();
  int64_t bad;
  ASSERT_TRUE(cpu::gatherDecoded(g, &bad)) << "CPU reference gatherDecoded";
  Args args;
  args.out(got.data(), {7, dim});
  args.in(table.data(), {static_cast<int64_t>(table.size())});
  args.in(idx.data(), {7});
  if (fmt == cpu::QWeightFormat::Int8) args.in(row_scale.data(), {rows});
  if (fmt == cpu::QWeightFormat::Int4) {
    args.in(sc.data(), {static_cast<int64_t>(sc.size())});
    args.in(of.data(), {static_cast<int64_t>(of.size())});
  }
  const std::string shape =
      "rows " + std::to_string(rows) + " dim " + std::to_string(dim) + " gs " + std::to_string(gs);
  runOnBothExecutors([&](auto ex) { cu::gatherQuant<F, Index>(ex, args.a, rows, dim, gs); },
                     [&](const char* exec) {
                       EXPECT_TRUE(floatsMatch(got, want, -1)) << shape << " on " << exec;
                       EXPECT_EQ(args.fault, 0) << shape << " on " << exec;
                     });
  idx[2] = static_cast<Index>(-rows - 1);
  runOnBothExecutors([&](auto ex) { cu::gatherQuant<F, Index>(ex, args.a, rows, dim, gs); },
                     [&] { args.fault = 0; },
                     [&](const char* exec) {
                       EXPECT_EQ(args.fault, 1) << "index -rows-1, " << shape << " on " << exec;
                     });
}

namespace q = cu::qformat;
using Q = cpu::QWeightFormat;
TEST(CudaGatherQuant, Int8Int64Indices) { checkGatherQuant<q::Int8, int64_t>(Q::Int8, 10, 33, 0); }
TEST(CudaGatherQuant, Int4Group8Int32Indices) {
  checkGatherQuant<q::Int4, int32_t>(Q::Int4, 9, 33, 8);
}
TEST(CudaGatherQuant, Int4Group5Int64Indices) {
  checkGatherQuant<q::Int4, int64_t>(Q::Int4, 9, 20, 5);
}
TEST(CudaGatherQuant, F16Int64Indices) { checkGatherQuant<q::F16, int64_t>(Q::F16, 5, 17, 0); }
TEST(CudaGatherQuant, BF16Int32Indices) { checkGatherQuant<q::BF16, int32_t>(Q::BF16, 5, 16, 0); }

}  // namespace
}  // namespace llmopt::cuda_test
