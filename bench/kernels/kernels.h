// Part 2: the runtime's kernels, timed through their public entry points, each rate shown as a
// fraction of the machine limit that bounds it (limits.h).
#ifndef LLMOPT_BENCH_KERNELS_KERNELS_H
#define LLMOPT_BENCH_KERNELS_KERNELS_H

#include "limits.h"
#include "report.h"
#include "settings.h"

namespace llmopt::bench {

// int8 W8A8 GEMM, one thread, every supported qgemmVariants() variant: the whole linearW8A8,
// then the variant's microkernel alone over the packed weights. G MAC/s.
void benchInt8Gemm(const Settings& settings, const Limits& limits, RowLog& log);

// fp32 gemmF32 on PackedN16 weights, one thread. GFLOP/s.
void benchFp32Gemm(const Settings& settings, const Limits& limits, RowLog& log);

// M = 1 linears over weights larger than the last-level cache (W8A8 int8, weight-only int8 and
// int4), 1 and N threads: GB/s of weight bytes streamed, against the read bandwidth.
void benchGemv(const Settings& settings, const Limits& limits, RowLog& log);

// One decoding step's attention (one query, GPT-2 small's heads) over an fp32, fp16 and int8 KV
// cache read from memory, 1 and N threads: GB/s of cache bytes read, against the read bandwidth.
void benchDecodeAttention(const Settings& settings, const Limits& limits, RowLog& log);

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_KERNELS_H
