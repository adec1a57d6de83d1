// Rows of a quantized [rows, dim] table (an embedding) gathered and decoded to fp32
// (plan.fbs QuantGatherParams), with the formulas of runtime/kernels/cpu/generic/qgather.cpp.
// One thread per output element, so a warp reads consecutive columns of a table row.
#ifndef LLMOPT_KERNELS_CUDA_QGATHER_CUH
#define LLMOPT_KERNELS_CUDA_QGATHER_CUH

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/op_args.h"
#include "kernels/cuda/qformat.cuh"
#include "kernels/cuda/team.cuh"

namespace llmopt::cuda {

// inputs [table, indices (Index), then per format: Int8 scale (F32, rows); Int4 scale and
// offset (F16, rows * ceil(dim / group_size))]. out is indices.shape + [dim]. An index outside
// [-rows, rows) stores 1 to *a.fault and gives a row of 0s.
template <class Format, class Index, class Exec>
LLMOPT_DEV void gatherQuant(const Exec& ex, const OpArgs& a, int64_t rows, int64_t dim,
                            int64_t group_size) {
  static_assert(!std::is_same_v<Format, qformat::W8A8>, "no W8A8 tables");
  const Index* indices = static_cast<const Index*>(a.in[1].data);
  float* out = static_cast<float*>(a.out.data);
  if (dim <= 0) return;
  const int64_t gs = group_size > 0 ? group_size : 1, groups = (dim + gs - 1) / gs;
  ex.forEach(a.in[1].numel * dim, [&](int64_t i) {
    const int64_t j = i / dim, c = i - j * dim;
    int64_t r = static_cast<int64_t>(indices[j]);
    if (r < 0) r += rows;
    if (r < 0 || r >= rows) {
      if (a.fault) *a.fault = 1;
      out[i] = 0.0f;
      return;
    }
    float v;
    if constexpr (std::is_same_v<Format, qformat::Int8>) {
      const int8_t* table = static_cast<const int8_t*>(a.in[0].data);
      const float* scale = static_cast<const float*>(a.in[2].data);
      v = static_cast<float>(table[r * dim + c]) * scale[r];
    } else if constexpr (std::is_same_v<Format, qformat::Int4>) {
      const uint8_t* table = static_cast<const uint8_t*>(a.in[0].data);
      const uint16_t* scale = static_cast<const uint16_t*>(a.in[2].data);
      const uint16_t* offset = static_cast<const uint16_t*>(a.in[3].data);
      const uint8_t byte = table[r * ((dim + 1) / 2) + c / 2];
      const int q = (c & 1) ? byte >> 4 : byte & 0xf;
      const int64_t g = r * groups + c / gs;
      v = static_cast<float>(q) * halfToFloat(scale[g]) + halfToFloat(offset[g]);  // exact product
    } else if constexpr (std::is_same_v<Format, qformat::F16>) {
      v = halfToFloat(static_cast<const uint16_t*>(a.in[0].data)[r * dim + c]);
    } else {
      static_assert(std::is_same_v<Format, qformat::BF16>, "Int8, Int4, F16 or BF16");
      v = bf16ToFloat(static_cast<const uint16_t*>(a.in[0].data)[r * dim + c]);
    }
    out[i] = v;
  });
}

}  // namespace llmopt::cuda

#endif  // LLMOPT_KERNELS_CUDA_QGATHER_CUH
