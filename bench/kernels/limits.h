// Part 1: this machine's limits — one core's fp32 FMA and int8 dot-product peaks, and memory
// bandwidth — which the kernels' rates are reported against.
#ifndef LLMOPT_BENCH_KERNELS_LIMITS_H
#define LLMOPT_BENCH_KERNELS_LIMITS_H

#include <vector>

#include "cpu_info.h"
#include "report.h"
#include "settings.h"

namespace llmopt::bench {

// 0 where not measured (the CPU lacks the instructions, or --only kernels).
struct Limits {
  double fma_zmm_gflops = 0, fma_ymm_gflops = 0;                 // one core
  double vnni_zmm_gmacs = 0, vnni_ymm_gmacs = 0, amx_gmacs = 0;  // one core
  double read_gbs_1 = 0;                                         // read bandwidth, 1 thread
  double read_gbs_n = 0;  // read bandwidth, settings.threads threads
};

// Measures every limit, one row per number.
Limits measureLimits(const CpuInfo& cpu, const Settings& settings, RowLog& log);

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_LIMITS_H
