#include "kernels/cpu/x86/qgemv_w4a8_x86.h"

#ifdef LLMOPT_QKERNELS_X86
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // see qdecode_x86.cpp
#endif
#include <immintrin.h>

#define LLMOPT_VNNI \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c"), always_inline)) inline

namespace llmopt::kernels::cpu {
namespace {

// The Int4 layout keeps the 16 channels of one k row together (8 bytes of nibble pairs);
// vpdpbusd wants 4 consecutive k of one channel in each 32-bit lane. One step takes 16 k rows
// (128 bytes) and regroups them in registers:
//   - 128-bit lane l of `even` holds rows 4l, 4l+1 and of `odd` rows 4l+2, 4l+3;
//   - a byte shuffle pairs the two rows of each lane byte by byte, a 16-bit unpack joins the
//     pairs: dword i of lane l of `low`/`high` = byte i (low) or i + 4 (high) of rows 4l..4l+3;
//   - the low nibbles of those bytes are channels 2i (`low`: 0, 2, 4, 6; `high`: 8, ..., 14),
//     the high nibbles channels 2i + 1.
// Each lane l sums the products of k rows 4l..4l+3, so the four lanes of an accumulator are
// partial sums of the same four channels, added once at the end.
constexpr int64_t kPrefetchBytes = 2048;

struct Step {
  __m512i w[4];  // channels {0,2,4,6}, {1,3,5,7}, {8,...,14}, {9,...,15} per lane
};

LLMOPT_VNNI Step loadStep(const uint8_t* rows16) {
  const __m512i first = _mm512_loadu_si512(rows16);        // rows 0-1 | 2-3 | 4-5 | 6-7
  const __m512i second = _mm512_loadu_si512(rows16 + 64);  // rows 8-9 | ... | 14-15
  const __m512i even = _mm512_shuffle_i64x2(first, second, 0x88);  // rows 0-1 | 4-5 | 8-9 | 12-13
  const __m512i odd = _mm512_shuffle_i64x2(first, second, 0xDD);   // rows 2-3 | 6-7 | ...
  // Bytes j and j + 8 of a lane (the same byte of its two rows) side by side.
  const __m512i pair = _mm512_broadcast_i32x4(
      _mm_setr_epi8(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15));
  const __m512i even_pairs = _mm512_shuffle_epi8(even, pair);
  const __m512i odd_pairs = _mm512_shuffle_epi8(odd, pair);
  const __m512i low = _mm512_unpacklo_epi16(even_pairs, odd_pairs);   // bytes 0-3, 4 rows each
  const __m512i high = _mm512_unpackhi_epi16(even_pairs, odd_pairs);  // bytes 4-7
  const __m512i nibble = _mm512_set1_epi8(0x0f);
  Step step;
  step.w[0] = _mm512_and_si512(low, nibble);
  step.w[1] = _mm512_and_si512(_mm512_srli_epi16(low, 4), nibble);
  step.w[2] = _mm512_and_si512(high, nibble);
  step.w[3] = _mm512_and_si512(_mm512_srli_epi16(high, 4), nibble);
  return step;
}

// Channel of dword d (0..15) of accumulator i, for permuting per-channel vectors to match.
LLMOPT_VNNI __m512i channelIndex(int i) {
  const int base = (i & 2) ? 8 : 0, odd = i & 1;
  return _mm512_setr_epi32(base + odd, base + 2 + odd, base + 4 + odd, base + 6 + odd,
                           base + odd, base + 2 + odd, base + 4 + odd, base + 6 + odd,
                           base + odd, base + 2 + odd, base + 4 + odd, base + 6 + odd,
                           base + odd, base + 2 + odd, base + 4 + odd, base + 6 + odd);
}

template <int Rows>
LLMOPT_VNNI void gemvRows(const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0,
                          const float* bias, float* y, int64_t ldy, int cols) {
  const uint8_t* w = static_cast<const uint8_t*>(s.w) + p * s.k * 8;
  // Activation dword l (k rows 4l..4l+3 of the step) to every dword of lane l.
  const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  __m512i index[4];
  for (int i = 0; i < 4; ++i) index[i] = channelIndex(i);

  __m512 acc[Rows][4];  // per accumulator layout, scaled
  __m512 offsets[Rows];  // channel order
  for (int r = 0; r < Rows; ++r) {
    offsets[r] = _mm512_setzero_ps();
    for (int i = 0; i < 4; ++i) acc[r][i] = _mm512_setzero_ps();
  }
  for (int64_t g = 0; g < x.groups; ++g) {
    const int64_t k0 = g * s.group_size, k1 = k0 + s.group_size < s.k ? k0 + s.group_size : s.k;
    __m512i dot[Rows][4];
    for (int r = 0; r < Rows; ++r)
      for (int i = 0; i < 4; ++i) dot[r][i] = _mm512_setzero_si512();
    for (int64_t kk = k0; kk < k1; kk += kW4A8Step) {
      // The hardware prefetcher alone leaves one core at about 10 GB/s here; asking for the
      // lines a few steps ahead (past this panel's end too: the next panel follows it)
      // keeps more of them in flight.
      _mm_prefetch(reinterpret_cast<const char*>(w + kk * 8 + kPrefetchBytes), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(w + kk * 8 + kPrefetchBytes + 64), _MM_HINT_T0);
      const Step step = loadStep(w + kk * 8);
      for (int r = 0; r < Rows; ++r) {
        const __m128i xq = _mm_loadu_si128(
            reinterpret_cast<const __m128i*>(x.q + (row0 + r) * x.k + kk));
        const __m512i xv = _mm512_permutexvar_epi32(spread, _mm512_castsi128_si512(xq));
        for (int i = 0; i < 4; ++i) dot[r][i] = dpbusd(dot[r][i], step.w[i], xv);
      }
    }
    const int64_t at = (p * x.groups + g) * 16;
    const __m512 scale = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.group_scale + at)));
    const __m512 offset = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.group_offset + at)));
    for (int r = 0; r < Rows; ++r) {
      const int64_t at_x = (row0 + r) * x.groups + g;
      const __m512 xs = _mm512_set1_ps(x.scale[at_x]);
      for (int i = 0; i < 4; ++i) {
        const __m512 channel_scale = _mm512_mul_ps(_mm512_permutexvar_ps(index[i], scale), xs);
        acc[r][i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[r][i]), channel_scale, acc[r][i]);
      }
      offsets[r] = _mm512_fmadd_ps(offset, _mm512_set1_ps(x.sum[at_x]), offsets[r]);
    }
  }

  const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1);
  const __m512 bias_row = bias ? _mm512_maskz_loadu_ps(mask, bias) : _mm512_setzero_ps();
  for (int r = 0; r < Rows; ++r) {
    // Add the four lanes of each accumulator and put the channels in order.
    alignas(64) float lanes[4][16];
    for (int i = 0; i < 4; ++i) _mm512_store_ps(lanes[i], acc[r][i]);
    alignas(64) float sums[16];
    for (int i = 0; i < 4; ++i)
      for (int d = 0; d < 4; ++d) {
        const int channel = ((i & 2) ? 8 : 0) + 2 * d + (i & 1);
        sums[channel] = (lanes[i][d] + lanes[i][4 + d]) + (lanes[i][8 + d] + lanes[i][12 + d]);
      }
    const __m512 out = _mm512_add_ps(_mm512_add_ps(_mm512_load_ps(sums), offsets[r]), bias_row);
    _mm512_mask_storeu_ps(y + r * ldy, mask, out);
  }
}

}  // namespace

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c"))) void
gemvW4A8PanelAvx512Vnni(const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0,
                        int rows, const float* bias, float* y, int64_t ldy, int cols) {
  static_assert(kW4A8MaxRows == 2, "update the row dispatch below");
  if (rows == 2)
    gemvRows<2>(s, p, x, row0, bias, y, ldy, cols);
  else
    gemvRows<1>(s, p, x, row0, bias, y, ldy, cols);
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_QKERNELS_X86
