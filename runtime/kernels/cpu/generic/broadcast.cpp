#include "kernels/cpu/generic/broadcast.h"

namespace llmopt::kernels::cpu {

bool broadcastShapes(const Shape& a, const Shape& b, Shape* out) {
  Shape result;
  result.rank = a.rank > b.rank ? a.rank : b.rank;
  for (int i = 0; i < result.rank; ++i) {
    int ia = a.rank - result.rank + i, ib = b.rank - result.rank + i;
    int64_t da = ia >= 0 ? a.dims[ia] : 1;
    int64_t db = ib >= 0 ? b.dims[ib] : 1;
    if (da != db && da != 1 && db != 1) return false;
    result.dims[i] = da == 1 ? db : da;
  }
  *out = result;
  return true;
}

void broadcastStrides(const Shape& in, const Shape& out, int64_t strides[kMaxRank]) {
  int64_t stride = 1;
  for (int i = out.rank - 1; i >= 0; --i) {
    int j = in.rank - out.rank + i;
    if (j < 0) {
      strides[i] = 0;
      continue;
    }
    strides[i] = (in.dims[j] == 1 && out.dims[i] != 1) ? 0 : stride;
    stride *= in.dims[j];
  }
}

}  // namespace llmopt::kernels::cpu
