#include "kernels/cpu/generic/qlinear.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/qpack.h"
#include "kernels/cpu/generic/sliced_prefetch.h"

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

// How many ranges of consecutive panel groups an m-row product splits into: for a few rows,
// bound by streaming the weights, about 4 per thread (chunks.h, streamRunLength); for more, 2
// per thread: the dynamic claiming still evens out threads that run at different speeds, and
// each range is long enough for prefetching. Measured against one group per task (GPT-2 small,
// 128 rows, 2 threads, AMD EPYC VM): K = 768 layers with weights from memory 0.96x the time,
// K = 3072 even; the whole model 0.99x, and 0.90-0.93x while the VM's memory was contended.
int64_t groupRanges(const Parallel* parallel, int64_t groups, int64_t m) {
  const int64_t threads = parallel ? parallel->numThreads() : 1;
  const int64_t per_thread = m <= kW8A8StreamRows ? 4 : 2;
  return std::max<int64_t>(1, std::min<int64_t>(groups, per_thread * threads));
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

  // One task: a block of up to kMc rows against a range of consecutive groups of up to
  // kQGemmPanels panels; the ranges split the groups evenly into a few tasks per thread
  // (groupRanges). A thread then writes one run of output columns (the LM head's rows, n * 4
  // bytes apart, are not line-aligned: groups taken in turn by two threads shared the lines at
  // their borders) and, while the current group's tiles run, prefetches the next group's
  // weights, which a task that is one group long could not know.
  const int64_t mr = variant.mr, kMc = kMcBlocks * mr;
  const int64_t panels = qPanelCount(a.n);
  const int64_t row_blocks = ceilDiv(a.m, kMc);
  const int64_t panel_groups = ceilDiv(panels, kQGemmPanels);
  const int64_t ranges = groupRanges(parallel, panel_groups, a.m);
  parallelFor(parallel, row_blocks * ranges, [&](int64_t task) {
    const int64_t m0 = (task / ranges) * kMc;
    const int64_t m1 = a.m - m0 < kMc ? a.m : m0 + kMc;
    const int64_t range = task % ranges;
    const int64_t g0 = panel_groups * range / ranges;
    const int64_t g1 = panel_groups * (range + 1) / ranges;
    const QGemmRun gemm_run(variant, kq);
    for (int64_t group = g0; group < g1; ++group) {
      const int64_t p0 = group * kQGemmPanels;
      const int64_t p1 = panels - p0 < kQGemmPanels ? panels : p0 + kQGemmPanels;
      const int64_t col = p0 * kQPanelWidth;
      const int64_t cols = (a.n < p1 * kQPanelWidth ? a.n : p1 * kQPanelWidth) - col;
      // The next group's weights, a slice before each row block's products, into L2 (a few rows
      // stream their weights, which the hardware prefetcher follows).
      SlicedPrefetch prefetch;
      if (group + 1 < g1 && a.m > kW8A8StreamRows) {
        const int64_t next_panels = std::min(panels, p1 + kQGemmPanels) - p1;
        prefetch =
            SlicedPrefetch(a.w + p1 * kq * 64, next_panels * kq * 64, 1, 0, ceilDiv(m1 - m0, mr));
      }
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
        prefetch.nextSlice();
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
