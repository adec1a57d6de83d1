#include "kernels/cpu/generic/qlinear.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/qfloat16.h"
#include "kernels/cpu/generic/qpack.h"

namespace llmopt::kernels::cpu {
namespace {

constexpr int64_t kMc = 72;  // rows per task, a multiple of kQGemmMr

int64_t ceilDiv(int64_t x, int64_t y) { return (x + y - 1) / y; }

// One quantized activation row: 4 * ceil(k / 4) bytes, rounded up to a cache line.
int64_t rowBytes(int64_t k) { return (ceilDiv(k, 4) * 4 + 63) / 64 * 64; }

// The scratch holds m quantized rows, then m row scales.
float* rowScales(void* scratch, int64_t m, int64_t k) {
  return reinterpret_cast<float*>(static_cast<uint8_t*>(scratch) + m * rowBytes(k));
}

// u[0, padded) = round_half_even(x / s) + 128 (128 past k), s = max|x| / 127. A row of zeros (or
// one whose s underflows to 0) gets s = 0, a row holding inf or NaN s = NaN: all u are 128 then,
// and the epilogue gives bias or NaN.
void quantizeRow(const float* x, int64_t k, int64_t padded, uint8_t* u, float* scale) {
  // Finite floats order as their magnitude bits do, and every NaN lies above inf.
  uint32_t max_bits = 0;
  for (int64_t kk = 0; kk < k; ++kk) {
    const uint32_t bits = floatBits(x[kk]) & 0x7fffffffu;
    max_bits = bits > max_bits ? bits : max_bits;
  }
  const float s = floatFromBits(max_bits) / 127.0f;
  if (max_bits >= 0x7f800000u || s == 0.0f) {
    *scale = max_bits >= 0x7f800000u ? floatFromBits(0x7fc00000u) : 0.0f;
    std::memset(u, 128, padded);
    return;
  }
  *scale = s;
  // |x / s| stays below 191 (127 but for the rounding of a subnormal s). Adding and removing
  // 1.5 * 2^23 rounds it to an integer, half to even; integer clamping keeps the loop free of
  // float compares, which GCC does not vectorise.
  for (int64_t kk = 0; kk < k; ++kk) {
    const float rounded = (x[kk] / s + 12582912.0f) - 12582912.0f;
    const int32_t q = std::min(127, std::max(-127, static_cast<int32_t>(rounded)));
    u[kk] = static_cast<uint8_t>(q + 128);
  }
  std::memset(u + k, 128, padded - k);
}

// The epilogue: y = (acc - 128 colsum) * s * w_scale (+ bias) for rows x cols of the tile whose
// top left is y[i][col].
void storeTile(const LinearW8A8Args& a, const int32_t* acc, int rows, int64_t i, int64_t col,
               int64_t cols, const float* row_scales) {
  for (int r = 0; r < rows; ++r) {
    const float s = row_scales[i + r];
    const int32_t* sums = acc + r * kQGemmAccStride;
    float* y = a.y + (i + r) * a.n + col;
    for (int64_t j = 0; j < cols; ++j) {
      const int32_t sum = sums[j] - 128 * a.w_colsum[col + j];
      y[j] = static_cast<float>(sum) * (s * a.w_scale[col + j]);
    }
    if (a.bias)
      for (int64_t j = 0; j < cols; ++j) y[j] += a.bias[col + j];
  }
}

}  // namespace

size_t linearW8A8ScratchBytes(int64_t m, int64_t k, int64_t /*n*/) {
  return static_cast<size_t>(m * rowBytes(k) + m * static_cast<int64_t>(sizeof(float)));
}

void linearW8A8(const LinearW8A8Args& a, Parallel* parallel) {
  if (a.m == 0 || a.n == 0) return;
  const QGemmMicrokernelFn microkernel =
      (a.variant ? *a.variant : bestQGemmVariant()).microkernel;
  const int64_t kq = ceilDiv(a.k, 4), lda = rowBytes(a.k);
  auto* u = static_cast<uint8_t*>(a.scratch);
  float* row_scales = rowScales(a.scratch, a.m, a.k);
  parallelRanges(parallel, a.m, a.k, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      quantizeRow(a.x + i * a.k, a.k, kq * 4, u + i * lda, row_scales + i);
  });

  // One task: a block of up to kMc rows against a group of up to kQGemmPanels panels.
  const int64_t panels = qPanelCount(a.n);
  const int64_t row_blocks = ceilDiv(a.m, kMc);
  const int64_t panel_groups = ceilDiv(panels, kQGemmPanels);
  parallelFor(parallel, row_blocks * panel_groups, [&](int64_t task) {
    const int64_t m0 = (task / panel_groups) * kMc;
    const int64_t m1 = a.m - m0 < kMc ? a.m : m0 + kMc;
    const int64_t p0 = (task % panel_groups) * kQGemmPanels;
    const int64_t p1 = panels - p0 < kQGemmPanels ? panels : p0 + kQGemmPanels;
    const int64_t col = p0 * kQPanelWidth;
    const int64_t cols = (a.n < p1 * kQPanelWidth ? a.n : p1 * kQPanelWidth) - col;
    alignas(64) int32_t acc[kQGemmMr * kQGemmAccStride];
    for (int64_t i = m0; i < m1; i += kQGemmMr) {
      const int rows = static_cast<int>(m1 - i < kQGemmMr ? m1 - i : kQGemmMr);
      microkernel(kq, u + i * lda, lda, a.w + p0 * kq * 64, kq * 64, static_cast<int>(p1 - p0),
                  rows, acc);
      storeTile(a, acc, rows, i, col, cols, row_scales);
    }
  });
}

}  // namespace llmopt::kernels::cpu
