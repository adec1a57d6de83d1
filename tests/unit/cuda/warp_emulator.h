// An emulated CUDA warp for host tests of runtime/kernels/cuda: EmuExec runs the kernels' team
// code on 32 real threads per team, combining values with the butterfly (__shfl_xor_sync) order.
//
// Why it exists: the serial HostExec (team.cuh) gives every team item to one SerialTeam of size 1,
// so it never splits work across lanes and never exercises the lane-strided loops or the
// cross-lane reductions. The emulator does: each lane runs the team body with its own lane index,
// and reduce() exchanges values through shared slots between barriers exactly as the shuffles of
// a warp would, so results (including their rounding) match what a GPU warp computes.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "kernels/cuda/kernels.cuh"

namespace llmopt::cuda_test {

namespace cu = llmopt::cuda;

// A reusable barrier for the 32 lanes. Waiters yield rather than sleep on a condition variable:
// with 32 threads on a couple of cores, a mutex + notify_all barrier spent almost all of its time
// in the kernel (thundering herd on the mutex); yielding keeps the test fast on small CI machines.
class LaneBarrier {
 public:
  explicit LaneBarrier(int n) : n_(n) {}
  void wait() {
    const int gen = gen_.load(std::memory_order_acquire);
    if (count_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
      count_.store(0, std::memory_order_relaxed);
      gen_.store(gen + 1, std::memory_order_release);
    } else {
      while (gen_.load(std::memory_order_acquire) == gen) std::this_thread::yield();
    }
  }

 private:
  const int n_;
  std::atomic<int> count_{0};
  std::atomic<int> gen_{0};
};

struct WarpShared {
  LaneBarrier barrier{32};
  uint64_t slots[32];
};

// The team interface of kernels/cuda/team.cuh (lane, size, reduce, sum) for one emulated lane.
struct EmuWarpTeam {
  static constexpr int kSize = 32;
  int lane_;
  WarpShared* shared;
  int lane() const { return lane_; }
  int size() const { return kSize; }
  // Butterfly: at each step lane l combines its value with lane l ^ offset, offsets 16..1.
  template <class T, class Op>
  T reduce(T v, Op op) const {
    static_assert(sizeof(T) <= sizeof(uint64_t), "a shuffle moves at most 8 bytes");
    for (int offset = 16; offset > 0; offset >>= 1) {
      std::memcpy(&shared->slots[lane_], &v, sizeof(T));
      shared->barrier.wait();
      T other;
      std::memcpy(&other, &shared->slots[lane_ ^ offset], sizeof(T));
      shared->barrier.wait();  // everyone has read before the slots are written again
      v = op(v, other);
    }
    return v;
  }
  template <class T>
  T sum(T v) const {
    return reduce(v, cu::PlusOp());
  }
  template <class T, int N>
  void sumEach(T (&v)[N]) const {
    for (int j = 0; j < N; ++j) v[j] = sum(v[j]);
  }
};

// The executor interface of team.cuh. Thread-level loops visit items in a scrambled
// (grid-strided, backwards) order, so no kernel can depend on the serial order; team loops run
// every item on 32 real threads, one per lane.
struct EmuExec {
  static constexpr bool kGemv = false;
  template <class F>
  void forEach(int64_t n, F f) const {
    const int64_t stride = 7;
    for (int64_t start = stride - 1; start >= 0; --start)
      for (int64_t i = start; i < n; i += stride) f(i);
  }
  template <class F>
  void forEachSerial(int64_t n, F f) const {
    const cu::SerialTeam team;
    forEach(n, [&](int64_t i) { f(team, i); });
  }
  template <class F>
  void forEachTeam(int64_t n, F f) const {
    if (n <= 0) return;
    WarpShared shared;
    std::vector<std::thread> lanes;
    lanes.reserve(32);
    for (int lane = 0; lane < 32; ++lane)
      lanes.emplace_back([&, lane] {
        const EmuWarpTeam team{lane, &shared};
        for (int64_t i = n - 1; i >= 0; --i) f(team, i);
      });
    for (auto& t : lanes) t.join();
  }
  // A block team is a team of more lanes with the same interface: the 32-lane team stands in.
  template <class F>
  void forEachBlockTeam(int64_t n, F f) const {
    forEachTeam(n, f);
  }
};

// The GEMV kernel's executor (DeviceGemvExec), its block teams emulated by 32 lanes.
struct EmuGemvExec : EmuExec {
  static constexpr bool kGemv = true;
};

}  // namespace llmopt::cuda_test
