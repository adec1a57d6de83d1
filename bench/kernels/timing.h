// Timing a piece of work as a rate (work per second): the median of several runs, each repeating
// the work until it lasts at least a minimum time, so short calls are not dominated by timer
// resolution and one slow run (another process, a frequency change) does not decide the result.
#ifndef LLMOPT_BENCH_KERNELS_TIMING_H
#define LLMOPT_BENCH_KERNELS_TIMING_H

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace llmopt::bench {

struct TimingOptions {
  int runs = 5;              // timed runs (kernels report the median, peaks the best)
  double min_seconds = 0.2;  // each run repeats the work at least this long
};

struct Rate {
  double median = 0;         // work per second
  double best = 0;           // the fastest run's
  std::vector<double> runs;  // every run's rate, in run order
  int64_t calls_per_run = 0;
};

inline double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values);

// fn() does `work` units of work per call. Untimed warm-up and calibration come first (doubling
// the calls until a batch lasts a quarter of min_seconds), then opt.runs timed runs.
template <class Fn>
Rate measureRate(const TimingOptions& opt, double work, Fn&& fn) {
  auto timeCalls = [&](int64_t calls) {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < calls; ++i) fn();
    return secondsSince(start);
  };
  fn();
  int64_t calls = 1;
  double seconds = timeCalls(calls);
  while (seconds < opt.min_seconds / 4) {
    calls *= 2;
    seconds = timeCalls(calls);
  }
  calls = std::max<int64_t>(1, static_cast<int64_t>(calls * opt.min_seconds / seconds + 0.999));
  Rate rate;
  rate.calls_per_run = calls;
  for (int r = 0; r < std::max(1, opt.runs); ++r)
    rate.runs.push_back(work * static_cast<double>(calls) / timeCalls(calls));
  rate.median = median(rate.runs);
  rate.best = *std::max_element(rate.runs.begin(), rate.runs.end());
  return rate;
}

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_TIMING_H
