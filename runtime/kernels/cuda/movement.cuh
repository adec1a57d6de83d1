// Data movement and generated tensors: strided copy (copy, transpose, slice, expand), concat,
// gather, fill, range and trilu. Elements are moved as unsigned words of their size.
#ifndef LLMOPT_KERNELS_CUDA_MOVEMENT_CUH
#define LLMOPT_KERNELS_CUDA_MOVEMENT_CUH

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/op_args.h"
#include "kernels/cuda/team.cuh"

namespace llmopt::cuda {

template <int kBytes>
struct Word;
template <>
struct Word<1> {
  using type = uint8_t;
};
template <>
struct Word<2> {
  using type = uint16_t;
};
template <>
struct Word<4> {
  using type = uint32_t;
};
template <>
struct Word<8> {
  using type = uint64_t;
};

// The product of dims [begin, end).
LLMOPT_HD inline int64_t dimProduct(const TensorArg& t, int begin, int end) {
  int64_t n = 1;
  for (int d = begin; d < end; ++d) n *= t.dims[d];
  return n;
}

// out[i] = in0 at view[0](i).
template <int kElemBytes, class Exec>
LLMOPT_DEV void stridedCopy(const Exec& ex, const OpArgs& a) {
  using W = typename Word<kElemBytes>::type;
  const W* x = static_cast<const W*>(a.in[0].data);
  W* out = static_cast<W*>(a.out.data);
  forEachElement<1>(ex, a, [&](int64_t i, const int64_t* off) { out[i] = x[off[0]]; });
}

// Contiguous inputs joined along `axis`; input k starts at index view[k].offset along it.
// Each input is walked in its own order (reads and writes both contiguous along rows).
template <int kElemBytes, class Exec>
LLMOPT_DEV void concat(const Exec& ex, const OpArgs& a, int32_t axis) {
  using W = typename Word<kElemBytes>::type;
  W* out = static_cast<W*>(a.out.data);
  const int64_t inner = dimProduct(a.out, axis + 1, a.out.rank);
  const int64_t out_block = a.out.dims[axis] * inner;  // one outer index's elements
  for (int k = 0; k < a.num_inputs; ++k) {
    const W* x = static_cast<const W*>(a.in[k].data);
    const int64_t block = a.in[k].dims[axis] * inner;
    if (block == 0) continue;
    const int64_t start = a.view[k].offset * inner;
    ex.forEach(a.in[k].numel, [&](int64_t i) {
      const int64_t o = i / block;
      out[o * out_block + start + (i - o * block)] = x[i];
    });
  }
}

// plan.fbs GatherParams: out = data[..., indices[j], ...] along `axis`. An index still outside
// [0, dim) after adding dim to a negative one stores 1 to *a.fault and gives 0.
template <int kElemBytes, class Index, class Exec>
LLMOPT_DEV void gather(const Exec& ex, const OpArgs& a, int32_t axis) {
  using W = typename Word<kElemBytes>::type;
  const W* data = static_cast<const W*>(a.in[0].data);
  const Index* indices = static_cast<const Index*>(a.in[1].data);
  W* out = static_cast<W*>(a.out.data);
  const int64_t dim = a.in[0].dims[axis];
  const int64_t inner = dimProduct(a.in[0], axis + 1, a.in[0].rank);
  const int64_t count = a.in[1].numel;
  if (inner == 0 || count == 0) return;
  ex.forEach(a.out.numel, [&](int64_t i) {
    const int64_t r = i % inner, row = i / inner;  // row = o * count + j
    const int64_t o = row / count, j = row - o * count;
    int64_t index = static_cast<int64_t>(indices[j]);
    if (index < 0) index += dim;
    if (index < 0 || index >= dim) {
      if (a.fault) *a.fault = 1;
      out[i] = 0;
      return;
    }
    out[i] = data[(o * dim + index) * inner + r];
  });
}

// The output filled with one value, converted as the CPU's fill.cpp does.
template <class T>
LLMOPT_HD T fillValue(double value) {
  if constexpr (std::is_same_v<T, float>) {
    return static_cast<float>(value);
  } else if constexpr (std::is_same_v<T, uint8_t>) {
    return static_cast<uint8_t>(value != 0.0);
  } else {
    return saturatingCast<T>(value);
  }
}

template <class T, class Exec>
LLMOPT_DEV void fill(const Exec& ex, const OpArgs& a, double value) {
  T* out = static_cast<T*>(a.out.data);
  const T v = fillValue<T>(value);
  ex.forEach(a.out.numel, [&](int64_t i) { out[i] = v; });
}

// y[i] = start + i * delta: fp32 from the double (rounded once, not contracted into an FMA);
// integers in wrapping uint64 arithmetic from the saturated start and delta, then truncated.
template <class T, class Exec>
LLMOPT_DEV void range(const Exec& ex, const OpArgs& a, double start, double delta) {
  T* out = static_cast<T*>(a.out.data);
  if constexpr (std::is_same_v<T, float>) {
    ex.forEach(a.out.numel, [&](int64_t i) {
      out[i] = static_cast<float>(addRn(start, mulRn(static_cast<double>(i), delta)));
    });
  } else {
    const uint64_t s = static_cast<uint64_t>(saturatingCast<int64_t>(start));
    const uint64_t d = static_cast<uint64_t>(saturatingCast<int64_t>(delta));
    ex.forEach(a.out.numel, [&](int64_t i) {
      out[i] = static_cast<T>(static_cast<int64_t>(s + static_cast<uint64_t>(i) * d));
    });
  }
}

// [..., M, N]: keeps j - i >= k (upper) or j - i <= k (lower) of the last two dims, else 0.
// in0 contiguous with out's shape.
template <class T, class Exec>
LLMOPT_DEV void trilu(const Exec& ex, const OpArgs& a, bool upper, int64_t k) {
  const T* x = static_cast<const T*>(a.in[0].data);
  T* out = static_cast<T*>(a.out.data);
  if (a.out.rank < 2) return;
  const int64_t m = a.out.dims[a.out.rank - 2], n = a.out.dims[a.out.rank - 1];
  ex.forEach(a.out.numel, [&](int64_t e) {
    const int64_t row = e / n, j = e - row * n, i = row % m;
    const int64_t diff = j - i;  // |diff| < m + n: never overflows
    const bool keep = upper ? diff >= k : diff <= k;
    out[e] = keep ? x[e] : T(0);
  });
}

}  // namespace llmopt::cuda

#endif  // LLMOPT_KERNELS_CUDA_MOVEMENT_CUH
