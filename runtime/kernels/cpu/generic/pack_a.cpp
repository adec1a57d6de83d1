#include "kernels/cpu/generic/pack_a.h"

namespace llmopt::kernels::cpu {
namespace {

// One block of Rows rows, a compile-time count so that the loop over them unrolls.
template <int Rows>
void packBlock(const float* a, int64_t lda, int64_t k, float* dst) {
  for (int64_t p = 0; p < k; ++p)
    for (int r = 0; r < Rows; ++r) dst[p * Rows + r] = a[r * lda + p];
}

void packBlockAnyRows(const float* a, int64_t lda, int rows, int64_t k, float* dst) {
  if (rows == 1) {
    for (int64_t p = 0; p < k; ++p) dst[p] = a[p];
    return;
  }
  for (int64_t p = 0; p < k; ++p)
    for (int r = 0; r < rows; ++r) dst[p * rows + r] = a[r * lda + p];
}

}  // namespace

size_t packedAFloats(int64_t m, int64_t k) { return static_cast<size_t>(m * k); }

void packARows(const float* a, int64_t lda, int64_t m, int64_t k, int mr, float* dst,
               Parallel* parallel, PackABlockFn full_block) {
  const int64_t blocks = (m + mr - 1) / mr;
  parallelFor(parallel, blocks, [&](int64_t block) {
    const int64_t i = block * mr;
    const int rows = static_cast<int>(m - i < mr ? m - i : mr);
    const float* src = a + i * lda;
    float* out = dst + i * k;
    if (rows == mr && full_block) return full_block(src, lda, k, out);
    switch (rows) {
      case 12: return packBlock<12>(src, lda, k, out);
      case 6: return packBlock<6>(src, lda, k, out);
      default: return packBlockAnyRows(src, lda, rows, k, out);
    }
  });
}

}  // namespace llmopt::kernels::cpu
