#include "kernels/cpu/generic/transpose.h"

#include <cstdint>
#include <cstring>

namespace llmopt::kernels::cpu {
namespace {

// Walks y in order; x advances by the permuted strides. ElemBytes is a compile-time size for
// the common element sizes (0: use elem_size at run time).
template <size_t ElemBytes>
void walk(const unsigned char* x, const Shape& y_shape, const int64_t* x_strides,
          size_t elem_size, unsigned char* y) {
  const size_t size = ElemBytes ? ElemBytes : elem_size;
  const int rank = y_shape.rank;
  const int64_t total = y_shape.elements();
  if (total == 0) return;
  if (rank == 0) {
    std::memcpy(y, x, size);
    return;
  }
  const int64_t inner = y_shape.dims[rank - 1];
  const int64_t inner_stride = x_strides[rank - 1] * static_cast<int64_t>(size);
  int64_t index[kMaxRank] = {};
  int64_t offset = 0;  // in elements of x
  for (int64_t done = 0; done < total; done += inner) {
    const unsigned char* src = x + offset * static_cast<int64_t>(size);
    for (int64_t i = 0; i < inner; ++i) {
      std::memcpy(y, src, size);
      y += size;
      src += inner_stride;
    }
    for (int d = rank - 2; d >= 0; --d) {
      offset += x_strides[d];
      if (++index[d] < y_shape.dims[d]) break;
      offset -= x_strides[d] * y_shape.dims[d];
      index[d] = 0;
    }
  }
}

}  // namespace

Shape transposedShape(const Shape& x_shape, const int* perm) {
  Shape y;
  y.rank = x_shape.rank;
  for (int d = 0; d < x_shape.rank; ++d) y.dims[d] = x_shape.dims[perm[d]];
  return y;
}

void transpose(const void* x, const Shape& x_shape, const int* perm, size_t elem_size, void* y) {
  int64_t x_strides[kMaxRank] = {};
  int64_t stride = 1;
  for (int d = x_shape.rank - 1; d >= 0; --d) {
    x_strides[d] = stride;
    stride *= x_shape.dims[d];
  }
  int64_t permuted[kMaxRank] = {};
  for (int d = 0; d < x_shape.rank; ++d) permuted[d] = x_strides[perm[d]];
  const Shape y_shape = transposedShape(x_shape, perm);
  auto* src = static_cast<const unsigned char*>(x);
  auto* dst = static_cast<unsigned char*>(y);
  switch (elem_size) {
    case 1: return walk<1>(src, y_shape, permuted, 1, dst);
    case 2: return walk<2>(src, y_shape, permuted, 2, dst);
    case 4: return walk<4>(src, y_shape, permuted, 4, dst);
    case 8: return walk<8>(src, y_shape, permuted, 8, dst);
    default: return walk<0>(src, y_shape, permuted, elem_size, dst);
  }
}

}  // namespace llmopt::kernels::cpu
