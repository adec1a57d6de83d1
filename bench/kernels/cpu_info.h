// What the benchmark reports about the machine, and which instruction sets it may run.
#ifndef LLMOPT_BENCH_KERNELS_CPU_INFO_H
#define LLMOPT_BENCH_KERNELS_CPU_INFO_H

#include <cstdint>
#include <string>

namespace llmopt::bench {

struct CpuInfo {
  std::string model;      // /proc/cpuinfo "model name" (or "unknown")
  int logical_cpus = 1;   // std::thread::hardware_concurrency
  int cores = 1;          // distinct (physical id, core id) pairs; logical_cpus if unknown
  int64_t llc_bytes = 0;  // the last-level cache (sysfs), 0 if unknown
  // Instruction sets this CPU and OS can run (false on non-x86 builds).
  bool avx2_fma = false;
  bool avx512f = false;
  bool avx512vnni = false;  // with avx512bw/vl, as the runtime's VNNI kernel needs
  bool avxvnni = false;     // VEX-encoded AVX-VNNI (ymm)
  bool amx_int8 = false;    // tiles present and enabled by the OS for this process
};

CpuInfo detectCpu();

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_CPU_INFO_H
