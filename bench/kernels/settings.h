// What one run of llmopt-kernel-bench measures, and how long it spends on each number.
#ifndef LLMOPT_BENCH_KERNELS_SETTINGS_H
#define LLMOPT_BENCH_KERNELS_SETTINGS_H

#include <cstdint>
#include <string>

#include "timing.h"

namespace llmopt::bench {

struct Settings {
  int threads = 1;  // the "N threads" of the bandwidth and GEMV lines (1 thread is always timed)
  bool quick = false;
  bool limits = true, kernels = true;  // --only
  bool peaks = true;  // with limits: the peak loops too (--only bandwidth: read bandwidth alone)
  std::string json_path;
  TimingOptions timing;      // peak loops (best run) and kernels (median run)
  int bandwidth_passes = 5;  // memory bandwidth: best of passes
  int64_t bandwidth_bytes = int64_t(1) << 30;
  // GEMM shape (int8 and fp32), one thread.
  int64_t gemm_m = 128, gemm_k = 768, gemm_n = 3072;
  // GEMV (M = 1) shape; distinct copies of the weights are cycled through until they add up to
  // gemv_bytes, so the weights come from memory, not from the last-level cache.
  int64_t gemv_k = 768, gemv_n = 50257;
  int64_t gemv_bytes = 0;  // 0: max(bandwidth_bytes, 4 x the last-level cache)
};

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_SETTINGS_H
