// Splitting elementwise work into chunks for the thread pool, only when the work is large enough
// to pay for waking threads.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_CHUNKS_H
#define LLMOPT_KERNELS_CPU_GENERIC_CHUNKS_H

#include <algorithm>
#include <cstdint>

#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

// Below this many elements per chunk, threading costs more than it saves.
constexpr int64_t kMinChunkElements = 16384;

// How many chunks to split `items` work items (`elements` elements in all) into: 1 when there is
// no pool or too little work, else up to chunks_per_thread per thread (several let threads that
// finish early take more).
inline int64_t chunkCount(const Parallel* parallel, int64_t items, int64_t elements,
                          int64_t chunks_per_thread = 4) {
  if (parallel == nullptr || parallel->numThreads() <= 1 || items <= 1) return 1;
  const int64_t by_size = elements / kMinChunkElements;
  return std::max<int64_t>(
      1, std::min<int64_t>({items, by_size, parallel->numThreads() * chunks_per_thread}));
}

// Calls fn(begin, end) over disjoint ranges covering [0, items), possibly concurrently.
template <class Fn>
void parallelRanges(Parallel* parallel, int64_t items, int64_t elements_per_item, Fn&& fn,
                    int64_t chunks_per_thread = 4) {
  if (items <= 0) return;
  const int64_t chunks = chunkCount(parallel, items, items * elements_per_item, chunks_per_thread);
  if (chunks == 1) {
    fn(int64_t(0), items);
    return;
  }
  parallelFor(parallel, chunks, [&](int64_t c) { fn(items * c / chunks, items * (c + 1) / chunks); });
}

// How many consecutive weight panels one task of a single-token product takes: at least min_run,
// and as many as leave about 4 tasks per thread. Such a product streams its weights from memory
// once, and each thread's run of panels is one sequential stream for the hardware prefetcher;
// runs of 4 panels claimed in turn by 2 threads (24 KB each for int4 at K = 768) streamed slower
// than one thread alone (measured: 21.5 GB/s, against 32-38 with long runs).
inline int64_t streamRunLength(const Parallel* parallel, int64_t panels, int64_t min_run) {
  const int64_t tasks = 4 * static_cast<int64_t>(parallel ? parallel->numThreads() : 1);
  return std::max<int64_t>(min_run, (panels + tasks - 1) / tasks);
}

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_CHUNKS_H
