#include "kernels/cpu/x86/qdecode_x86.h"

#ifdef LLMOPT_QKERNELS_X86
// GCC 12's AVX-512 conversions start from _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports once inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cpuid.h>
#include <immintrin.h>

#define LLMOPT_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx2,fma,f16c")))
#define LLMOPT_AVX2 __attribute__((target("avx2,fma,f16c")))
#define LLMOPT_INLINE __attribute__((always_inline)) inline

namespace llmopt::kernels::cpu {
namespace {

using F = QWeightFormat;

// Rows per step of the GEMV: enough independent accumulators per row to cover FMA latency.
constexpr int gemvUnroll(int rows) { return rows == 1 ? 4 : rows == 2 ? 2 : 1; }
// AVX-512 has the registers for 4 at any row count (Int4 decodes them in pairs).
constexpr int kGemvUnroll512 = 4;

const __m128i* bytesAt(const void* base, int64_t offset) {
  return reinterpret_cast<const __m128i*>(static_cast<const uint8_t*>(base) + offset);
}

// Packed row `row` of a 16-bit format.
const uint16_t* row16Bit(const void* w, int64_t row) {
  return static_cast<const uint16_t*>(w) + row * 16;
}

const __m128i* as128(const uint16_t* p) { return reinterpret_cast<const __m128i*>(p); }
const __m256i* as256(const uint16_t* p) { return reinterpret_cast<const __m256i*>(p); }

// 8 bytes of nibbles -> 16 bytes 0..15 in channel order (low nibble first).
LLMOPT_AVX2 LLMOPT_INLINE __m128i unpackNibbles(const void* bytes) {
  const __m128i packed = _mm_loadl_epi64(static_cast<const __m128i*>(bytes));
  const __m128i mask = _mm_set1_epi8(0x0f);
  return _mm_unpacklo_epi8(_mm_and_si128(packed, mask),
                           _mm_and_si128(_mm_srli_epi16(packed, 4), mask));
}

// --- AVX-512: one zmm per row of 16 channels ---

struct Params512 {
  __m512 scale, offset;
};

template <F Format>
LLMOPT_AVX512 LLMOPT_INLINE Params512 params512(const QPanelSource& s, int64_t p, int64_t kk) {
  Params512 params{_mm512_setzero_ps(), _mm512_setzero_ps()};
  if constexpr (Format == F::Int8) {
    params.scale = _mm512_loadu_ps(s.scale + p * 16);
  } else if constexpr (Format == F::Int4) {
    const int64_t at = (p * qGroupCount(s) + kk / s.group_size) * 16;
    params.scale = _mm512_cvtph_ps(_mm256_loadu_si256(as256(s.group_scale + at)));
    params.offset = _mm512_cvtph_ps(_mm256_loadu_si256(as256(s.group_offset + at)));
  }
  return params;
}

// 16 values 0..15, one per byte: q * scale + offset.
LLMOPT_AVX512 LLMOPT_INLINE __m512 int4Row512(__m128i q, const Params512& params) {
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(q)), params.scale,
                         params.offset);
}

template <F Format>
LLMOPT_AVX512 LLMOPT_INLINE __m512 row512(const void* w, int64_t row, const Params512& params) {
  if constexpr (Format == F::Int8) {
    const __m128i q = _mm_loadu_si128(bytesAt(w, row * 16));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), params.scale);
  } else if constexpr (Format == F::Int4) {
    return int4Row512(unpackNibbles(static_cast<const uint8_t*>(w) + row * 8), params);
  } else if constexpr (Format == F::F16) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(as256(row16Bit(w, row))));
  } else {
    const __m256i b = _mm256_loadu_si256(as256(row16Bit(w, row)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(b), 16));
  }
}

// Packed rows `row` and `row + 1`; Int4 loads and splits the nibbles of both at once.
template <F Format>
LLMOPT_AVX512 LLMOPT_INLINE void rowPair512(const void* w, int64_t row, const Params512& params,
                                            __m512* first, __m512* second) {
  if constexpr (Format == F::Int4) {
    const __m128i packed = _mm_loadu_si128(bytesAt(w, row * 8));
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m128i low = _mm_and_si128(packed, mask);
    const __m128i high = _mm_and_si128(_mm_srli_epi16(packed, 4), mask);
    *first = int4Row512(_mm_unpacklo_epi8(low, high), params);
    *second = int4Row512(_mm_unpackhi_epi8(low, high), params);
  } else {
    *first = row512<Format>(w, row, params);
    *second = row512<Format>(w, row + 1, params);
  }
}

template <F Format>
LLMOPT_AVX512 LLMOPT_INLINE void decode512(const QPanelSource& s, int64_t p, int64_t k0,
                                           int64_t kc, float* out) {
  for (int64_t kk = k0; kk < k0 + kc;) {
    const int64_t end = qSegmentEnd(s, kk, k0 + kc);
    const Params512 params = params512<Format>(s, p, kk);
    for (; kk < end; ++kk)
      _mm512_storeu_ps(out + (kk - k0) * 16, row512<Format>(s.w, p * s.k + kk, params));
  }
}

template <F Format, int Rows>
LLMOPT_AVX512 LLMOPT_INLINE void gemv512(const QPanelSource& s, int64_t p, const float* x,
                                         int64_t ldx, const float* bias, float* y, int64_t ldy,
                                         int cols) {
  constexpr int kUnroll = kGemvUnroll512;
  __m512 acc[Rows][kUnroll];
  for (int r = 0; r < Rows; ++r)
    for (int u = 0; u < kUnroll; ++u) acc[r][u] = _mm512_setzero_ps();
  const int64_t base = p * s.k;
  for (int64_t kk = 0; kk < s.k;) {
    const int64_t end = qSegmentEnd(s, kk, s.k);
    const Params512 params = params512<Format>(s, p, kk);
    for (; kk + kUnroll <= end; kk += kUnroll)
      for (int u = 0; u < kUnroll; u += 2) {
        __m512 w[2];
        rowPair512<Format>(s.w, base + kk + u, params, &w[0], &w[1]);
        for (int half = 0; half < 2; ++half)
          for (int r = 0; r < Rows; ++r)
            acc[r][u + half] = _mm512_fmadd_ps(_mm512_set1_ps(x[r * ldx + kk + u + half]),
                                               w[half], acc[r][u + half]);
      }
    for (; kk < end; ++kk) {
      const __m512 w = row512<Format>(s.w, base + kk, params);
      for (int r = 0; r < Rows; ++r)
        acc[r][0] = _mm512_fmadd_ps(_mm512_set1_ps(x[r * ldx + kk]), w, acc[r][0]);
    }
  }
  const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1);
  const __m512 bias_row = bias ? _mm512_maskz_loadu_ps(mask, bias) : _mm512_setzero_ps();
  for (int r = 0; r < Rows; ++r) {
    __m512 sum = acc[r][0];
    for (int u = 1; u < kUnroll; ++u) sum = _mm512_add_ps(sum, acc[r][u]);
    _mm512_mask_storeu_ps(y + r * ldy, mask, _mm512_add_ps(sum, bias_row));
  }
}

template <F Format>
LLMOPT_AVX512 LLMOPT_INLINE void gemvRows512(const QPanelSource& s, int64_t p, const float* x,
                                             int64_t ldx, int rows, const float* bias, float* y,
                                             int64_t ldy, int cols) {
  static_assert(kQGemvMaxRows == 4, "update the row dispatch below");
  switch (rows) {
    case 4: return gemv512<Format, 4>(s, p, x, ldx, bias, y, ldy, cols);
    case 3: return gemv512<Format, 3>(s, p, x, ldx, bias, y, ldy, cols);
    case 2: return gemv512<Format, 2>(s, p, x, ldx, bias, y, ldy, cols);
    default: return gemv512<Format, 1>(s, p, x, ldx, bias, y, ldy, cols);
  }
}

// --- AVX2: two ymm per row of 16 channels ---

struct Row256 {
  __m256 lo, hi;  // channels 0-7, 8-15
};

struct Params256 {
  Row256 scale, offset;
};

LLMOPT_AVX2 LLMOPT_INLINE Row256 halvesToFloat(const uint16_t* h) {
  return {_mm256_cvtph_ps(_mm_loadu_si128(as128(h))),
          _mm256_cvtph_ps(_mm_loadu_si128(as128(h + 8)))};
}

template <F Format>
LLMOPT_AVX2 LLMOPT_INLINE Params256 params256(const QPanelSource& s, int64_t p, int64_t kk) {
  Params256 params{{_mm256_setzero_ps(), _mm256_setzero_ps()},
                   {_mm256_setzero_ps(), _mm256_setzero_ps()}};
  if constexpr (Format == F::Int8) {
    params.scale = {_mm256_loadu_ps(s.scale + p * 16), _mm256_loadu_ps(s.scale + p * 16 + 8)};
  } else if constexpr (Format == F::Int4) {
    const int64_t at = (p * qGroupCount(s) + kk / s.group_size) * 16;
    params.scale = halvesToFloat(s.group_scale + at);
    params.offset = halvesToFloat(s.group_offset + at);
  }
  return params;
}

template <F Format>
LLMOPT_AVX2 LLMOPT_INLINE Row256 row256(const void* w, int64_t row, const Params256& params) {
  if constexpr (Format == F::Int8) {
    const __m128i q = _mm_loadu_si128(bytesAt(w, row * 16));
    return {_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), params.scale.lo),
            _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8))),
                          params.scale.hi)};
  } else if constexpr (Format == F::Int4) {
    const __m128i q = unpackNibbles(static_cast<const uint8_t*>(w) + row * 8);
    return {_mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q)), params.scale.lo,
                            params.offset.lo),
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(q, 8))),
                            params.scale.hi, params.offset.hi)};
  } else if constexpr (Format == F::F16) {
    return halvesToFloat(row16Bit(w, row));
  } else {
    const uint16_t* b = row16Bit(w, row);
    const __m256i lo = _mm256_cvtepu16_epi32(_mm_loadu_si128(as128(b)));
    const __m256i hi = _mm256_cvtepu16_epi32(_mm_loadu_si128(as128(b + 8)));
    return {_mm256_castsi256_ps(_mm256_slli_epi32(lo, 16)),
            _mm256_castsi256_ps(_mm256_slli_epi32(hi, 16))};
  }
}

template <F Format>
LLMOPT_AVX2 LLMOPT_INLINE void decode256(const QPanelSource& s, int64_t p, int64_t k0,
                                         int64_t kc, float* out) {
  for (int64_t kk = k0; kk < k0 + kc;) {
    const int64_t end = qSegmentEnd(s, kk, k0 + kc);
    const Params256 params = params256<Format>(s, p, kk);
    for (; kk < end; ++kk) {
      const Row256 row = row256<Format>(s.w, p * s.k + kk, params);
      _mm256_storeu_ps(out + (kk - k0) * 16, row.lo);
      _mm256_storeu_ps(out + (kk - k0) * 16 + 8, row.hi);
    }
  }
}

template <F Format, int Rows>
LLMOPT_AVX2 LLMOPT_INLINE void gemv256(const QPanelSource& s, int64_t p, const float* x,
                                       int64_t ldx, const float* bias, float* y, int64_t ldy,
                                       int cols) {
  constexpr int kUnroll = gemvUnroll(Rows);
  Row256 acc[Rows][kUnroll];
  for (int r = 0; r < Rows; ++r)
    for (int u = 0; u < kUnroll; ++u) acc[r][u] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  const int64_t base = p * s.k;
  for (int64_t kk = 0; kk < s.k;) {
    const int64_t end = qSegmentEnd(s, kk, s.k);
    const Params256 params = params256<Format>(s, p, kk);
    for (; kk + kUnroll <= end; kk += kUnroll)
      for (int u = 0; u < kUnroll; ++u) {
        const Row256 w = row256<Format>(s.w, base + kk + u, params);
        for (int r = 0; r < Rows; ++r) {
          const __m256 xv = _mm256_set1_ps(x[r * ldx + kk + u]);
          acc[r][u].lo = _mm256_fmadd_ps(xv, w.lo, acc[r][u].lo);
          acc[r][u].hi = _mm256_fmadd_ps(xv, w.hi, acc[r][u].hi);
        }
      }
    for (; kk < end; ++kk) {
      const Row256 w = row256<Format>(s.w, base + kk, params);
      for (int r = 0; r < Rows; ++r) {
        const __m256 xv = _mm256_set1_ps(x[r * ldx + kk]);
        acc[r][0].lo = _mm256_fmadd_ps(xv, w.lo, acc[r][0].lo);
        acc[r][0].hi = _mm256_fmadd_ps(xv, w.hi, acc[r][0].hi);
      }
    }
  }
  alignas(32) float bias_row[16] = {};
  for (int j = 0; j < cols && bias; ++j) bias_row[j] = bias[j];
  for (int r = 0; r < Rows; ++r) {
    Row256 sum = acc[r][0];
    for (int u = 1; u < kUnroll; ++u) {
      sum.lo = _mm256_add_ps(sum.lo, acc[r][u].lo);
      sum.hi = _mm256_add_ps(sum.hi, acc[r][u].hi);
    }
    sum.lo = _mm256_add_ps(sum.lo, _mm256_load_ps(bias_row));
    sum.hi = _mm256_add_ps(sum.hi, _mm256_load_ps(bias_row + 8));
    if (cols == 16) {
      _mm256_storeu_ps(y + r * ldy, sum.lo);
      _mm256_storeu_ps(y + r * ldy + 8, sum.hi);
    } else {
      alignas(32) float row[16];
      _mm256_store_ps(row, sum.lo);
      _mm256_store_ps(row + 8, sum.hi);
      for (int j = 0; j < cols; ++j) y[r * ldy + j] = row[j];
    }
  }
}

template <F Format>
LLMOPT_AVX2 LLMOPT_INLINE void gemvRows256(const QPanelSource& s, int64_t p, const float* x,
                                           int64_t ldx, int rows, const float* bias, float* y,
                                           int64_t ldy, int cols) {
  switch (rows) {
    case 4: return gemv256<Format, 4>(s, p, x, ldx, bias, y, ldy, cols);
    case 3: return gemv256<Format, 3>(s, p, x, ldx, bias, y, ldy, cols);
    case 2: return gemv256<Format, 2>(s, p, x, ldx, bias, y, ldy, cols);
    default: return gemv256<Format, 1>(s, p, x, ldx, bias, y, ldy, cols);
  }
}

}  // namespace

LLMOPT_AVX512 void qdecodePanelAvx512(const QPanelSource& s, int64_t p, int64_t k0, int64_t kc,
                                      float* out) {
  switch (s.format) {
    case F::Int8: return decode512<F::Int8>(s, p, k0, kc, out);
    case F::Int4: return decode512<F::Int4>(s, p, k0, kc, out);
    case F::F16: return decode512<F::F16>(s, p, k0, kc, out);
    case F::BF16: return decode512<F::BF16>(s, p, k0, kc, out);
  }
}

LLMOPT_AVX512 void qgemvPanelAvx512(const QPanelSource& s, int64_t p, const float* x,
                                    int64_t ldx, int rows, const float* bias, float* y,
                                    int64_t ldy, int cols) {
  switch (s.format) {
    case F::Int8: return gemvRows512<F::Int8>(s, p, x, ldx, rows, bias, y, ldy, cols);
    case F::Int4: return gemvRows512<F::Int4>(s, p, x, ldx, rows, bias, y, ldy, cols);
    case F::F16: return gemvRows512<F::F16>(s, p, x, ldx, rows, bias, y, ldy, cols);
    case F::BF16: return gemvRows512<F::BF16>(s, p, x, ldx, rows, bias, y, ldy, cols);
  }
}

LLMOPT_AVX2 void qdecodePanelAvx2(const QPanelSource& s, int64_t p, int64_t k0, int64_t kc,
                                  float* out) {
  switch (s.format) {
    case F::Int8: return decode256<F::Int8>(s, p, k0, kc, out);
    case F::Int4: return decode256<F::Int4>(s, p, k0, kc, out);
    case F::F16: return decode256<F::F16>(s, p, k0, kc, out);
    case F::BF16: return decode256<F::BF16>(s, p, k0, kc, out);
  }
}

LLMOPT_AVX2 void qgemvPanelAvx2(const QPanelSource& s, int64_t p, const float* x, int64_t ldx,
                                int rows, const float* bias, float* y, int64_t ldy, int cols) {
  switch (s.format) {
    case F::Int8: return gemvRows256<F::Int8>(s, p, x, ldx, rows, bias, y, ldy, cols);
    case F::Int4: return gemvRows256<F::Int4>(s, p, x, ldx, rows, bias, y, ldy, cols);
    case F::F16: return gemvRows256<F::F16>(s, p, x, ldx, rows, bias, y, ldy, cols);
    case F::BF16: return gemvRows256<F::BF16>(s, p, x, ldx, rows, bias, y, ldy, cols);
  }
}

bool cpuHasAvx2F16c() {
  __builtin_cpu_init();
  // CPUID directly for F16C: Clang's __builtin_cpu_supports does not know it.
  unsigned eax, ebx, ecx, edx;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);
  return f16c && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

bool cpuHasAvx512F16c() {
  return cpuHasAvx2F16c() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_QKERNELS_X86
