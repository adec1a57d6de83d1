#include "kernels/cpu/generic/gemm.h"

#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/pack_a.h"
#include "kernels/cpu/generic/pack_b.h"
#include "kernels/cpu/generic/sliced_prefetch.h"

namespace llmopt::kernels::cpu {
namespace {

// K block: the microkernel's panels of B (up to 2 x kKc x 16 floats = 32 KiB) stay in L1 while
// a row block of packed A (kMc x kKc floats = 132 KiB: all of a 128-token prompt, so B is read
// once) streams from L2.
constexpr int64_t kKc = 256;
constexpr int64_t kMc = 132;  // a multiple of every variant's mr (6, 12)
constexpr int64_t kPanelsPerTask = 4;  // a multiple of every variant's max_panels (1, 2)

int64_t ceilDiv(int64_t x, int64_t y) { return (x + y - 1) / y; }

// C = bias (or 0), or C += bias when accumulating: the whole product when K is 0.
void fillWithBias(const GemmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    float* row = g.c + i * g.ldc;
    for (int64_t j = 0; j < g.n; ++j) {
      const float add = g.bias ? g.bias[j] : 0.0f;
      row[j] = g.accumulate ? row[j] + add : add;
    }
  }
}

// Scratch: [a K block of B's panels (KN only)][A's rows packed (pack_a.h)]. The first part is a
// whole number of panels (64 bytes each), so the packed rows stay 64-byte aligned.
size_t packedBFloats(int64_t n, int64_t k, BLayout layout) {
  if (layout != BLayout::KN) return 0;
  const int64_t kc = k < kKc ? k : kKc;
  return static_cast<size_t>(kc * panelCount(n) * kPanelWidth);
}

}  // namespace

size_t gemmScratchFloats(int64_t m, int64_t n, int64_t k, BLayout layout) {
  return packedBFloats(n, k, layout) + packedAFloats(m, k);
}

void gemmF32(const GemmArgs& g, Parallel* parallel) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) return fillWithBias(g);
  const GemmMicrokernelVariant& kernel = g.variant ? *g.variant : bestGemmMicrokernel();
  const int64_t panels = panelCount(g.n);
  const int64_t row_blocks = ceilDiv(g.m, kMc);
  const int64_t panel_groups = ceilDiv(panels, kPanelsPerTask);
  float* packed_b = g.scratch;
  float* packed_a = g.scratch + packedBFloats(g.n, g.k, g.b_layout);
  packARows(g.a, g.lda, g.m, g.k, kernel.mr, packed_a, parallel, kernel.pack_block);

  // One task: a block of up to kMc rows against a group of up to kPanelsPerTask panels, over K
  // block [k0, k0 + kc) of panels laid out from panel_base (panel_stride floats apart).
  // `prefetch`: packed B, read from memory, by tasks of several row tiles (a constant at each
  // call, so that the calls without it compile without the prefetch code).
  const auto runTask = [&](int64_t task, int64_t k0, int64_t kc, const float* panel_base,
                           int64_t panel_stride, bool prefetch) {
    const bool first = k0 == 0;
    const bool last = k0 + kc == g.k;
    const int64_t m0 = (task / panel_groups) * kMc;
    const int64_t m1 = g.m - m0 < kMc ? g.m : m0 + kMc;
    const int64_t p0 = (task % panel_groups) * kPanelsPerTask;
    const int64_t p1 = panels - p0 < kPanelsPerTask ? panels : p0 + kPanelsPerTask;
    const int64_t row_tiles = ceilDiv(m1 - m0, kernel.mr);
    for (int64_t p = p0; p < p1; p += kernel.max_panels) {
      const int count = static_cast<int>(p1 - p < kernel.max_panels ? p1 - p : kernel.max_panels);
      const float* panel = panel_base + p * panel_stride;
      const int64_t col = p * kPanelWidth;
      const int64_t width = count * kPanelWidth;
      const int cols = static_cast<int>(g.n - col < width ? g.n - col : width);
      const float* bias = (last && g.bias) ? g.bias + col : nullptr;
      // Packed B is read from memory (a layer's weights once per run), and the first row tile
      // of a block would read its panels as fast as its FMAs consume them: while this block's
      // row tiles run, the block the task multiplies next (the next panels, or after the last
      // ones the first of the next K block) is prefetched into L2, a slice per tile.
      SlicedPrefetch next;
      if (prefetch && row_tiles > 1) {
        const int64_t next_p = p + kernel.max_panels < p1 ? p + kernel.max_panels : p0;
        const int64_t next_k0 = next_p == p0 ? k0 + kc : k0;
        if (next_k0 < g.k) {
          const int64_t next_kc = g.k - next_k0 < kKc ? g.k - next_k0 : kKc;
          const int64_t next_count =
              p1 - next_p < kernel.max_panels ? p1 - next_p : kernel.max_panels;
          // Packed B's panels hold all of K: the block is next_kc rows of each panel.
          next = SlicedPrefetch(g.b + next_p * panel_stride + next_k0 * kPanelWidth,
                                next_kc * kPanelWidth * sizeof(float), next_count,
                                panel_stride * sizeof(float), row_tiles);
        }
      }
      for (int64_t i = m0; i < m1; i += kernel.mr) {
        const int rows = static_cast<int>(m1 - i < kernel.mr ? m1 - i : kernel.mr);
        next.nextSlice();
        kernel.fn(kc, packed_a + i * g.k + k0 * rows, panel, panel_stride, count,
                  g.c + i * g.ldc + col, g.ldc, rows, cols, g.accumulate || !first, bias);
      }
    }
  };

  if (g.b_layout == BLayout::PackedN16 && g.m <= kernel.mr) {
    // One row tile (a token, a few): bound by streaming the weights, which nothing reuses. Each
    // task takes a run of consecutive panel groups over all of K at once: a thread's weights are
    // then one sequential stream, where K blocks and groups claimed in turn by the threads were
    // short runs scattered over the panels (chunks.h, streamRunLength).
    const int64_t run = streamRunLength(parallel, panel_groups, 1);
    parallelFor(parallel, ceilDiv(panel_groups, run), [&](int64_t range) {
      const int64_t end = panel_groups < (range + 1) * run ? panel_groups : (range + 1) * run;
      for (int64_t group = range * run; group < end; ++group)
        runTask(group, 0, g.k, g.b, g.k * kPanelWidth, false);
    });
    return;
  }
  if (g.b_layout == BLayout::PackedN16) {
    // Each task runs every K block of its tile (which stays in cache between them): one
    // fork-join per product rather than one per K block, whose stragglers each cost a wait.
    parallelFor(parallel, row_blocks * panel_groups, [&](int64_t task) {
      for (int64_t k0 = 0; k0 < g.k; k0 += kKc)
        runTask(task, k0, g.k - k0 < kKc ? g.k - k0 : kKc, g.b + k0 * kPanelWidth,
                g.k * kPanelWidth, true);
    });
    return;
  }

  // Row-major B: each K block is packed into scratch, then multiplied.
  for (int64_t k0 = 0; k0 < g.k; k0 += kKc) {
    const int64_t kc = g.k - k0 < kKc ? g.k - k0 : kKc;
    const float* b_rows = g.b + k0 * g.ldb;
    parallelFor(parallel, panel_groups, [&](int64_t group) {
      const int64_t p0 = group * kPanelsPerTask;
      const int64_t count = panels - p0 < kPanelsPerTask ? panels - p0 : kPanelsPerTask;
      packBPanels(b_rows, g.ldb, kc, g.n, p0, count, packed_b + p0 * kc * kPanelWidth);
    });
    parallelFor(parallel, row_blocks * panel_groups,
                [&](int64_t task) { runTask(task, k0, kc, packed_b, kc * kPanelWidth, false); });
  }
}

}  // namespace llmopt::kernels::cpu
