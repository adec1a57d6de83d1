// A fixed set of worker threads that kernels split work across (kernels::Parallel). The calling
// thread takes part, so a pool of N threads starts N - 1 workers.
//
// Sessions share pools: ThreadPool::shared(n) hands every session of the process that asks for
// n threads the same pool, and a job posted while another session's job runs on it executes on
// the posting thread alone. Several models run side by side therefore never start more than
// n - 1 workers plus their callers (no oversubscription).
//
// Workers spin for a short while after each job before they sleep: a decoder step posts about a
// hundred small jobs back to back, and waking a sleeping thread costs more than most of them.
#ifndef LLMOPT_RUNTIME_THREAD_POOL_H
#define LLMOPT_RUNTIME_THREAD_POOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace llmopt::rt {

class ThreadPool final : public kernels::Parallel {
 public:
  // Throws std::system_error when a thread cannot start (caught at the C API).
  explicit ThreadPool(int num_threads);
  ~ThreadPool() override;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The process-wide pool of num_threads threads, started on first use and stopped when the
  // last holder lets go.
  static std::shared_ptr<ThreadPool> shared(int num_threads);

  int numThreads() const override { return static_cast<int>(workers_.size()) + 1; }
  void forEach(int64_t count, void (*task)(void* context, int64_t index),
               void* context) override;

 private:
  void workerLoop();
  void drain();  // runs indices of the current job until none are left

  std::vector<std::thread> workers_;
  std::mutex job_mutex_;  // held by the thread whose job the workers run

  std::mutex sleep_mutex_;
  std::condition_variable wake_;      // a job was posted, or stop_
  std::atomic<uint64_t> generation_{0};  // counts posted jobs
  std::atomic<bool> stop_{false};
  std::atomic<int> busy_{0};  // workers still inside the current job

  void (*task_)(void*, int64_t) = nullptr;
  void* context_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
};

// num_threads 0 means one per core.
int resolveThreadCount(int num_threads);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_THREAD_POOL_H
