// Int4 weights against int8 activations for the few rows of a decode step (W4A8, the way
// llama.cpp runs Q4 weights against Q8 activations). Single-token speed is bounded by the bytes
// of weights streamed, and decoding each nibble to fp32 costs more instructions than the memory
// system leaves time for; integer dot products (AVX-512 VNNI vpdpbusd on the nibbles as unsigned
// bytes) keep up with it.
//
// Each row of x is quantized per weight group g: xs = max|x| / 127, xq = round_half_even(x / xs)
// (|xq| <= 127), X = sum of x in fp32. With w = q * s + o (qpack.h's Int4),
//   y[c] = sum over groups of  (sum_k xq * q) * xs * s[g][c]  +  X[g] * o[g][c]   (+ bias[c]),
// the integer sums exact. The only approximation beyond the int4 weights is xq.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QGEMV_W4A8_H
#define LLMOPT_KERNELS_CPU_GENERIC_QGEMV_W4A8_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/qdecode.h"

namespace llmopt::kernels::cpu {

constexpr int kW4A8Step = 16;  // k rows per step of the vector kernel
constexpr int kW4A8MaxRows = 2;  // rows of x per panel call

// Whether a layer runs this way: Int4 with k and the group size multiples of kW4A8Step.
inline bool w4a8Applies(const QPanelSource& s) {
  return s.format == QWeightFormat::Int4 && s.k % kW4A8Step == 0 &&
         s.group_size % kW4A8Step == 0;
}

// x quantized per group: row r's values at q + r * k, its group g's scale and sum at
// scale[r * groups + g], sum[r * groups + g].
struct W4A8Rows {
  const int8_t* q = nullptr;
  const float* scale = nullptr;
  const float* sum = nullptr;
  int64_t k = 0, groups = 0;
};

// Bytes of scratch for quantizing m rows of k features in groups of at least kW4A8Step.
size_t w4a8ScratchBytes(int64_t m, int64_t k);

// Quantizes rows [0, m) of x (row stride ldx) into `scratch` (w4a8ScratchBytes(m, k) bytes,
// 4-byte aligned).
W4A8Rows quantizeW4A8Rows(const float* x, int64_t ldx, int64_t m, int64_t k, int64_t group_size,
                          void* scratch);

// The reference QGemvW4A8PanelFn (qdecode.h), in plain C++ (qgemv_w4a8_loops.h; built with the
// portable variant's other kernels in qdecode.cpp).
void gemvW4A8PanelPortable(const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0,
                           int rows, const float* bias, float* y, int64_t ldy, int cols);
// The reference compiled for AVX2 (x86 only).
void gemvW4A8PanelAvx2(const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0,
                       int rows, const float* bias, float* y, int64_t ldy, int cols);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QGEMV_W4A8_H
