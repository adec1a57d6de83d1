#include "bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "arch.h"
#include "timing.h"

#ifdef LLMOPT_BENCH_X86
#include <immintrin.h>
#endif

namespace llmopt::bench {
namespace {

constexpr int64_t kPage = 4096;

volatile uint64_t g_sink;  // read sums end here, so the loads cannot be dropped

// Every read loop reads its range as kStreams sequential streams (its quarters), two cache lines
// of each per round: one stream alone leaves the L2 prefetcher too few requests in flight to reach
// a core's bandwidth (25-35 % less on this project's Sapphire Rapids VM), and the kernels stream
// several weight panels at once too. One add per load, so the loads are the limit. `bytes` is a
// multiple of kStreams * 128.
constexpr int kStreams = 4;
static_assert(kStreams == 4, "the reductions below add four accumulators");

uint64_t readScalar(const uint8_t* p, int64_t bytes) {
  const int64_t quarter = bytes / kStreams;
  uint64_t acc[kStreams][4] = {};
  for (int64_t off = 0; off < quarter; off += 128)
    for (int s = 0; s < kStreams; ++s) {
      const auto* q = reinterpret_cast<const uint64_t*>(p + s * quarter + off);
      for (int i = 0; i < 16; ++i) acc[s][i % 4] += q[i];
    }
  uint64_t total = 0;
  for (auto& a : acc) total += a[0] + a[1] + a[2] + a[3];
  return total;
}

#ifdef LLMOPT_BENCH_X86
__attribute__((target("avx2"))) uint64_t readAvx2(const uint8_t* p, int64_t bytes) {
  const int64_t quarter = bytes / kStreams;
  __m256i acc[kStreams];
  for (auto& a : acc) a = _mm256_setzero_si256();
  for (int64_t off = 0; off < quarter; off += 128)
    for (int s = 0; s < kStreams; ++s) {
      const auto* q = reinterpret_cast<const __m256i*>(p + s * quarter + off);
      const __m256i lo = _mm256_add_epi64(_mm256_load_si256(q), _mm256_load_si256(q + 1));
      const __m256i hi = _mm256_add_epi64(_mm256_load_si256(q + 2), _mm256_load_si256(q + 3));
      acc[s] = _mm256_add_epi64(acc[s], _mm256_add_epi64(lo, hi));
    }
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(
      reinterpret_cast<__m256i*>(lanes),
      _mm256_add_epi64(_mm256_add_epi64(acc[0], acc[1]), _mm256_add_epi64(acc[2], acc[3])));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

__attribute__((target("avx512f"))) uint64_t readAvx512(const uint8_t* p, int64_t bytes) {
  const int64_t quarter = bytes / kStreams;
  __m512i acc[kStreams];
  for (auto& a : acc) a = _mm512_setzero_si512();
  for (int64_t off = 0; off < quarter; off += 128)
    for (int s = 0; s < kStreams; ++s) {
      const auto* q = reinterpret_cast<const __m512i*>(p + s * quarter + off);
      acc[s] = _mm512_add_epi64(acc[s],
                                _mm512_add_epi64(_mm512_load_si512(q), _mm512_load_si512(q + 1)));
    }
  alignas(64) uint64_t lanes[8];
  _mm512_store_si512(
      lanes, _mm512_add_epi64(_mm512_add_epi64(acc[0], acc[1]), _mm512_add_epi64(acc[2], acc[3])));
  uint64_t total = 0;
  for (uint64_t v : lanes) total += v;
  return total;
}
#endif

using ReadFn = uint64_t (*)(const uint8_t*, int64_t);

ReadFn readLoop(const CpuInfo& cpu) {
#ifdef LLMOPT_BENCH_X86
  if (cpu.avx512f) return readAvx512;
  if (cpu.avx2_fma) return readAvx2;
#endif
  (void)cpu;
  return readScalar;
}

// Seconds for slice(t) on threads t = 0..threads-1 to all finish. The helper threads start
// first and wait for a flag, so thread creation is not timed; thread 0 is the caller.
double timeSlices(int threads, const std::function<void(int)>& slice) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> helpers;
  for (int t = 1; t < threads; ++t)
    helpers.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      slice(t);
    });
  while (ready.load() < threads - 1) std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  slice(0);
  for (std::thread& h : helpers) h.join();
  return secondsSince(start);
}

BandwidthResult bestOf(int passes, int64_t bytes_per_pass, const std::function<double()>& pass) {
  BandwidthResult r;
  r.bytes = bytes_per_pass;
  pass();  // warm-up: TLB, page tables, frequency
  for (int p = 0; p < std::max(1, passes); ++p) {
    r.passes.push_back(static_cast<double>(bytes_per_pass) / pass());
    r.best = std::max(r.best, r.passes.back());
  }
  return r;
}

}  // namespace

const char* readLoopName(const CpuInfo& cpu) {
#ifdef LLMOPT_BENCH_X86
  if (cpu.avx512f) return "avx512";
  if (cpu.avx2_fma) return "avx2";
#endif
  (void)cpu;
  return "scalar";
}

BandwidthResult measureRead(const CpuInfo& cpu, const AlignedBuffer& buf, int64_t bytes,
                            int threads, int passes) {
  const ReadFn read = readLoop(cpu);
  const int64_t slice = std::min<int64_t>(bytes, buf.size()) / threads / kPage * kPage;
  if (slice <= 0) return {};
  const auto* base = buf.as<const uint8_t>();
  std::vector<uint64_t> sums(threads);
  return bestOf(passes, slice * threads, [&] {
    const double seconds =
        timeSlices(threads, [&](int t) { sums[t] = read(base + t * slice, slice); });
    for (uint64_t s : sums) g_sink = g_sink + s;
    return seconds;
  });
}

BandwidthResult measureCopy(const AlignedBuffer& buf, int64_t bytes, int threads, int passes) {
  const int64_t half = std::min<int64_t>(bytes, buf.size()) / 2 / kPage * kPage;
  const int64_t slice = half / threads / kPage * kPage;
  if (slice <= 0) return {};
  auto* base = buf.as<uint8_t>();
  return bestOf(passes, 2 * slice * threads, [&] {
    return timeSlices(threads, [&](int t) {
      std::memcpy(base + half + t * slice, base + t * slice, static_cast<size_t>(slice));
    });
  });
}

}  // namespace llmopt::bench
