// The thread counts every multi-threaded kernel line is timed at.
#ifndef LLMOPT_BENCH_KERNELS_THREAD_COUNTS_H
#define LLMOPT_BENCH_KERNELS_THREAD_COUNTS_H

#include <memory>

#include "settings.h"
#include "thread_pool.h"

namespace llmopt::bench {

// Calls run(threads, parallel) with 1 thread (no pool) and, when settings.threads > 1, with that
// many threads (the runtime's ThreadPool).
template <class Run>
void forEachThreadCount(const Settings& settings, Run&& run) {
  run(1, static_cast<kernels::Parallel*>(nullptr));
  if (settings.threads > 1) {
    rt::ThreadPool pool(settings.threads);
    run(settings.threads, static_cast<kernels::Parallel*>(&pool));
  }
}

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_THREAD_COUNTS_H
