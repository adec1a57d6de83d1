#include "kernels/cpu/generic/strided_walk.h"

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {
namespace {

// Rows [begin, end) of the layout.
template <int N>
void walkRows(const StridedLayout<N>& l, int64_t begin, int64_t end, RowCallback row,
              void* context) {
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
    row(context, offsets, r * inner, inner);
    for (int d = l.rank - 2; d >= 0; --d) {
      for (int k = 0; k < N; ++k) offsets[k] += l.strides[k][d];
      if (++index[d] < l.dims[d]) break;
      for (int k = 0; k < N; ++k) offsets[k] -= l.strides[k][d] * l.dims[d];
      index[d] = 0;
    }
  }
}

}  // namespace

template <int N>
void forEachRowOf(const StridedLayout<N>& l, Parallel* parallel, RowCallback row, void* context) {
  for (int d = 0; d < l.rank; ++d)
    if (l.dims[d] == 0) return;
  parallelRanges(parallel, l.rows(), l.inner(), [&](int64_t begin, int64_t end) {
    walkRows<N>(l, begin, end, row, context);
  });
}

template void forEachRowOf<1>(const StridedLayout<1>&, Parallel*, RowCallback, void*);
template void forEachRowOf<2>(const StridedLayout<2>&, Parallel*, RowCallback, void*);
template void forEachRowOf<3>(const StridedLayout<3>&, Parallel*, RowCallback, void*);

}  // namespace llmopt::kernels::cpu
