// Walks an output tensor row by row while N inputs advance beside it with their own element
// strides (0 where an input is broadcast, any sign for slices). Adjacent dims along which every
// operand is contiguous are merged, so the innermost row is as long as possible.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_STRIDED_WALK_H
#define LLMOPT_KERNELS_CPU_GENERIC_STRIDED_WALK_H

#include <cstdint>
#include <type_traits>

#include "kernels/cpu/generic/broadcast.h"
#include "kernels/cpu/parallel.h"
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

// A row of the walk: offsets[k] is input k's element offset of the row's first element, y_offset
// the output's; input k then advances by innerStride(k) along the row's n elements.
using RowCallback = void (*)(void* context, const int64_t* offsets, int64_t y_offset, int64_t n);

// Every row of the layout, split across threads when the tensor is large. Nothing for an empty
// output. One compiled walker per N (strided_walk.cpp) serves every kernel and element type:
// the rows are each a call, and the walk's code is not repeated per instance (issue 9's size).
template <int N>
void forEachRowOf(const StridedLayout<N>& l, Parallel* parallel, RowCallback row, void* context);
extern template void forEachRowOf<1>(const StridedLayout<1>&, Parallel*, RowCallback, void*);
extern template void forEachRowOf<2>(const StridedLayout<2>&, Parallel*, RowCallback, void*);
extern template void forEachRowOf<3>(const StridedLayout<3>&, Parallel*, RowCallback, void*);

// forEachRowOf with row(offsets, y_offset, n) a callable.
template <int N, class RowFn>
void forEachRow(const StridedLayout<N>& l, Parallel* parallel, RowFn&& row) {
  using Fn = std::remove_reference_t<RowFn>;
  forEachRowOf<N>(
      l, parallel,
      [](void* context, const int64_t* offsets, int64_t y_offset, int64_t n) {
        (*static_cast<Fn*>(context))(offsets, y_offset, n);
      },
      const_cast<void*>(static_cast<const void*>(&row)));
}

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_STRIDED_WALK_H
