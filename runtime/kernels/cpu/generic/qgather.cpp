#include "kernels/cpu/generic/qgather.h"

#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/qfloat16.h"

namespace llmopt::kernels::cpu {
namespace {

int64_t indexAt(const GatherDecodedArgs& a, int64_t j) {
  return a.indices_i64 ? static_cast<const int64_t*>(a.indices)[j]
                       : static_cast<const int32_t*>(a.indices)[j];
}

// Table row r decoded into out[dim], with the formulas of the linear kernels (qweight_format.h).
void decodeRow(const GatherDecodedArgs& a, int64_t r, float* out) {
  switch (a.format) {
    case QWeightFormat::Int8: {
      const int8_t* q = static_cast<const int8_t*>(a.table) + r * a.dim;
      const float scale = a.row_scale[r];
      for (int64_t c = 0; c < a.dim; ++c) out[c] = static_cast<float>(q[c]) * scale;
      return;
    }
    case QWeightFormat::Int4: {
      const uint8_t* bytes = static_cast<const uint8_t*>(a.table) + r * ((a.dim + 1) / 2);
      const int64_t groups = (a.dim + a.group_size - 1) / a.group_size;
      for (int64_t g = 0; g < groups; ++g) {
        const float scale = halfToFloat(a.group_scale[r * groups + g]);
        const float offset = halfToFloat(a.group_offset[r * groups + g]);
        const int64_t end = (g + 1) * a.group_size < a.dim ? (g + 1) * a.group_size : a.dim;
        for (int64_t c = g * a.group_size; c < end; ++c) {
          const int q = (c & 1) ? bytes[c / 2] >> 4 : bytes[c / 2] & 0xf;
          const float scaled = static_cast<float>(q) * scale;
          out[c] = scaled + offset;
        }
      }
      return;
    }
    case QWeightFormat::F16: {
      const uint16_t* h = static_cast<const uint16_t*>(a.table) + r * a.dim;
      for (int64_t c = 0; c < a.dim; ++c) out[c] = halfToFloat(h[c]);
      return;
    }
    case QWeightFormat::BF16: {
      const uint16_t* b = static_cast<const uint16_t*>(a.table) + r * a.dim;
      for (int64_t c = 0; c < a.dim; ++c) out[c] = bfloat16ToFloat(b[c]);
      return;
    }
  }
}

}  // namespace

bool gatherDecoded(const GatherDecodedArgs& a, int64_t* bad_index, Parallel* parallel) {
  // Every index is checked before anything is written.
  for (int64_t j = 0; j < a.count; ++j) {
    const int64_t i = indexAt(a, j);
    if (i < -a.rows || i >= a.rows) {
      *bad_index = i;
      return false;
    }
  }
  if (a.dim == 0) return true;
  parallelRanges(parallel, a.count, a.dim, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      const int64_t i = indexAt(a, j);
      decodeRow(a, i < 0 ? i + a.rows : i, a.y + j * a.dim);
    }
  });
  return true;
}

}  // namespace llmopt::kernels::cpu
