// Packing rows of A into the layout the fp32 GEMM microkernel reads: blocks of mr rows, each
// block [k][rows], so that one step of k reads the block's rows as adjacent floats. Read in place instead, the
// tile's mr rows are K floats apart: with K a multiple of 1024 they all fall in the same L1
// set (and with K = 768 in 4 sets), where they evict the B panels the tile keeps in L1.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_PACK_A_H
#define LLMOPT_KERNELS_CPU_GENERIC_PACK_A_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

// Floats that the packed rows of an [m][k] A take (m * k: the packing leaves no gaps).
size_t packedAFloats(int64_t m, int64_t k);

// Packs one full block of mr rows (row stride lda, k columns) into dst[p * mr + r]: a
// microkernel variant's faster way (GemmMicrokernelVariant::pack_block).
using PackABlockFn = void (*)(const float* a, int64_t lda, int64_t k, float* dst);

// Packs rows [0, m) of A (row-major, row stride lda) in blocks of mr rows, the last one possibly
// shorter: block b (rows = min(mr, m - b * mr) rows) starts at dst + b * mr * k, and its row r,
// column p is at [p * rows + r]. A single row (decoding one token) is thus copied as it is.
// `full_block`, when given, packs the blocks of mr rows.
void packARows(const float* a, int64_t lda, int64_t m, int64_t k, int mr, float* dst,
               Parallel* parallel = nullptr, PackABlockFn full_block = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_PACK_A_H
