// The inner loops that measure one core's arithmetic peak: each instruction in a loop of
// kPeakChains independent accumulator chains, so the loop is bound by the instruction's
// throughput (how many issue per cycle), not its latency (how long one result takes).
#ifndef LLMOPT_BENCH_KERNELS_PEAK_LOOPS_H
#define LLMOPT_BENCH_KERNELS_PEAK_LOOPS_H

#include <cstdint>

#include "arch.h"

namespace llmopt::bench {

// 12 chains cover latency x throughput of the instructions timed: FMA 4 cycles x 2 ports,
// vpdpbusd 5 cycles x up to 2 ports. AVX2 has 16 ymm registers: 12 chains + 2 operands fit.
constexpr int kPeakChains = 12;

// Every loop runs `iterations` rounds and returns a value computed from all accumulators, which
// the caller must consume (so the loop cannot be removed). Only call a loop whose instruction
// set the CPU has (cpu_info.h); on non-x86 builds they do not exist.
#ifdef LLMOPT_BENCH_X86
double fmaLoopZmm(int64_t iterations);   // vfmadd231ps zmm: kPeakChains * 16 FMAs per round
double fmaLoopYmm(int64_t iterations);   // vfmadd231ps ymm: kPeakChains * 8 FMAs per round
double vnniLoopZmm(int64_t iterations);  // vpdpbusd zmm: kPeakChains * 64 int8 MACs per round
double vnniLoopYmm(int64_t iterations);  // {vex} vpdpbusd ymm: kPeakChains * 32 MACs per round
// tdpbusd on four independent 16x16 int32 tiles: 4 * 16 * 16 * 64 MACs per round. The process
// must have tile permission (cpu_info.h enables it).
double amxLoop(int64_t iterations);
#endif

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_PEAK_LOOPS_H
