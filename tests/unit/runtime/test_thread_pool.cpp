#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "thread_pool.h"

namespace llmopt::testing {
namespace {

using rt::ThreadPool;

// Runs a job of `count` indices on `pool` and checks each ran exactly once.
void expectEveryIndexOnce(ThreadPool& pool, int64_t count) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(count));
  for (auto& hit : hits) hit.store(0);
  struct Context {
    std::vector<std::atomic<int>>* hits;
  } context{&hits};
  pool.forEach(
      count,
      [](void* c, int64_t i) { (*static_cast<Context*>(c)->hits)[i].fetch_add(1); },
      &context);
  for (int64_t i = 0; i < count; ++i) ASSERT_EQ(hits[i].load(), 1) << "index " << i;
}

TEST(ThreadPool, EveryIndexOnceAcrossManyJobsBackToBack) {
  // Many short jobs in a row: workers pick each up while spinning, none may miss or repeat one.
  ThreadPool pool(3);
  for (int job = 0; job < 2000; ++job) expectEveryIndexOnce(pool, 1 + job % 7);
}

TEST(ThreadPool, JobsAfterTheWorkersFellAsleep) {
  ThreadPool pool(2);
  expectEveryIndexOnce(pool, 100);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the spin: workers sleep
  expectEveryIndexOnce(pool, 100);
}

TEST(ThreadPool, SharedPoolsPerThreadCount) {
  auto a = ThreadPool::shared(3);
  auto b = ThreadPool::shared(3);
  auto c = ThreadPool::shared(2);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(a->numThreads(), 3);
  EXPECT_EQ(c->numThreads(), 2);
  // Once every holder lets go, the pool stops; the next caller gets a fresh one.
  std::weak_ptr<ThreadPool> weak = a;
  a.reset();
  b.reset();
  EXPECT_TRUE(weak.expired());
}

TEST(ThreadPool, ConcurrentCallersOfOnePoolEachFinishTheirJob) {
  // Two sessions sharing a pool: one job gets the workers, the other runs on its caller.
  auto pool = ThreadPool::shared(2);
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 3; ++t)
    callers.emplace_back([&] {
      for (int job = 0; job < 300; ++job) {
        std::vector<std::atomic<int>> hits(64);
        for (auto& hit : hits) hit.store(0);
        pool->forEach(
            64,
            [](void* c, int64_t i) {
              (*static_cast<std::vector<std::atomic<int>>*>(c))[i].fetch_add(1);
            },
            &hits);
        for (auto& hit : hits)
          if (hit.load() != 1) failures.fetch_add(1);
      }
    });
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace llmopt::testing
