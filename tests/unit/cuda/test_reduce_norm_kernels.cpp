// CUDA reductions (sum, mean, max, min over every axis subset, keepdims or not, empty and odd
// shapes, NaN), softmax and layer / RMS norm (in place too) on HostExec and on the emulated warps,
// against the CPU kernels (scalar ISA). Team reductions reassociate, hence the small tolerances.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/layer_norm.h"
#include "kernels/cpu/generic/reduce.h"
#include "kernels/cpu/generic/softmax.h"

namespace llmopt::cuda_test {
namespace {

namespace cpu = llmopt::kernels::cpu;
namespace o = cu::ops;

template <class Op>
void checkReduce(cpu::ReduceOp op) {
  const std::vector<Dims> shapes = {{2, 3, 4, 5}, {1, 7, 1, 33}, {6, 1}, {3, 0, 4}, {64}};
  for (const Dims& x_dims : shapes) {
    const int rank = static_cast<int>(x_dims.size());
    for (uint32_t mask = 1; mask < (1u << rank); ++mask) {
      auto x = randomFloats(numel(x_dims));
      if (x.size() > 3 && mask == 3) x[3] = kNaN;
      for (bool keep : {false, true}) {
        Dims y_dims;
        for (int d = 0; d < rank; ++d)
          if ((mask >> d) & 1u) {
            if (keep) y_dims.push_back(1);
          } else {
            y_dims.push_back(x_dims[d]);
          }
        const int64_t yn = numel(y_dims);
        std::vector<float> want(yn), got(yn);
        std::vector<double> scratch(yn + 1);
        cpu::reduceF32(op, x.data(), shapeOf(x_dims), mask, want.data(), scratch.data());
        Args args;
        args.out(got.data(), y_dims);
        args.in(x.data(), x_dims);
        runOnBothExecutors([&](auto ex) { cu::reduce<Op>(ex, args.a, mask); },
                           [&](const char* exec) {
                             EXPECT_TRUE(floatsMatch(got, want, 1e-6f))
                                 << dimsStr(x_dims) << " axes mask " << mask
                                 << (keep ? " keepdims" : "") << " on " << exec;
                           });
      }
    }
  }
}

TEST(CudaReduce, Sum) { checkReduce<o::ReduceSum>(cpu::ReduceOp::Sum); }
TEST(CudaReduce, Mean) { checkReduce<o::ReduceMean>(cpu::ReduceOp::Mean); }
TEST(CudaReduce, Max) { checkReduce<o::ReduceMax>(cpu::ReduceOp::Max); }
TEST(CudaReduce, Min) { checkReduce<o::ReduceMin>(cpu::ReduceOp::Min); }

struct ShapeAxis {
  Dims dims;
  int axis;
};
std::string shapeAxisName(const ::testing::TestParamInfo<ShapeAxis>& info) {
  std::string s;
  for (int64_t d : info.param.dims) s += std::to_string(d) + "x";
  s.pop_back();
  return s + "_axis" + std::to_string(info.param.axis);
}

class CudaSoftmax : public ::testing::TestWithParam<ShapeAxis> {};

TEST_P(CudaSoftmax, MatchesCpu) {
  const auto& [dims, axis] = GetParam();
  auto x = randomFloats(numel(dims), -10, 10);
  std::vector<float> want(x.size()), got(x.size());
  cpu::softmaxF32(x.data(), shapeOf(dims), axis, want.data());
  Args args;
  args.out(got.data(), dims);
  args.in(x.data(), dims);
  runOnBothExecutors([&](auto ex) { cu::softmax(ex, args.a, axis); },
                     [&](const char* exec) {
                       // The serial team sums in the CPU's order; the warp reassociates.
                       const bool host = exec == std::string("HostExec");
                       EXPECT_TRUE(floatsMatch(got, want, host ? 1e-7f : 2e-6f))
                           << dimsStr(dims) << " axis " << axis << " on " << exec;
                     });
}

TEST_P(CudaSoftmax, InPlace) {
  const auto& [dims, axis] = GetParam();
  auto x = randomFloats(numel(dims), -10, 10);
  std::vector<float> want(x.size());
  cpu::softmaxF32(x.data(), shapeOf(dims), axis, want.data());
  std::vector<float> y = x;
  Args args;
  args.out(y.data(), dims);
  args.in(y.data(), dims);
  runOnBothExecutors([&](auto ex) { cu::softmax(ex, args.a, axis); }, [&] { y = x; },
                     [&](const char* exec) {
                       EXPECT_TRUE(floatsMatch(y, want, 2e-6f))
                           << dimsStr(dims) << " axis " << axis << " in place on " << exec;
                     });
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaSoftmax,
                         ::testing::Values(ShapeAxis{{3, 50}, 1}, ShapeAxis{{2, 7, 5}, 1},
                                           ShapeAxis{{4, 1, 3}, 1}, ShapeAxis{{2, 3, 100}, 2},
                                           ShapeAxis{{5, 33}, 0}),
                         shapeAxisName);

enum class Norm { LayerNormBias, LayerNorm, RmsNorm };
const char* normName(Norm n) {
  const char* names[] = {"layer_norm+bias", "layer_norm", "rms_norm"};
  return names[static_cast<int>(n)];
}

template <class Exec>
void runNorm(Norm n, Exec ex, const cu::OpArgs& a, int axis) {
  switch (n) {
    case Norm::LayerNormBias: return cu::layerNorm<true>(ex, a, axis, 1e-5f);
    case Norm::LayerNorm: return cu::layerNorm<false>(ex, a, axis, 1e-5f);
    case Norm::RmsNorm: return cu::rmsNorm(ex, a, axis, 1e-6f);
  }
}

class CudaNorm : public ::testing::TestWithParam<ShapeAxis> {};

// Each norm over the trailing axes from `axis`, out of place and in place.
TEST_P(CudaNorm, AllVariantsMatchCpu) {
  const auto& [dims, axis] = GetParam();
  auto x = randomFloats(numel(dims), -3, 5);
  const int64_t cols = numel(Dims(dims.begin() + axis, dims.end())), rows = numel(dims) / cols;
  const Dims p_dims(dims.begin() + axis, dims.end());
  auto scale = randomFloats(cols), bias = randomFloats(cols);
  std::vector<float> want(x.size()), got(x.size());
  for (Norm norm : {Norm::LayerNormBias, Norm::LayerNorm, Norm::RmsNorm}) {
    Args args;
    args.out(got.data(), dims);
    args.in(x.data(), dims);
    args.in(scale.data(), p_dims);
    switch (norm) {
      case Norm::LayerNormBias:
        args.in(bias.data(), p_dims);
        cpu::layerNormF32(x.data(), scale.data(), bias.data(), rows, cols, 1e-5f, want.data());
        break;
      case Norm::LayerNorm:
        cpu::layerNormF32(x.data(), scale.data(), nullptr, rows, cols, 1e-5f, want.data());
        break;
      case Norm::RmsNorm: cpu::rmsNormF32(x.data(), scale.data(), rows, cols, 1e-6f, want.data());
    }
    const std::string what =
        std::string(normName(norm)) + " " + dimsStr(dims) + " axis " + std::to_string(axis);
    runOnBothExecutors([&](auto ex) { runNorm(norm, ex, args.a, axis); },
                       [&](const char* exec) {
                         EXPECT_TRUE(floatsMatch(got, want, 1e-6f)) << what << " on " << exec;
                       });
    std::vector<float> y = x;  // in place
    runOnBothExecutors([&](auto ex) { runNorm(norm, ex, args.a, axis); },
                       [&] {
                         y = x;
                         args.a.out.data = y.data();
                         args.a.in[0].data = y.data();
                       },
                       [&](const char* exec) {
                         EXPECT_TRUE(floatsMatch(y, want, 1e-6f))
                             << what << " in place on " << exec;
                       });
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaNorm,
                         ::testing::Values(ShapeAxis{{3, 64}, 1}, ShapeAxis{{2, 5, 33}, 2},
                                           ShapeAxis{{2, 3, 7}, 1}, ShapeAxis{{1, 1000}, 1},
                                           ShapeAxis{{4, 1}, 1}),
                         shapeAxisName);

}  // namespace
}  // namespace llmopt::cuda_test
