#include "kernels/cpu/x86/qgemm_x86.h"

#ifdef LLMOPT_QKERNELS_X86
// GCC 12's AVX-512 intrinsics (the reductions, see also qdecode_x86.cpp) start from
// _mm512_undefined_*(), which -W(maybe-)uninitialized reports once inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/generic/qgemm_microkernel.h"
#include "kernels/cpu/generic/qw8a8_rows.h"

#define LLMOPT_VNNI __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni")))
#define LLMOPT_AVX2 __attribute__((target("avx2,fma")))
#define LLMOPT_AVXVNNI __attribute__((target("avx2,fma,avxvnni")))
#define LLMOPT_INLINE __attribute__((always_inline)) inline

namespace llmopt::kernels::cpu {
namespace {

int32_t load4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Rows x Panels accumulators of 16 channels; with few of them, two sets (even and odd quads) so
// that more vpdpbusd chains are in flight than its latency.
template <int Rows, int Panels>
LLMOPT_VNNI LLMOPT_INLINE void vnniTile(int64_t kq, const uint8_t* a, int64_t lda,
                                        const int8_t* w, int64_t panel_stride, int32_t* acc) {
  constexpr int kSets = Rows * Panels <= 6 ? 2 : 1;
  __m512i c[kSets][Rows][Panels];
  for (int s = 0; s < kSets; ++s)
    for (int r = 0; r < Rows; ++r)
      for (int i = 0; i < Panels; ++i) c[s][r][i] = _mm512_setzero_si512();
  int64_t q = 0;
  for (; q + kSets <= kq; q += kSets)
    for (int s = 0; s < kSets; ++s) {
      __m512i b[Panels];
      for (int i = 0; i < Panels; ++i)
        b[i] = _mm512_loadu_si512(w + i * panel_stride + (q + s) * 64);
      for (int r = 0; r < Rows; ++r) {
        const __m512i av = _mm512_set1_epi32(load4(a + r * lda + (q + s) * 4));
        for (int i = 0; i < Panels; ++i) c[s][r][i] = dpbusd(c[s][r][i], av, b[i]);
      }
    }
  for (; q < kq; ++q)
    for (int r = 0; r < Rows; ++r) {
      const __m512i av = _mm512_set1_epi32(load4(a + r * lda + q * 4));
      for (int i = 0; i < Panels; ++i)
        c[0][r][i] = dpbusd(c[0][r][i], av, _mm512_loadu_si512(w + i * panel_stride + q * 64));
    }
  for (int r = 0; r < Rows; ++r)
    for (int i = 0; i < Panels; ++i) {
      __m512i sum = c[0][r][i];
      if (kSets == 2) sum = _mm512_add_epi32(sum, c[kSets - 1][r][i]);
      _mm512_storeu_si512(acc + r * kQGemmAccStride + i * 16, sum);
    }
}

// More than 6 rows take the call's panels two at a time (up to 24 accumulators): each 64-byte
// load of weights serves up to 12 rows, so a step asks L2 for 128 bytes per 24 vpdpbusd (four
// panels of 6 rows needed 256 bytes per 24, more than L2 delivered at VNNI's pace). Up to 6
// rows take all four panels at once: a single token is bound by memory, and four streams of
// weights in flight fetch faster than two.
template <int Rows>
LLMOPT_VNNI LLMOPT_INLINE void vnniRows(int64_t kq, const uint8_t* a, int64_t lda,
                                        const int8_t* w, int64_t panel_stride, int panels,
                                        int32_t* acc) {
  static_assert(kQGemmPanels == 4, "update the panel dispatch below");
  if (Rows <= 6) {
    switch (panels) {
      case 4: return vnniTile<Rows, 4>(kq, a, lda, w, panel_stride, acc);
      case 3: return vnniTile<Rows, 3>(kq, a, lda, w, panel_stride, acc);
      case 2: return vnniTile<Rows, 2>(kq, a, lda, w, panel_stride, acc);
      default: return vnniTile<Rows, 1>(kq, a, lda, w, panel_stride, acc);
    }
  }
  for (int i = 0; i < panels; i += 2) {
    const int8_t* pair = w + i * panel_stride;
    if (panels - i >= 2)
      vnniTile<Rows, 2>(kq, a, lda, pair, panel_stride, acc + i * 16);
    else
      vnniTile<Rows, 1>(kq, a, lda, pair, panel_stride, acc + i * 16);
  }
}

// One panel for up to 3 rows. A quad of 16 channels x 4 k is widened to int16 as four vectors of
// 4 channels x 4 k; vpmaddwd with the row's 4 activations repeated gives per lane the sum over a
// pair of k, so each channel ends up in two adjacent lanes, added when storing.
template <int Rows>
LLMOPT_AVX2 LLMOPT_INLINE void avx2Panel(int64_t kq, const uint8_t* a, int64_t lda,
                                         const int8_t* panel, int32_t* acc) {
  __m256i c[Rows][4];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 4; ++v) c[r][v] = _mm256_setzero_si256();
  for (int64_t q = 0; q < kq; ++q) {
    __m256i av[Rows];
    for (int r = 0; r < Rows; ++r)
      av[r] = _mm256_cvtepu8_epi16(_mm_set1_epi32(load4(a + r * lda + q * 4)));
    for (int v = 0; v < 4; ++v) {
      const __m256i b = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(panel + q * 64 + v * 16)));
      for (int r = 0; r < Rows; ++r)
        c[r][v] = _mm256_add_epi32(c[r][v], _mm256_madd_epi16(b, av[r]));
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int half = 0; half < 2; ++half) {
      // hadd gives channels [0 1 4 5 | 2 3 6 7] of the 8 in c[r][2 half], c[r][2 half + 1].
      const __m256i pairs = _mm256_hadd_epi32(c[r][2 * half], c[r][2 * half + 1]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + r * kQGemmAccStride + half * 8),
                          _mm256_permute4x64_epi64(pairs, _MM_SHUFFLE(3, 1, 2, 0)));
    }
}

// One panel for up to 6 rows with the VEX-encoded vpdpbusd of AVX-VNNI (CPUs with VNNI but
// without AVX-512, and the same instruction on 256-bit registers elsewhere): a quad of 16
// channels x 4 k is two ymm of 8 channels, 12 accumulators for 6 rows.
template <int Rows>
LLMOPT_AVXVNNI LLMOPT_INLINE void avxVnniPanel(int64_t kq, const uint8_t* a, int64_t lda,
                                               const int8_t* panel, int32_t* acc) {
  __m256i c[Rows][2];
  for (int r = 0; r < Rows; ++r) c[r][0] = c[r][1] = _mm256_setzero_si256();
  for (int64_t q = 0; q < kq; ++q) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + q * 64));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + q * 64 + 32));
    for (int r = 0; r < Rows; ++r) {
      const __m256i av = _mm256_set1_epi32(load4(a + r * lda + q * 4));
      c[r][0] = _mm256_dpbusd_avx_epi32(c[r][0], av, b0);
      c[r][1] = _mm256_dpbusd_avx_epi32(c[r][1], av, b1);
    }
  }
  for (int r = 0; r < Rows; ++r) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + r * kQGemmAccStride), c[r][0]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + r * kQGemmAccStride + 8), c[r][1]);
  }
}

// 16 activations to u8: clamp(round_half_even(v · inverse), low, high) + offset.
LLMOPT_VNNI __attribute__((always_inline)) inline __m128i quantize16(__m512 v, __m512 inverse,
                                                                    __m512i low, __m512i high,
                                                                    __m512i offset) {
  __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(v, inverse));
  q = _mm512_min_epi32(_mm512_max_epi32(q, low), high);
  return _mm512_cvtepi32_epi8(_mm512_add_epi32(q, offset));
}

}  // namespace

// quantizeW8A8RowImpl with intrinsics, the same results: GCC's vectorisation of the generic loop
// (its int32 -> uint8 narrowing above all) ran at a quarter of this speed. The conversion
// rounds half to even (MXCSR's default), as the generic loop's 1.5 · 2^23 trick does.
LLMOPT_VNNI void quantizeW8A8RowAvx512(const float* x, int64_t k, int64_t padded, uint8_t* u,
                                       float* scale) {
  const int64_t full = k / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (k - full)) - 1);
  const __m512i magnitude = _mm512_set1_epi32(0x7fffffff);
  __m512i max_bits = _mm512_setzero_si512();
  for (int64_t i = 0; i < full; i += 16)
    max_bits = _mm512_max_epu32(
        max_bits, _mm512_and_si512(_mm512_loadu_si512(reinterpret_cast<const void*>(x + i)),
                                   magnitude));
  if (tail)
    max_bits = _mm512_max_epu32(
        max_bits, _mm512_and_si512(_mm512_maskz_loadu_epi32(tail, x + full), magnitude));
  const uint32_t bits = _mm512_reduce_max_epu32(max_bits);
  const float s = floatFromBits(bits) / 127.0f;
  // The generic loop's special rows: none representable, or a reciprocal that overflows.
  const float reciprocal = 1.0f / s;
  if (bits >= 0x7f800000u || s == 0.0f || !(reciprocal <= 3.4028234e38f)) {
    quantizeW8A8RowImpl(x, k, padded, u, scale);
    return;
  }
  *scale = s;
  const __m512 inverse = _mm512_set1_ps(reciprocal);
  const __m512i low = _mm512_set1_epi32(-127), high = _mm512_set1_epi32(127);
  const __m512i offset = _mm512_set1_epi32(128);
  for (int64_t i = 0; i < full; i += 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(u + i),
                     quantize16(_mm512_loadu_ps(x + i), inverse, low, high, offset));
  if (tail)
    _mm_mask_storeu_epi8(u + full, tail,
                         quantize16(_mm512_maskz_loadu_ps(tail, x + full), inverse, low, high,
                                    offset));
  std::memset(u + k, 128, padded - k);
}

// storeW8A8TileImpl's operations in its order (this file is built without FMA contraction, so
// the results are the same), with the columns' terms loaded once per tile instead of once per
// row and the bias added before the store instead of in a second pass over the output: the
// epilogue was a third of the AMX GEMM's time at 128 rows.
LLMOPT_VNNI void storeW8A8TileAvx512(const int32_t* acc, int rows, int64_t cols,
                                     const float* row_scales, const int32_t* colsum,
                                     const float* w_scale, const float* bias, float* y,
                                     int64_t ldy) {
  constexpr int kVecs = kQGemmAccStride / 16;
  __mmask16 mask[kVecs];
  __m512i colsum128[kVecs];
  __m512 w[kVecs], b[kVecs];
  for (int v = 0; v < kVecs; ++v) {
    const int64_t left = cols - 16 * v;
    mask[v] = left >= 16 ? static_cast<__mmask16>(0xFFFF)
                         : static_cast<__mmask16>(left > 0 ? (1u << left) - 1 : 0);
    colsum128[v] = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mask[v], colsum + 16 * v), 7);
    w[v] = _mm512_maskz_loadu_ps(mask[v], w_scale + 16 * v);
    b[v] = bias ? _mm512_maskz_loadu_ps(mask[v], bias + 16 * v) : _mm512_setzero_ps();
  }
  for (int r = 0; r < rows; ++r) {
    const __m512 s = _mm512_set1_ps(row_scales[r]);
    const int32_t* sums = acc + r * kQGemmAccStride;
    float* out = y + r * ldy;
    for (int v = 0; v < kVecs; ++v) {
      if (mask[v] == 0) break;
      const __m512i centered = _mm512_sub_epi32(
          _mm512_loadu_si512(reinterpret_cast<const void*>(sums + 16 * v)), colsum128[v]);
      __m512 value = _mm512_mul_ps(_mm512_cvtepi32_ps(centered), _mm512_mul_ps(s, w[v]));
      if (bias) value = _mm512_add_ps(value, b[v]);
      _mm512_mask_storeu_ps(out + 16 * v, mask[v], value);
    }
  }
}

LLMOPT_AVX2 void quantizeW8A8RowAvx2(const float* x, int64_t k, int64_t padded, uint8_t* u,
                                     float* scale) {
  quantizeW8A8RowImpl(x, k, padded, u, scale);
}

LLMOPT_AVX2 void storeW8A8TileAvx2(const int32_t* acc, int rows, int64_t cols,
                                   const float* row_scales, const int32_t* colsum,
                                   const float* w_scale, const float* bias, float* y,
                                   int64_t ldy) {
  storeW8A8TileImpl(acc, rows, cols, row_scales, colsum, w_scale, bias, y, ldy);
}

LLMOPT_VNNI void qgemmAvx512Vnni(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w,
                                 int64_t panel_stride, int panels, int rows, int32_t* acc) {
  static_assert(kQGemmAvx512Mr == 12, "update the row dispatch below");
  switch (rows) {
    case 12: return vnniRows<12>(kq, a, lda, w, panel_stride, panels, acc);
    case 11: return vnniRows<11>(kq, a, lda, w, panel_stride, panels, acc);
    case 10: return vnniRows<10>(kq, a, lda, w, panel_stride, panels, acc);
    case 9: return vnniRows<9>(kq, a, lda, w, panel_stride, panels, acc);
    case 8: return vnniRows<8>(kq, a, lda, w, panel_stride, panels, acc);
    case 7: return vnniRows<7>(kq, a, lda, w, panel_stride, panels, acc);
    case 6: return vnniRows<6>(kq, a, lda, w, panel_stride, panels, acc);
    case 5: return vnniRows<5>(kq, a, lda, w, panel_stride, panels, acc);
    case 4: return vnniRows<4>(kq, a, lda, w, panel_stride, panels, acc);
    case 3: return vnniRows<3>(kq, a, lda, w, panel_stride, panels, acc);
    case 2: return vnniRows<2>(kq, a, lda, w, panel_stride, panels, acc);
    default: return vnniRows<1>(kq, a, lda, w, panel_stride, panels, acc);
  }
}

LLMOPT_AVX2 void qgemmAvx2(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w,
                           int64_t panel_stride, int panels, int rows, int32_t* acc) {
  for (int i = 0; i < panels; ++i)
    for (int r = 0; r < rows; r += 3) {
      const uint8_t* a_rows = a + r * lda;
      const int8_t* panel = w + i * panel_stride;
      int32_t* out = acc + r * kQGemmAccStride + i * 16;
      switch (rows - r) {
        case 1: avx2Panel<1>(kq, a_rows, lda, panel, out); break;
        case 2: avx2Panel<2>(kq, a_rows, lda, panel, out); break;
        default: avx2Panel<3>(kq, a_rows, lda, panel, out); break;
      }
    }
}

LLMOPT_AVXVNNI void qgemmAvxVnni(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w,
                                 int64_t panel_stride, int panels, int rows, int32_t* acc) {
  static_assert(kQGemmMr == 6, "update the row dispatch below");
  for (int i = 0; i < panels; ++i) {
    const int8_t* panel = w + i * panel_stride;
    int32_t* out = acc + i * 16;
    switch (rows) {
      case 6: avxVnniPanel<6>(kq, a, lda, panel, out); break;
      case 5: avxVnniPanel<5>(kq, a, lda, panel, out); break;
      case 4: avxVnniPanel<4>(kq, a, lda, panel, out); break;
      case 3: avxVnniPanel<3>(kq, a, lda, panel, out); break;
      case 2: avxVnniPanel<2>(kq, a, lda, panel, out); break;
      default: avxVnniPanel<1>(kq, a, lda, panel, out); break;
    }
  }
}

bool cpuHasAvxVnni() {
  __builtin_cpu_init();
  return cpuHasAvx2Fma() && __builtin_cpu_supports("avxvnni");
}

bool cpuHasAvx512Vnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
}

bool cpuHasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_QKERNELS_X86
