// Reductions and row-wise kernels over fp32: reduce (sum, mean, max, min over any axes),
// softmax, layer norm and RMS norm. A row contiguous in memory gets a warp (lanes strided along
// it, coalesced), a strided one a thread (neighbouring threads read neighbouring columns).
// Sums accumulate in double like the CPU kernels (reduce.cpp, layer_norm.cpp).
#ifndef LLMOPT_KERNELS_CUDA_REDUCE_CUH
#define LLMOPT_KERNELS_CUDA_REDUCE_CUH

#include <cmath>
#include <cstdint>

#include "kernels/cuda/movement.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/op_args.h"
#include "kernels/cuda/team.cuh"

namespace llmopt::cuda {
namespace ops {

struct ReduceSum {
  using Acc = double;
  LLMOPT_HD static double init() { return 0.0; }
  LLMOPT_HD double operator()(double acc, double v) const { return acc + v; }
  LLMOPT_HD static float finish(double acc, int64_t) { return static_cast<float>(acc); }
};
struct ReduceMean {
  using Acc = double;
  LLMOPT_HD static double init() { return 0.0; }
  LLMOPT_HD double operator()(double acc, double v) const { return acc + v; }
  // An empty reduction gives 0 / 0 = NaN, as on the CPU.
  LLMOPT_HD static float finish(double acc, int64_t count) {
    return static_cast<float>(acc / static_cast<double>(count));
  }
};
// NaN anywhere gives NaN.
struct ReduceMax {
  using Acc = float;
  LLMOPT_HD static float init() { return negInf(); }
  LLMOPT_HD float operator()(float acc, float v) const { return (v > acc || v != v) ? v : acc; }
  LLMOPT_HD static float finish(float acc, int64_t) { return acc; }
};
struct ReduceMin {
  using Acc = float;
  LLMOPT_HD static float init() { return posInf(); }
  LLMOPT_HD float operator()(float acc, float v) const { return (v < acc || v != v) ? v : acc; }
  LLMOPT_HD static float finish(float acc, int64_t) { return acc; }
};

// fmax ignores NaN, as the CPU softmax's max does.
struct FMax {
  LLMOPT_HD float operator()(float x, float y) const { return ::fmaxf(x, y); }
};

}  // namespace ops

// Dims of one kind (kept or reduced) of a tensor, with their element strides.
struct DimList {
  int count = 0;
  int64_t dims[kMaxRank];
  int64_t strides[kMaxRank];

  // The element offset of index i over these dims (row-major).
  LLMOPT_HD int64_t offset(int64_t i) const {
    int64_t off = 0;
    for (int d = count - 1; d > 0; --d) {
      int64_t r;
      i = divMod(i, dims[d], &r);
      off += r * strides[d];
    }
    return count > 0 ? off + i * strides[0] : 0;
  }
};

// Reduces in0 over the axes set in axes_mask (bit d: input axis d); out holds the kept dims in
// order, with or without size-1 dims for the reduced ones (the same element order either way).
template <class Op, class Exec>
LLMOPT_DEV void reduce(const Exec& ex, const OpArgs& a, uint32_t axes_mask) {
  const TensorArg& in = a.in[0];
  const float* x = static_cast<const float*>(in.data);
  float* out = static_cast<float*>(a.out.data);
  DimList kept, reduced;
  int64_t out_count = 1, reduce_count = 1;
  bool contiguous_rows = false;  // the innermost dim (above size 1) is reduced
  {
    int64_t stride = 1;
    int64_t tmp_dims[2][kMaxRank], tmp_strides[2][kMaxRank];
    int counts[2] = {0, 0};
    for (int d = in.rank - 1; d >= 0; --d) {
      const int kind = ((axes_mask >> d) & 1u) ? 1 : 0;
      if (in.dims[d] != 1 && counts[0] + counts[1] == 0) contiguous_rows = kind == 1;
      if (in.dims[d] != 1) {
        tmp_dims[kind][counts[kind]] = in.dims[d];
        tmp_strides[kind][counts[kind]] = stride;
        ++counts[kind];
      }
      (kind ? reduce_count : out_count) *= in.dims[d];
      stride *= in.dims[d];
    }
    // Collected innermost first: reverse into row-major order.
    for (int i = 0; i < counts[0]; ++i) {
      kept.dims[i] = tmp_dims[0][counts[0] - 1 - i];
      kept.strides[i] = tmp_strides[0][counts[0] - 1 - i];
    }
    for (int i = 0; i < counts[1]; ++i) {
      reduced.dims[i] = tmp_dims[1][counts[1] - 1 - i];
      reduced.strides[i] = tmp_strides[1][counts[1] - 1 - i];
    }
    kept.count = counts[0];
    reduced.count = counts[1];
  }
  if (out_count == 0) return;
  const auto body = [&](const auto& t, int64_t o) {
    const Op op;
    const int64_t base = kept.offset(o);
    typename Op::Acc acc = Op::init();
    for (int64_t r = t.lane(); r < reduce_count; r += t.size())
      acc = op(acc, static_cast<typename Op::Acc>(x[base + reduced.offset(r)]));
    acc = t.reduce(acc, op);
    if (t.lane() == 0) out[o] = Op::finish(acc, reduce_count);
  };
  if (contiguous_rows)
    ex.forEachTeam(out_count, body);
  else
    ex.forEachSerial(out_count, body);
}

// Softmax along `axis`: max (fmax), then e = exp(x - max) stored and summed, then scaled by
// 1 / sum. In place is safe: a line is read whole before any of it is written.
template <class Exec>
LLMOPT_DEV void softmax(const Exec& ex, const OpArgs& a, int32_t axis) {
  const float* x = static_cast<const float*>(a.in[0].data);
  float* y = static_cast<float*>(a.out.data);
  const int64_t outer = dimProduct(a.in[0], 0, axis), n = a.in[0].dims[axis];
  const int64_t inner = dimProduct(a.in[0], axis + 1, a.in[0].rank);
  if (outer == 0 || n == 0 || inner == 0) return;
  const auto body = [&](const auto& t, int64_t line) {
    const int64_t o = line / inner, c = line - o * inner;
    const int64_t base = o * n * inner + c;
    float max = negInf();
    for (int64_t j = t.lane(); j < n; j += t.size()) max = ::fmaxf(max, x[base + j * inner]);
    max = t.reduce(max, ops::FMax());
    float sum = 0.0f;
    for (int64_t j = t.lane(); j < n; j += t.size()) {
      const float e = ::expf(x[base + j * inner] - max);
      y[base + j * inner] = e;
      sum += e;
    }
    sum = t.sum(sum);
    const float inv = 1.0f / sum;
    for (int64_t j = t.lane(); j < n; j += t.size()) y[base + j * inner] *= inv;
  };
  if (inner == 1)
    ex.forEachTeam(outer, body);
  else
    ex.forEachSerial(outer * inner, body);
}

// A norm's rows: a block per row when a row has at least a value for each lane of a block (a
// transformer's hidden size), else a warp per row. With a warp per row each lane walks GPT-2's
// 768 values 24 at a time, three times, through chains of dependent double adds: latency-bound
// (the H100 profile showed 16 us per LayerNorm of 128 rows); a block's 256 lanes take 3 values
// each per pass. (Not yet timed on a GPU.)
template <class Exec, class Body>
LLMOPT_DEV void forEachNormRow(const Exec& ex, int64_t rows, int64_t cols, Body body) {
  if (cols >= kThreadsPerBlock)
    ex.forEachBlockTeam(rows, body);
  else
    ex.forEachTeam(rows, body);
}

// inputs [x, scale] or [x, scale, bias], normalised over dims [axis, rank):
// y = float((x - mean) / sqrt(var + eps)) * scale + bias, the statistics in double.
template <bool kHasBias, class Exec>
LLMOPT_DEV void layerNorm(const Exec& ex, const OpArgs& a, int32_t axis, float eps) {
  const float* x = static_cast<const float*>(a.in[0].data);
  const float* scale = static_cast<const float*>(a.in[1].data);
  const float* bias = kHasBias ? static_cast<const float*>(a.in[2].data) : nullptr;
  float* y = static_cast<float*>(a.out.data);
  const int64_t rows = dimProduct(a.in[0], 0, axis);
  const int64_t cols = dimProduct(a.in[0], axis, a.in[0].rank);
  if (rows <= 0 || cols <= 0) return;
  forEachNormRow(ex, rows, cols, [&](const auto& t, int64_t r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double sum = 0.0;
    for (int64_t i = t.lane(); i < cols; i += t.size()) sum += xr[i];
    const double mean = t.sum(sum) / static_cast<double>(cols);
    double squares = 0.0;
    for (int64_t i = t.lane(); i < cols; i += t.size()) {
      const double d = xr[i] - mean;
      squares = addRn(squares, mulRn(d, d));
    }
    squares = t.sum(squares);
    const double inv = 1.0 / ::sqrt(squares / static_cast<double>(cols) + eps);
    for (int64_t i = t.lane(); i < cols; i += t.size()) {
      const float v = mulRn(static_cast<float>((xr[i] - mean) * inv), scale[i]);
      yr[i] = kHasBias ? addRn(v, bias[i]) : v;
    }
  });
}

// inputs [x, scale]: y = scale * (x * (1 / sqrt(mean(x^2) + eps))), the sum of squares in
// double, the rest in fp32 (layer_norm.cpp's rmsNormRowScalar).
template <class Exec>
LLMOPT_DEV void rmsNorm(const Exec& ex, const OpArgs& a, int32_t axis, float eps) {
  const float* x = static_cast<const float*>(a.in[0].data);
  const float* scale = static_cast<const float*>(a.in[1].data);
  float* y = static_cast<float*>(a.out.data);
  const int64_t rows = dimProduct(a.in[0], 0, axis);
  const int64_t cols = dimProduct(a.in[0], axis, a.in[0].rank);
  if (rows <= 0 || cols <= 0) return;
  forEachNormRow(ex, rows, cols, [&](const auto& t, int64_t r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double squares = 0.0;
    for (int64_t i = t.lane(); i < cols; i += t.size()) {
      const double v = xr[i];
      squares = addRn(squares, mulRn(v, v));
    }
    squares = t.sum(squares);
    const float mean = static_cast<float>(squares / static_cast<double>(cols));
    const float inv = 1.0f / ::sqrtf(mean + eps);
    for (int64_t i = t.lane(); i < cols; i += t.size()) yr[i] = mulRn(scale[i], mulRn(xr[i], inv));
  });
}

}  // namespace llmopt::cuda

#endif  // LLMOPT_KERNELS_CUDA_REDUCE_CUH
