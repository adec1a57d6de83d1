#include "thread_pool.h"

#include <chrono>
#include <map>

namespace llmopt::rt {
namespace {

// How long an idle worker, or a caller waiting for the workers, spins before it sleeps or
// yields. Long enough to bridge the gaps between the jobs of one run, short enough that an idle
// session gives its cores back at once.
constexpr auto kSpin = std::chrono::microseconds(200);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins on `done` for up to kSpin; true once it holds.
template <class Done>
bool spinUntil(Done&& done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (done()) return true;
    cpuRelax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) return false;
  }
}

}  // namespace

int resolveThreadCount(int num_threads) {
  if (num_threads > 0) return num_threads;
  unsigned cores = std::thread::hardware_concurrency();
  return cores ? static_cast<int>(cores) : 1;
}

std::shared_ptr<ThreadPool> ThreadPool::shared(int num_threads) {
  static std::mutex mutex;
  static std::map<int, std::weak_ptr<ThreadPool>> pools;
  std::lock_guard<std::mutex> lock(mutex);
  std::weak_ptr<ThreadPool>& slot = pools[num_threads];
  std::shared_ptr<ThreadPool> pool = slot.lock();
  if (!pool) {
    pool = std::make_shared<ThreadPool>(num_threads);
    slot = pool;
  }
  return pool;
}

ThreadPool::ThreadPool(int num_threads) {
  try {
    for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this] { workerLoop(); });
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    throw;
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::drain() {
  for (int64_t i = next_.fetch_add(1, std::memory_order_relaxed); i < count_;
       i = next_.fetch_add(1, std::memory_order_relaxed))
    task_(context_, i);
}

void ThreadPool::forEach(int64_t count, void (*task)(void*, int64_t), void* context) {
  std::unique_lock<std::mutex> job(job_mutex_, std::try_to_lock);
  // Another session's job holds the workers: this one runs on its own thread.
  if (workers_.empty() || count <= 1 || !job.owns_lock()) {
    for (int64_t i = 0; i < count; ++i) task(context, i);
    return;
  }
  task_ = task;
  context_ = context;
  count_ = count;
  next_.store(0, std::memory_order_relaxed);
  busy_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    // Under the sleep mutex, so a worker between its check and its wait cannot miss it.
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  drain();
  if (!spinUntil([this] { return busy_.load(std::memory_order_acquire) == 0; }))
    while (busy_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  for (;;) {
    const auto posted = [&] {
      return stop_.load(std::memory_order_acquire) ||
             generation_.load(std::memory_order_acquire) != seen;
    };
    if (!spinUntil(posted)) {
      std::unique_lock<std::mutex> lock(sleep_mutex_);
      wake_.wait(lock, posted);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    drain();
    busy_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace llmopt::rt
