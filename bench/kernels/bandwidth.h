// Memory bandwidth: one buffer, much larger than the last-level cache, read (or copied) by 1 to
// N threads, each a contiguous slice (read as four streams); the best of several passes.
#ifndef LLMOPT_BENCH_KERNELS_BANDWIDTH_H
#define LLMOPT_BENCH_KERNELS_BANDWIDTH_H

#include <cstdint>
#include <vector>

#include "aligned_buffer.h"
#include "cpu_info.h"

namespace llmopt::bench {

struct BandwidthResult {
  double best = 0;             // bytes per second
  std::vector<double> passes;  // every pass, bytes per second
  int64_t bytes = 0;           // bytes moved per pass (a copy counts what it reads and writes)
};

// The widest loads the read loop uses on this CPU: "avx512", "avx2" or "scalar".
const char* readLoopName(const CpuInfo& cpu);

// Sums the first `bytes` of buf (rounded down to whole 4 KiB pages per thread).
BandwidthResult measureRead(const CpuInfo& cpu, const AlignedBuffer& buf, int64_t bytes,
                            int threads, int passes);
// memcpy from the first half of the buffer to the second (glibc's large-copy path).
BandwidthResult measureCopy(const AlignedBuffer& buf, int64_t bytes, int threads, int passes);

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_BANDWIDTH_H
