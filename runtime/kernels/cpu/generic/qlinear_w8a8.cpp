#include "kernels/cpu/generic/qlinear.h"

#include <cstring>

#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/qpack.h"

namespace llmopt::kernels::cpu {
namespace {

constexpr int64_t kMcBlocks = 12;  // microkernel row blocks per task
// Up to this many rows a product is bound by streaming its weights (a token, a few sequences).
constexpr int64_t kW8A8StreamRows = 4;

int64_t ceilDiv(int64_t x, int64_t y) { return (x + y - 1) / y; }

// One quantized activation row: 4 * ceil(k / 4) bytes, rounded up to a cache line.
int64_t rowBytes(int64_t k) { return (ceilDiv(k, 4) * 4 + 63) / 64 * 64; }

// Quantized rows held: m rounded up to kQGemmMaxMr, for a variant that reads a whole row block.
int64_t paddedRows(int64_t m) { return ceilDiv(m, kQGemmMaxMr) * kQGemmMaxMr; }

// The scratch holds paddedRows(m) quantized rows, then m row scales.
float* rowScales(void* scratch, int64_t m, int64_t k) {
  return reinterpret_cast<float*>(static_cast<uint8_t*>(scratch) + paddedRows(m) * rowBytes(k));
}

}  // namespace

size_t linearW8A8ScratchBytes(int64_t m, int64_t k, int64_t /*n*/) {
  return static_cast<size_t>(paddedRows(m) * rowBytes(k) + m * static_cast<int64_t>(sizeof(float)));
}

void linearW8A8(const LinearW8A8Args& a, Parallel* parallel) {
  if (a.m == 0 || a.n == 0) return;
  const QGemmVariant& variant = a.variant ? *a.variant : qgemmVariantForRows(a.m);
  const int64_t kq = ceilDiv(a.k, 4), lda = rowBytes(a.k);
  auto* u = static_cast<uint8_t*>(a.scratch);
  float* row_scales = rowScales(a.scratch, a.m, a.k);
  parallelRanges(parallel, a.m, a.k, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      variant.quantize_row(a.x + i * a.k, a.k, kq * 4, u + i * lda, row_scales + i);
  });
  // Rows past m that a whole-tile variant (AMX) reads: zeros (u = 128), never stored. The others
  // read `rows` rows only, and a single token would otherwise clear 15 rows per layer.
  if (variant.reads_whole_tile)
    std::memset(u + a.m * lda, 128, static_cast<size_t>((paddedRows(a.m) - a.m) * lda));

  // One task: a block of up to kMc rows against a run of groups of up to kQGemmPanels panels
  // each: one group, or for a few rows (a single token, bound by memory) a long run, so that
  // each thread streams its weights in one sequence (chunks.h, streamRunLength).
  const int64_t mr = variant.mr, kMc = kMcBlocks * mr;
  const int64_t panels = qPanelCount(a.n);
  const int64_t row_blocks = ceilDiv(a.m, kMc);
  const int64_t panel_groups = ceilDiv(panels, kQGemmPanels);
  const int64_t run = a.m <= kW8A8StreamRows ? streamRunLength(parallel, panel_groups, 1) : 1;
  const int64_t runs = ceilDiv(panel_groups, run);
  parallelFor(parallel, row_blocks * runs, [&](int64_t task) {
    const int64_t m0 = (task / runs) * kMc;
    const int64_t m1 = a.m - m0 < kMc ? a.m : m0 + kMc;
    const int64_t g0 = (task % runs) * run;
    const int64_t g1 = panel_groups - g0 < run ? panel_groups : g0 + run;
    const QGemmRun gemm_run(variant, kq);
    for (int64_t group = g0; group < g1; ++group) {
      const int64_t p0 = group * kQGemmPanels;
      const int64_t p1 = panels - p0 < kQGemmPanels ? panels : p0 + kQGemmPanels;
      const int64_t col = p0 * kQPanelWidth;
      const int64_t cols = (a.n < p1 * kQPanelWidth ? a.n : p1 * kQPanelWidth) - col;
      // Two accumulator tiles: each tile's epilogue runs after the next tile's products are
      // issued, so it reads sums stored long before (AMX's tile stores take a while to land)
      // while the next products run.
      alignas(64) int32_t acc[2][kQGemmMaxMr * kQGemmAccStride];
      const auto store = [&](int64_t i, const int32_t* sums) {
        const int rows = static_cast<int>(m1 - i < mr ? m1 - i : mr);
        variant.store_tile(sums, rows, cols, row_scales + i, a.w_colsum + col, a.w_scale + col,
                           a.bias ? a.bias + col : nullptr, a.y + i * a.n + col, a.n);
      };
      int64_t pending = -1;  // the first row of the tile whose epilogue is due, in acc[due]
      int due = 0;
      for (int64_t i = m0; i < m1; i += mr) {
        const int rows = static_cast<int>(m1 - i < mr ? m1 - i : mr);
        const int next = pending < 0 ? 0 : 1 - due;
        variant.microkernel(kq, u + i * lda, lda, a.w + p0 * kq * 64, kq * 64,
                            static_cast<int>(p1 - p0), rows, acc[next]);
        if (pending >= 0) store(pending, acc[due]);
        pending = i;
        due = next;
      }
      if (pending >= 0) store(pending, acc[due]);
    }
  });
}

}  // namespace llmopt::kernels::cpu
