// Decoding weight-only compressed weight panels (qpack.h's Int8, Int4, F16, BF16 "PackedN16"
// layouts) to fp32: whole row blocks into fp32 panels for the GEMM, or fused into a GEMV for a
// few rows. One variant per instruction set, chosen once by the CPU's features (or LLMOPT_ISA).
// Every variant decodes to the same fp32 values: q * scale (Int8), q * scale + offset (Int4), the
// exact fp32 value (F16, BF16).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QDECODE_H
#define LLMOPT_KERNELS_CPU_GENERIC_QDECODE_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/qweight_format.h"

namespace llmopt::kernels::cpu {

constexpr int kQGemvMaxRows = 4;  // rows a GEMV call takes at once

// One layer's packed weights (see LinearDecodedArgs).
struct QPanelSource {
  QWeightFormat format = QWeightFormat::Int8;
  const void* w = nullptr;
  const float* scale = nullptr;
  const uint16_t* group_scale = nullptr;
  const uint16_t* group_offset = nullptr;
  int64_t group_size = 0;
  int64_t k = 0;  // rows of every panel
};

// Groups of an Int4 source (1 for the other formats).
inline int64_t qGroupCount(const QPanelSource& s) {
  return s.format == QWeightFormat::Int4 ? (s.k + s.group_size - 1) / s.group_size : 1;
}

// The end of the run of rows from kk (below k1) that share one group's scale and offset.
inline int64_t qSegmentEnd(const QPanelSource& s, int64_t kk, int64_t k1) {
  if (s.format != QWeightFormat::Int4) return k1;
  const int64_t end = (kk / s.group_size + 1) * s.group_size;
  return end < k1 ? end : k1;
}

// out[kk - k0][j] = W[16p + j][kk] for kk in [k0, k0 + kc), j < 16 (0 past n).
using QDecodePanelFn = void (*)(const QPanelSource& src, int64_t p, int64_t k0, int64_t kc,
                                float* out);

// y[r][j] = sum over kk < k of x[r][kk] * W[16p + j][kk] (+ bias[j]), for r < rows (1 to
// kQGemvMaxRows) and j < cols (1 to 16); x rows ldx apart, y rows ldy apart, bias null or [cols].
using QGemvPanelFn = void (*)(const QPanelSource& src, int64_t p, const float* x, int64_t ldx,
                              int rows, const float* bias, float* y, int64_t ldy, int cols);

// Int4 rows of x quantized to int8 (qgemv_w4a8.h): y[r][j] for rows [row0, row0 + rows) of x
// (rows 1 to kW4A8MaxRows), channels 16p + j, j < cols; y rows ldy apart, bias null or [cols].
struct W4A8Rows;
using QGemvW4A8PanelFn = void (*)(const QPanelSource& s, int64_t p, const W4A8Rows& x,
                                  int64_t row0, int rows, const float* bias, float* y,
                                  int64_t ldy, int cols);

struct QDecodeVariant {
  const char* name;  // "avx512", "avx2"; "neondot"; "portable"
  QDecodePanelFn decode_panel;
  QGemvPanelFn gemv_panel;
  QGemvW4A8PanelFn gemv_w4a8;
  bool supported;  // this CPU can run it
};

// Every variant built into this library, best first (for tests and benchmarks).
const QDecodeVariant* qdecodeVariants(size_t* count);

// The variant LLMOPT_ISA names (scalar: portable, avx512vnni: avx512) when this CPU runs it, else
// the best this CPU runs.
const QDecodeVariant& bestQDecodeVariant();

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QDECODE_H
