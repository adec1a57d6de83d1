// A tiny host interpreter of the CUDA calling convention (runtime/kernels/cuda/op_args.h): a few
// kernels written the way the device kernels read OpArgs, one output element at a time, through
// the views alone. The OpArgs tests compare them with the CPU kernels; the fake CUDA driver runs
// them as its "device". Header-only, with no dependency on the runtime library.
#ifndef LLMOPT_TESTS_UNIT_RUNTIME_CUDA_REFERENCE_KERNELS_H
#define LLMOPT_TESTS_UNIT_RUNTIME_CUDA_REFERENCE_KERNELS_H

#include <cstdint>
#include <cstring>

#include "kernels/cuda/op_args.h"
#include "llmopt/runtime.h"

namespace llmopt::testing::cuda_ref {

using cuda::OpArgs;
using cuda::TensorArg;

inline size_t elementBytes(int32_t dtype) {
  switch (dtype) {
    case LLMOPT_DTYPE_F16:
    case LLMOPT_DTYPE_BF16:
      return 2;
    case LLMOPT_DTYPE_I8:
    case LLMOPT_DTYPE_U8:
    case LLMOPT_DTYPE_BOOL:
      return 1;
    case LLMOPT_DTYPE_I64:
      return 8;
    default:
      return 4;
  }
}

// The multi-index over out's dims of row-major element `linear`.
inline void outIndex(const TensorArg& out, int64_t linear, int64_t index[cuda::kMaxRank]) {
  for (int d = out.rank - 1; d >= 0; --d) {
    index[d] = out.dims[d] == 0 ? 0 : linear % out.dims[d];
    linear = out.dims[d] == 0 ? 0 : linear / out.dims[d];
  }
}

// Input i's element for output element `linear`, as view[i] maps it; false when that element
// lies outside input i (a wrong view).
inline bool viewElement(const OpArgs& a, int i, int64_t linear, int64_t* element) {
  int64_t index[cuda::kMaxRank];
  outIndex(a.out, linear, index);
  int64_t e = a.view[i].offset;
  for (int d = 0; d < a.out.rank; ++d) e += index[d] * a.view[i].strides[d];
  *element = e;
  return e >= 0 && e < a.in[i].numel;
}

template <class T>
T load(const TensorArg& t, int64_t element) {
  T value;
  std::memcpy(&value, static_cast<const uint8_t*>(t.data) + element * sizeof(T), sizeof(T));
  return value;
}

// copy, transpose, slice, expand (and any unary identity): out[o] = in0[view0(o)].
inline bool viewCopy(const OpArgs& a) {
  const size_t size = elementBytes(a.out.dtype);
  for (int64_t o = 0; o < a.out.numel; ++o) {
    int64_t e;
    if (!viewElement(a, 0, o, &e)) return false;
    std::memcpy(static_cast<uint8_t*>(a.out.data) + o * size,
                static_cast<const uint8_t*>(a.in[0].data) + e * size, size);
  }
  return true;
}

// f32 a op b, broadcasting through the views: op is '+', '-' or '*'.
inline bool binaryF32(const OpArgs& a, char op) {
  for (int64_t o = 0; o < a.out.numel; ++o) {
    int64_t ea, eb;
    if (!viewElement(a, 0, o, &ea) || !viewElement(a, 1, o, &eb)) return false;
    const float x = load<float>(a.in[0], ea), y = load<float>(a.in[1], eb);
    const float r = op == '+' ? x + y : op == '-' ? x - y : x * y;
    std::memcpy(static_cast<float*>(a.out.data) + o, &r, sizeof r);
  }
  return true;
}

// out = cond ? x : y, the three through their views.
inline bool where(const OpArgs& a) {
  const size_t size = elementBytes(a.out.dtype);
  for (int64_t o = 0; o < a.out.numel; ++o) {
    int64_t ec, ex, ey;
    if (!viewElement(a, 0, o, &ec) || !viewElement(a, 1, o, &ex) || !viewElement(a, 2, o, &ey))
      return false;
    const bool c = load<uint8_t>(a.in[0], ec) != 0;
    std::memcpy(static_cast<uint8_t*>(a.out.data) + o * size,
                static_cast<const uint8_t*>(a.in[c ? 1 : 2].data) + (c ? ex : ey) * size, size);
  }
  return true;
}

// Concat along `axis` (a kernel has it built in): output element o comes from the input whose
// range [view[i].offset, + its dim) holds o's index along the axis.
inline bool concat(const OpArgs& a, int axis) {
  const size_t size = elementBytes(a.out.dtype);
  for (int64_t o = 0; o < a.out.numel; ++o) {
    int64_t index[cuda::kMaxRank];
    outIndex(a.out, o, index);
    int i = 0;
    while (i < a.num_inputs && !(index[axis] >= a.view[i].offset &&
                                 index[axis] < a.view[i].offset + a.in[i].dims[axis]))
      ++i;
    if (i == a.num_inputs) return false;
    index[axis] -= a.view[i].offset;
    int64_t e = 0;
    for (int d = 0; d < a.out.rank; ++d) e = e * a.in[i].dims[d] + index[d];
    std::memcpy(static_cast<uint8_t*>(a.out.data) + o * size,
                static_cast<const uint8_t*>(a.in[i].data) + e * size, size);
  }
  return true;
}

// Gather along axis 0 with int64 indices: out[j, ..] = data[index j, ..]; an index outside
// [-rows, rows) stores 1 to *fault and leaves its row alone (as the device kernels do).
inline bool gatherAxis0(const OpArgs& a) {
  const size_t size = elementBytes(a.out.dtype);
  const int64_t rows = a.in[0].dims[0];
  const int64_t row = rows == 0 ? 0 : a.in[0].numel / rows;
  for (int64_t j = 0; j < a.in[1].numel; ++j) {
    int64_t index = load<int64_t>(a.in[1], j);
    if (index < 0) index += rows;
    if (index < 0 || index >= rows) {
      *a.fault = 1;
      continue;
    }
    std::memcpy(static_cast<uint8_t*>(a.out.data) + j * row * size,
                static_cast<const uint8_t*>(a.in[0].data) + index * row * size, row * size);
  }
  return true;
}

}  // namespace llmopt::testing::cuda_ref

#endif  // LLMOPT_TESTS_UNIT_RUNTIME_CUDA_REFERENCE_KERNELS_H
