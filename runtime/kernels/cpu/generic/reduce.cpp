#include "kernels/cpu/generic/reduce.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {
namespace {

// Consecutive dims of x merged while they are all reduced or all kept (size-1 dims dropped).
struct Groups {
  int count = 0;
  int64_t dims[kMaxRank] = {};
  bool reduced[kMaxRank] = {};
  int64_t y_strides[kMaxRank] = {};  // element strides in y; 0 along reduced groups
};

Groups groupDims(const Shape& x, uint32_t axes_mask) {
  Groups g;
  for (int d = 0; d < x.rank; ++d) {
    if (x.dims[d] == 1) continue;
    const bool reduced = (axes_mask >> d) & 1u;
    if (g.count > 0 && g.reduced[g.count - 1] == reduced) {
      g.dims[g.count - 1] *= x.dims[d];
    } else {
      g.dims[g.count] = x.dims[d];
      g.reduced[g.count] = reduced;
      ++g.count;
    }
  }
  int64_t stride = 1;
  for (int i = g.count - 1; i >= 0; --i) {
    g.y_strides[i] = g.reduced[i] ? 0 : stride;
    if (!g.reduced[i]) stride *= g.dims[i];
  }
  return g;
}

struct SumOp {
  using Acc = double;
  static double init() { return 0.0; }
  static double combine(double acc, float v) { return acc + v; }
  static double merge(double acc, double part) { return acc + part; }
  // A whole row: four partial sums for instruction-level parallelism.
  static double row(const float* x, int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      s0 += x[i];
      s1 += x[i + 1];
      s2 += x[i + 2];
      s3 += x[i + 3];
    }
    for (; i < n; ++i) s0 += x[i];
    return (s0 + s1) + (s2 + s3);
  }
};

// The max (Less = false) or min of a row; NaN if any element is NaN. Branch-free lanes so the
// compiler vectorises: NaN is tracked apart from the comparisons.
template <bool Less>
float extremeOfRow(const float* x, int64_t n) {
  constexpr int kLanes = 8;
  constexpr float kInit = Less ? std::numeric_limits<float>::infinity()
                               : -std::numeric_limits<float>::infinity();
  float m[kLanes];
  int nan[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    m[l] = kInit;
    nan[l] = 0;
  }
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float v = x[i + l];
      m[l] = (Less ? v < m[l] : v > m[l]) ? v : m[l];
      nan[l] |= v != v;
    }
  for (; i < n; ++i) {
    m[0] = (Less ? x[i] < m[0] : x[i] > m[0]) ? x[i] : m[0];
    nan[0] |= x[i] != x[i];
  }
  float result = m[0];
  int any_nan = nan[0];
  for (int l = 1; l < kLanes; ++l) {
    result = (Less ? m[l] < result : m[l] > result) ? m[l] : result;
    any_nan |= nan[l];
  }
  return any_nan ? std::numeric_limits<float>::quiet_NaN() : result;
}

struct MaxOp {
  using Acc = float;
  static float init() { return -std::numeric_limits<float>::infinity(); }
  static float combine(float acc, float v) { return (v > acc || v != v) ? v : acc; }
  static float merge(float acc, float part) { return combine(acc, part); }
  static float row(const float* x, int64_t n) { return extremeOfRow<false>(x, n); }
};

struct MinOp {
  using Acc = float;
  static float init() { return std::numeric_limits<float>::infinity(); }
  static float combine(float acc, float v) { return (v < acc || v != v) ? v : acc; }
  static float merge(float acc, float part) { return combine(acc, part); }
  static float row(const float* x, int64_t n) { return extremeOfRow<true>(x, n); }
};

// Accumulates groups [first, count) of x (contiguous, `x` at their first element) into acc (at
// the matching output element).
template <class Op>
void accumulate(const Groups& g, int first, const float* x, typename Op::Acc* acc) {
  const int last = g.count - 1;
  const int64_t n = g.dims[last];
  int64_t rows = 1;
  for (int i = first; i < last; ++i) rows *= g.dims[i];
  int64_t index[kMaxRank] = {};
  int64_t y_off = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * n;
    if (g.reduced[last]) {
      acc[y_off] = Op::merge(acc[y_off], Op::row(row, n));
    } else {
      typename Op::Acc* a = acc + y_off;
      for (int64_t j = 0; j < n; ++j) a[j] = Op::combine(a[j], row[j]);
    }
    for (int d = last - 1; d >= first; --d) {
      y_off += g.y_strides[d];
      if (++index[d] < g.dims[d]) break;
      y_off -= g.y_strides[d] * g.dims[d];
      index[d] = 0;
    }
  }
}

template <class Op>
void reduceInto(const Groups& g, const float* x, typename Op::Acc* acc, int64_t out_count,
                Parallel* parallel) {
  for (int64_t i = 0; i < out_count; ++i) acc[i] = Op::init();
  // Outermost group kept: its slices write disjoint outputs, so they can run in parallel.
  if (g.count >= 2 && !g.reduced[0]) {
    const int64_t slice = [&] {
      int64_t e = 1;
      for (int i = 1; i < g.count; ++i) e *= g.dims[i];
      return e;
    }();
    parallelRanges(parallel, g.dims[0], slice, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        accumulate<Op>(g, 1, x + i * slice, acc + i * g.y_strides[0]);
    });
    return;
  }
  accumulate<Op>(g, 0, x, acc);
}

}  // namespace

Shape reducedShape(const Shape& x, uint32_t axes_mask, bool keepdims) {
  Shape y;
  for (int d = 0; d < x.rank; ++d) {
    if ((axes_mask >> d) & 1u) {
      if (keepdims) y.dims[y.rank++] = 1;
    } else {
      y.dims[y.rank++] = x.dims[d];
    }
  }
  return y;
}

size_t reduceScratchBytes(ReduceOp op, const Shape& x, uint32_t axes_mask) {
  if (op != ReduceOp::Sum && op != ReduceOp::Mean) return 0;
  return static_cast<size_t>(reducedShape(x, axes_mask, false).elements()) * sizeof(double);
}

void reduceF32(ReduceOp op, const float* x, const Shape& x_shape, uint32_t axes_mask, float* y,
               void* scratch, Parallel* parallel) {
  int64_t out_count = 1, reduce_count = 1;
  for (int d = 0; d < x_shape.rank; ++d)
    ((axes_mask >> d) & 1u ? reduce_count : out_count) *= x_shape.dims[d];
  if (out_count == 0) return;
  if (reduce_count == 0) {  // empty reductions: the identity (Mean: 0/0)
    const float v = op == ReduceOp::Sum    ? 0.0f
                    : op == ReduceOp::Mean ? std::numeric_limits<float>::quiet_NaN()
                    : op == ReduceOp::Max  ? MaxOp::init()
                                           : MinOp::init();
    for (int64_t i = 0; i < out_count; ++i) y[i] = v;
    return;
  }
  if (reduce_count == 1) {  // only size-1 dims reduced: y is x
    std::memcpy(y, x, static_cast<size_t>(out_count) * sizeof(float));
    return;
  }
  const Groups g = groupDims(x_shape, axes_mask);
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Mean: {
      double* acc = static_cast<double*>(scratch);
      reduceInto<SumOp>(g, x, acc, out_count, parallel);
      const double count = op == ReduceOp::Mean ? static_cast<double>(reduce_count) : 1.0;
      for (int64_t i = 0; i < out_count; ++i) y[i] = static_cast<float>(acc[i] / count);
      return;
    }
    case ReduceOp::Max: return reduceInto<MaxOp>(g, x, y, out_count, parallel);
    case ReduceOp::Min: return reduceInto<MinOp>(g, x, y, out_count, parallel);
  }
}

}  // namespace llmopt::kernels::cpu
