// Walks an output tensor row by row while N inputs advance beside it with their own element
// strides (0 where an input is broadcast, any sign for slices). Adjacent dims along which every
// operand is contiguous are merged, so the innermost row is as long as possible.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_STRIDED_WALK_H
#define LLMOPT_KERNELS_CPU_GENERIC_STRIDED_WALK_H

#include <cstdint>

#include "kernels/cpu/generic/broadcast.h"
#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

template <int N>
struct StridedLayout {
  int rank = 0;  // merged dims; dims of size 1 dropped
  int64_t dims[kMaxRank] = {};
  int64_t strides[N][kMaxRank] = {};  // element strides of each input per merged dim

  int64_t inner() const { return rank ? dims[rank - 1] : 1; }
  int64_t innerStride(int k) const { return rank ? strides[k][rank - 1] : 0; }
  int64_t rows() const {
    int64_t n = 1;
    for (int d = 0; d + 1 < rank; ++d) n *= dims[d];
    return n;
  }
};

// The layout of output `y` with each input's full (per output dim) element strides.
template <int N>
StridedLayout<N> makeStridedLayout(const Shape& y, const int64_t (&full)[N][kMaxRank]) {
  StridedLayout<N> l;
  for (int i = 0; i < y.rank; ++i) {
    if (y.dims[i] == 1) continue;
    bool merge = l.rank > 0;
    for (int k = 0; merge && k < N; ++k)
      merge = l.strides[k][l.rank - 1] == full[k][i] * y.dims[i];
    if (merge) {
      l.dims[l.rank - 1] *= y.dims[i];
      for (int k = 0; k < N; ++k) l.strides[k][l.rank - 1] = full[k][i];
      continue;
    }
    l.dims[l.rank] = y.dims[i];
    for (int k = 0; k < N; ++k) l.strides[k][l.rank] = full[k][i];
    ++l.rank;
  }
  return l;
}

// The layout of N inputs broadcast (numpy rules) to y; each must broadcast to y.
template <int N>
StridedLayout<N> makeBroadcastLayout(const Shape* const (&in)[N], const Shape& y) {
  int64_t full[N][kMaxRank];
  for (int k = 0; k < N; ++k) broadcastStrides(*in[k], y, full[k]);
  return makeStridedLayout<N>(y, full);
}

// Calls row(offsets, y_offset, n) for rows [begin, end): offsets[k] is input k's element offset
// of the row's first element, y_offset the output's; input k then advances by innerStride(k).
template <int N, class RowFn>
void walkRows(const StridedLayout<N>& l, int64_t begin, int64_t end, RowFn& row) {
  const int64_t inner = l.inner();
  int64_t index[kMaxRank] = {};
  int64_t offsets[N] = {};
  int64_t rest = begin;
  for (int d = l.rank - 2; d >= 0; --d) {
    index[d] = rest % l.dims[d];
    rest /= l.dims[d];
    for (int k = 0; k < N; ++k) offsets[k] += index[d] * l.strides[k][d];
  }
  for (int64_t r = begin; r < end; ++r) {
    row(static_cast<const int64_t*>(offsets), r * inner, inner);
    for (int d = l.rank - 2; d >= 0; --d) {
      for (int k = 0; k < N; ++k) offsets[k] += l.strides[k][d];
      if (++index[d] < l.dims[d]) break;
      for (int k = 0; k < N; ++k) offsets[k] -= l.strides[k][d] * l.dims[d];
      index[d] = 0;
    }
  }
}

// Every row of the layout, split across threads when the tensor is large. Nothing for an empty
// output.
template <int N, class RowFn>
void forEachRow(const StridedLayout<N>& l, Parallel* parallel, RowFn&& row) {
  for (int d = 0; d < l.rank; ++d)
    if (l.dims[d] == 0) return;
  const int64_t rows = l.rows();
  parallelRanges(parallel, rows, l.inner(),
                 [&](int64_t begin, int64_t end) { walkRows<N>(l, begin, end, row); });
}

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_STRIDED_WALK_H
