#include "kernels/cpu/generic/qlinear.h"

#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/gemm_microkernel.h"
#include "kernels/cpu/generic/pack_a.h"
#include "kernels/cpu/generic/qgemv_w4a8.h"
#include "kernels/cpu/generic/qpack.h"

namespace llmopt::kernels::cpu {
namespace {

constexpr int64_t kMinPanelsPerGemvTask = 4;  // the shortest run of panels a GEMV task takes
// A decoded panel block (kKc x 16 floats = 16 KiB) stays in L1 while a block of up to kMc rows
// of x (kMc x kKc floats = 144 KiB) streams from L2, as in gemm.cpp.
constexpr int64_t kKc = 256;
constexpr int64_t kMc = 144;  // a multiple of every fp32 microkernel's mr (6, 12)

int64_t ceilDiv(int64_t x, int64_t y) { return (x + y - 1) / y; }

// y = bias (or 0) in columns [col, col + cols) of rows [m0, m1): the whole product when k = 0.
void fillWithBias(const LinearDecodedArgs& a, int64_t m0, int64_t m1, int64_t col, int cols) {
  for (int64_t i = m0; i < m1; ++i)
    for (int j = 0; j < cols; ++j) a.y[i * a.n + col + j] = a.bias ? a.bias[col + j] : 0.0f;
}

}  // namespace

size_t linearDecodedScratchFloats(int64_t m, int64_t k, int64_t /*n*/) {
  // Int4 GEMV rows quantized to int8 (qgemv_w4a8.h); the GEMM packs x's rows for the fp32
  // microkernel (pack_a.h) and decodes the weights on the stack.
  if (m > kDecodedGemvMaxM) return packedAFloats(m, k);
  return (w4a8ScratchBytes(m, k) + sizeof(float) - 1) / sizeof(float);
}

void linearDecoded(const LinearDecodedArgs& a, Parallel* parallel) {
  if (a.m == 0 || a.n == 0) return;
  const QDecodeVariant& variant = a.variant ? *a.variant : bestQDecodeVariant();
  QPanelSource src;
  src.format = a.format;
  src.w = a.w;
  src.scale = a.scale;
  src.group_scale = a.group_scale;
  src.group_offset = a.group_offset;
  src.group_size = a.group_size;
  src.k = a.k;
  const int64_t panels = qPanelCount(a.n);

  if (a.m <= kDecodedGemvMaxM) {
    // Int4 multiplies x quantized to int8 (qgemv_w4a8.h), the other formats x itself.
    const bool w4a8 = w4a8Applies(src);
    W4A8Rows quantized;
    if (w4a8) quantized = quantizeW4A8Rows(a.x, a.k, a.m, a.k, a.group_size, a.scratch);
    const int64_t step = w4a8 ? kW4A8MaxRows : kQGemvMaxRows;
    const int64_t run = streamRunLength(parallel, panels, kMinPanelsPerGemvTask);
    parallelFor(parallel, ceilDiv(panels, run), [&](int64_t task) {
      const int64_t p0 = task * run;
      const int64_t p1 = panels - p0 < run ? panels : p0 + run;
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t col = p * kQPanelWidth;
        const int cols = static_cast<int>(a.n - col < kQPanelWidth ? a.n - col : kQPanelWidth);
        const float* bias = a.bias ? a.bias + col : nullptr;
        for (int64_t i = 0; i < a.m; i += step) {
          const int rows = static_cast<int>(a.m - i < step ? a.m - i : step);
          float* y = a.y + i * a.n + col;
          if (w4a8)
            variant.gemv_w4a8(src, p, quantized, i, rows, bias, y, a.n, cols);
          else
            variant.gemv_panel(src, p, a.x + i * a.k, a.k, rows, bias, y, a.n, cols);
        }
      }
    });
    return;
  }

  // One task: the microkernel's panels (one or two) against a block of up to kMc rows, K block
  // by K block, each block of the panels decoded once into a buffer on the stack for the fp32
  // microkernel (two panels per call keep the AVX-512 tile of 12 x 32 the fp32 GEMM uses).
  const GemmMicrokernelVariant& kernel = bestGemmMicrokernel();
  const int64_t row_blocks = ceilDiv(a.m, kMc);
  const int64_t panels_per_task = kernel.max_panels;
  const int64_t column_blocks = ceilDiv(panels, panels_per_task);
  packARows(a.x, a.k, a.m, a.k, kernel.mr, a.scratch, parallel, kernel.pack_block);
  parallelFor(parallel, row_blocks * column_blocks, [&](int64_t task) {
    const int64_t m0 = (task / column_blocks) * kMc;
    const int64_t m1 = a.m - m0 < kMc ? a.m : m0 + kMc;
    const int64_t p0 = (task % column_blocks) * panels_per_task;
    const int task_panels = static_cast<int>(
        panels - p0 < panels_per_task ? panels - p0 : panels_per_task);
    const int64_t col = p0 * kQPanelWidth;
    const int cols = static_cast<int>(a.n - col < task_panels * kQPanelWidth
                                          ? a.n - col
                                          : task_panels * kQPanelWidth);
    if (a.k == 0) return fillWithBias(a, m0, m1, col, cols);
    constexpr int64_t kBlockFloats = kKc * kQPanelWidth;
    alignas(64) float block[kGemmMaxPanels * kBlockFloats];
    for (int64_t k0 = 0; k0 < a.k; k0 += kKc) {
      const int64_t kc = a.k - k0 < kKc ? a.k - k0 : kKc;
      for (int i = 0; i < task_panels; ++i)
        variant.decode_panel(src, p0 + i, k0, kc, block + i * kBlockFloats);
      const float* bias = (k0 + kc == a.k && a.bias) ? a.bias + col : nullptr;
      for (int64_t i = m0; i < m1; i += kernel.mr) {
        const int rows = static_cast<int>(m1 - i < kernel.mr ? m1 - i : kernel.mr);
        kernel.fn(kc, a.scratch + i * a.k + k0 * rows, block, kBlockFloats, task_panels,
                  a.y + i * a.n + col, a.n, rows, cols, k0 > 0, bias);
      }
    }
  });
}

}  // namespace llmopt::kernels::cpu
