#include "kernels/cpu/x86/attention_x86.h"

#ifdef LLMOPT_QKERNELS_X86
#include "kernels/cpu/x86/target_attributes.h"

#include <algorithm>

#include "kernels/cpu/generic/attention_block.h"
#include "kernels/cpu/generic/attention_decode.h"

namespace llmopt::kernels::cpu {
namespace {

static_assert(kAttentionLanesAvx2 == 16, "the AVX2 kernel holds a row in two vectors");

// --- AVX-512: 32 lanes, two vectors of 16 ---

// The tile product for R rows of out of V vectors each, all in registers: per x, V loads of b
// and R broadcasts of a for R V FMAs.
template <int R, int V>
LLMOPT_AVX512 LLMOPT_INLINE void rowsTileAvx512(const float* a, int64_t row_stride,
                                                int64_t x_stride, const float* b, int64_t n,
                                                const float* alpha, float* out) {
  constexpr int kLanes = 16 * V;
  __m512 acc[R][V];
  if (alpha) {
    for (int j = 0; j < V; ++j) {
      const __m512 s = _mm512_loadu_ps(alpha + 16 * j);
      for (int r = 0; r < R; ++r)
        acc[r][j] = _mm512_mul_ps(_mm512_loadu_ps(out + r * kLanes + 16 * j), s);
    }
  } else {
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < V; ++j) acc[r][j] = _mm512_setzero_ps();
  }
  for (int64_t x = 0; x < n; ++x) {
    __m512 bx[V];
    for (int j = 0; j < V; ++j) bx[j] = _mm512_loadu_ps(b + x * kLanes + 16 * j);
    const float* ax = a + x * x_stride;
    for (int r = 0; r < R; ++r) {
      const __m512 s = _mm512_set1_ps(ax[r * row_stride]);
      for (int j = 0; j < V; ++j) acc[r][j] = _mm512_fmadd_ps(s, bx[j], acc[r][j]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < V; ++j) _mm512_storeu_ps(out + r * kLanes + 16 * j, acc[r][j]);
}

// rowsTileAvx512<rows, V> for rows <= R.
template <int R, int V>
LLMOPT_AVX512 LLMOPT_INLINE void rowsTailAvx512(int64_t rows, const float* a, int64_t row_stride,
                                                int64_t x_stride, const float* b, int64_t n,
                                                const float* alpha, float* out) {
  if constexpr (R > 0) {
    if (rows == R) return rowsTileAvx512<R, V>(a, row_stride, x_stride, b, n, alpha, out);
    rowsTailAvx512<R - 1, V>(rows, a, row_stride, x_stride, b, n, alpha, out);
  }
}

// r[j][i] = r[i][j] for a 16 x 16 block in registers.
LLMOPT_AVX512 LLMOPT_INLINE void transpose16Avx512(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // r[4 m + c], 128-bit lane k: column 4 k + c of rows 4 m .. 4 m + 3.
  for (int m = 0; m < 16; m += 4) {
    const __m512d t0 = _mm512_castps_pd(t[m]), t1 = _mm512_castps_pd(t[m + 1]);
    const __m512d t2 = _mm512_castps_pd(t[m + 2]), t3 = _mm512_castps_pd(t[m + 3]);
    r[m] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    r[m + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    r[m + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    r[m + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 v = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
    const __m512 w = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xdd);
    const __m512 v2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
    const __m512 w2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xdd);
    t[c] = _mm512_shuffle_f32x4(v, v2, 0x88);
    t[8 + c] = _mm512_shuffle_f32x4(v, v2, 0xdd);
    t[4 + c] = _mm512_shuffle_f32x4(w, w2, 0x88);
    t[12 + c] = _mm512_shuffle_f32x4(w, w2, 0xdd);
  }
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

__mmask16 firstMask16(int64_t count) {
  return count >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << count) - 1);
}

template <int V>
struct Avx512Kernel {
  static constexpr int64_t kLanes = 16 * V;
  // Rows per tile product: as many accumulators as leave registers for b and a broadcast.
  static constexpr int kRows = V == 1 ? 12 : V == 2 ? 8 : 6;

  LLMOPT_AVX512 static void rows(int64_t rows, const float* a, int64_t row_stride, int64_t x_stride,
                                 const float* b, int64_t n, const float* alpha, float* out) {
    int64_t i = 0;
    for (; i + kRows <= rows; i += kRows)
      rowsTileAvx512<kRows, V>(a + i * row_stride, row_stride, x_stride, b, n, alpha,
                               out + i * kLanes);
    rowsTailAvx512<kRows - 1, V>(rows - i, a + i * row_stride, row_stride, x_stride, b, n, alpha,
                                 out + i * kLanes);
  }

  // 16 x 16 blocks: 16 query rows (masked past dim, zero past n) in, 16 rows of qt out.
  LLMOPT_AVX512 static void pack(const float* const* q, int64_t n, int64_t dim, float scale,
                                 float* qt) {
    const __m512 s = _mm512_set1_ps(scale);
    for (int64_t t0 = 0; t0 < kLanes; t0 += 16)
      for (int64_t d0 = 0; d0 < dim; d0 += 16) {
        const __mmask16 cols = firstMask16(dim - d0);
        __m512 r[16];
        for (int64_t i = 0; i < 16; ++i)
          r[i] = t0 + i < n ? _mm512_mul_ps(_mm512_maskz_loadu_ps(cols, q[t0 + i] + d0), s)
                            : _mm512_setzero_ps();
        transpose16Avx512(r);
        for (int64_t c = 0; c < 16 && d0 + c < dim; ++c)
          _mm512_storeu_ps(qt + (d0 + c) * kLanes + t0, r[c]);
      }
  }

  LLMOPT_AVX512 static void store(const float* ot, const float* inv, int64_t n, int64_t dim,
                                  float* const* y) {
    for (int64_t t0 = 0; t0 < n; t0 += 16)
      for (int64_t d0 = 0; d0 < dim; d0 += 16) {
        const __mmask16 cols = firstMask16(dim - d0);
        __m512 r[16];
        for (int64_t c = 0; c < 16; ++c)
          r[c] = d0 + c < dim ? _mm512_loadu_ps(ot + (d0 + c) * kLanes + t0) : _mm512_setzero_ps();
        transpose16Avx512(r);
        for (int64_t i = 0; i < 16 && t0 + i < n; ++i)
          _mm512_mask_storeu_ps(y[t0 + i] + d0, cols,
                                _mm512_mul_ps(r[i], _mm512_set1_ps(inv[t0 + i])));
      }
  }

  // AttentionLoops::softmax, with the mask applied in the max pass and two chains per reduction.
  LLMOPT_AVX512 static void softmax(float* st, int64_t keys, const int32_t* visible, float* m,
                                    float* l, float* alpha, VMathFn exp) {
    const __m512 neg_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    __m512 max[2][V];
    for (int h = 0; h < V; ++h) max[0][h] = max[1][h] = _mm512_loadu_ps(m + 16 * h);
    if (visible) {
      __m512i vis[V];
      for (int h = 0; h < V; ++h) vis[h] = _mm512_loadu_si512(visible + 16 * h);
      for (int64_t c = 0; c < keys; ++c) {
        const __m512i cv = _mm512_set1_epi32(static_cast<int32_t>(c));
        float* row = st + c * kLanes;
        for (int h = 0; h < V; ++h) {
          // Keys past a query's last become -inf.
          const __m512 s = _mm512_mask_blend_ps(_mm512_cmpge_epi32_mask(cv, vis[h]),
                                                _mm512_loadu_ps(row + 16 * h), neg_inf);
          _mm512_storeu_ps(row + 16 * h, s);
          max[c & 1][h] = _mm512_max_ps(max[c & 1][h], s);
        }
      }
    } else {
      for (int64_t c = 0; c < keys; ++c)
        for (int h = 0; h < V; ++h)
          max[c & 1][h] = _mm512_max_ps(max[c & 1][h], _mm512_loadu_ps(st + c * kLanes + 16 * h));
    }
    __m512 shift[V];
    for (int h = 0; h < V; ++h) {
      const __m512 mt = _mm512_max_ps(max[0][h], max[1][h]);
      shift[h] = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(mt, neg_inf, _CMP_EQ_OQ), mt,
                                      _mm512_setzero_ps());
      _mm512_storeu_ps(alpha + 16 * h, _mm512_sub_ps(_mm512_loadu_ps(m + 16 * h), shift[h]));
      _mm512_storeu_ps(m + 16 * h, mt);
    }
    exp(alpha, alpha, kLanes);
    for (int64_t c = 0; c < keys; ++c)
      for (int h = 0; h < V; ++h) {
        float* row = st + c * kLanes + 16 * h;
        _mm512_storeu_ps(row, _mm512_sub_ps(_mm512_loadu_ps(row), shift[h]));
      }
    exp(st, st, keys * kLanes);
    __m512 sum[2][V];
    for (int h = 0; h < V; ++h) sum[0][h] = sum[1][h] = _mm512_setzero_ps();
    for (int64_t c = 0; c < keys; ++c)
      for (int h = 0; h < V; ++h)
        sum[c & 1][h] = _mm512_add_ps(sum[c & 1][h], _mm512_loadu_ps(st + c * kLanes + 16 * h));
    for (int h = 0; h < V; ++h)
      _mm512_storeu_ps(l + 16 * h,
                       _mm512_fmadd_ps(_mm512_loadu_ps(l + 16 * h), _mm512_loadu_ps(alpha + 16 * h),
                                       _mm512_add_ps(sum[0][h], sum[1][h])));
  }
};

// --- AVX2: 16 lanes, two vectors of 8 ---

// As rowsTileAvx512; 6 rows use 12 of the 16 registers for accumulators.
template <int R>
LLMOPT_AVX2 LLMOPT_INLINE void rowsTileAvx2(const float* a, int64_t row_stride, int64_t x_stride,
                                            const float* b, int64_t n, const float* alpha,
                                            float* out) {
  __m256 acc[R][2];
  if (alpha) {
    const __m256 s0 = _mm256_loadu_ps(alpha), s1 = _mm256_loadu_ps(alpha + 8);
    for (int r = 0; r < R; ++r) {
      acc[r][0] = _mm256_mul_ps(_mm256_loadu_ps(out + r * 16), s0);
      acc[r][1] = _mm256_mul_ps(_mm256_loadu_ps(out + r * 16 + 8), s1);
    }
  } else {
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  }
  for (int64_t x = 0; x < n; ++x) {
    const __m256 b0 = _mm256_loadu_ps(b + x * 16), b1 = _mm256_loadu_ps(b + x * 16 + 8);
    const float* ax = a + x * x_stride;
    for (int r = 0; r < R; ++r) {
      const __m256 s = _mm256_broadcast_ss(ax + r * row_stride);
      acc[r][0] = _mm256_fmadd_ps(s, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(s, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; ++r) {
    _mm256_storeu_ps(out + r * 16, acc[r][0]);
    _mm256_storeu_ps(out + r * 16 + 8, acc[r][1]);
  }
}

// rowsTileAvx2<rows> for rows <= R.
template <int R>
LLMOPT_AVX2 LLMOPT_INLINE void rowsTailAvx2(int64_t rows, const float* a, int64_t row_stride,
                                            int64_t x_stride, const float* b, int64_t n,
                                            const float* alpha, float* out) {
  if constexpr (R > 0) {
    if (rows == R) return rowsTileAvx2<R>(a, row_stride, x_stride, b, n, alpha, out);
    rowsTailAvx2<R - 1>(rows, a, row_stride, x_stride, b, n, alpha, out);
  }
}

// r[j][i] = r[i][j] for an 8 x 8 block in registers.
LLMOPT_AVX2 LLMOPT_INLINE void transpose8Avx2(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4 m + c], 128-bit lane k: column 4 k + c of rows 4 m .. 4 m + 3.
  __m256 u[8];
  for (int m = 0; m < 8; m += 4) {
    const __m256d t0 = _mm256_castps_pd(t[m]), t1 = _mm256_castps_pd(t[m + 1]);
    const __m256d t2 = _mm256_castps_pd(t[m + 2]), t3 = _mm256_castps_pd(t[m + 3]);
    u[m] = _mm256_castpd_ps(_mm256_unpacklo_pd(t0, t2));
    u[m + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(t0, t2));
    u[m + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(t1, t3));
    u[m + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(t1, t3));
  }
  for (int c = 0; c < 4; ++c) {
    r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}

// The first `count` (0 to 8) of 8 lanes, as a vmaskmov mask.
LLMOPT_AVX2 LLMOPT_INLINE __m256i firstMask8(int64_t count) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(count < 8 ? count : 8)), index);
}

struct Avx2Kernel {
  static constexpr int64_t kLanes = 16;

  LLMOPT_AVX2 static void rows(int64_t rows, const float* a, int64_t row_stride, int64_t x_stride,
                               const float* b, int64_t n, const float* alpha, float* out) {
    int64_t i = 0;
    for (; i + 6 <= rows; i += 6)
      rowsTileAvx2<6>(a + i * row_stride, row_stride, x_stride, b, n, alpha, out + i * 16);
    rowsTailAvx2<5>(rows - i, a + i * row_stride, row_stride, x_stride, b, n, alpha, out + i * 16);
  }

  LLMOPT_AVX2 static void pack(const float* const* q, int64_t n, int64_t dim, float scale,
                               float* qt) {
    const __m256 s = _mm256_set1_ps(scale);
    for (int64_t t0 = 0; t0 < kLanes; t0 += 8)
      for (int64_t d0 = 0; d0 < dim; d0 += 8) {
        const __m256i cols = firstMask8(dim - d0);
        __m256 r[8];
        for (int64_t i = 0; i < 8; ++i)
          r[i] = t0 + i < n ? _mm256_mul_ps(_mm256_maskload_ps(q[t0 + i] + d0, cols), s)
                            : _mm256_setzero_ps();
        transpose8Avx2(r);
        for (int64_t c = 0; c < 8 && d0 + c < dim; ++c)
          _mm256_storeu_ps(qt + (d0 + c) * kLanes + t0, r[c]);
      }
  }

  LLMOPT_AVX2 static void store(const float* ot, const float* inv, int64_t n, int64_t dim,
                                float* const* y) {
    for (int64_t t0 = 0; t0 < n; t0 += 8)
      for (int64_t d0 = 0; d0 < dim; d0 += 8) {
        const __m256i cols = firstMask8(dim - d0);
        __m256 r[8];
        for (int64_t c = 0; c < 8; ++c)
          r[c] = d0 + c < dim ? _mm256_loadu_ps(ot + (d0 + c) * kLanes + t0) : _mm256_setzero_ps();
        transpose8Avx2(r);
        for (int64_t i = 0; i < 8 && t0 + i < n; ++i)
          _mm256_maskstore_ps(y[t0 + i] + d0, cols,
                              _mm256_mul_ps(r[i], _mm256_set1_ps(inv[t0 + i])));
      }
  }

  LLMOPT_AVX2 static void softmax(float* st, int64_t keys, const int32_t* visible, float* m,
                                  float* l, float* alpha, VMathFn exp) {
    const __m256 neg_inf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    __m256 max[2][2];
    max[0][0] = max[1][0] = _mm256_loadu_ps(m);
    max[0][1] = max[1][1] = _mm256_loadu_ps(m + 8);
    if (visible) {
      const __m256i vis0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(visible));
      const __m256i vis1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(visible + 8));
      for (int64_t c = 0; c < keys; ++c) {
        const __m256i cv = _mm256_set1_epi32(static_cast<int32_t>(c));
        float* row = st + c * kLanes;
        // Keys past a query's last (visible <= c) become -inf.
        const __m256 s0 = _mm256_blendv_ps(_mm256_loadu_ps(row), neg_inf,
                                           _mm256_castsi256_ps(_mm256_cmpgt_epi32(
                                               _mm256_add_epi32(cv, _mm256_set1_epi32(1)), vis0)));
        const __m256 s1 = _mm256_blendv_ps(_mm256_loadu_ps(row + 8), neg_inf,
                                           _mm256_castsi256_ps(_mm256_cmpgt_epi32(
                                               _mm256_add_epi32(cv, _mm256_set1_epi32(1)), vis1)));
        _mm256_storeu_ps(row, s0);
        _mm256_storeu_ps(row + 8, s1);
        max[c & 1][0] = _mm256_max_ps(max[c & 1][0], s0);
        max[c & 1][1] = _mm256_max_ps(max[c & 1][1], s1);
      }
    } else {
      for (int64_t c = 0; c < keys; ++c) {
        max[c & 1][0] = _mm256_max_ps(max[c & 1][0], _mm256_loadu_ps(st + c * kLanes));
        max[c & 1][1] = _mm256_max_ps(max[c & 1][1], _mm256_loadu_ps(st + c * kLanes + 8));
      }
    }
    __m256 shift[2];
    for (int h = 0; h < 2; ++h) {
      const __m256 mt = _mm256_max_ps(max[0][h], max[1][h]);
      shift[h] = _mm256_blendv_ps(mt, _mm256_setzero_ps(), _mm256_cmp_ps(mt, neg_inf, _CMP_EQ_OQ));
      _mm256_storeu_ps(alpha + 8 * h, _mm256_sub_ps(_mm256_loadu_ps(m + 8 * h), shift[h]));
      _mm256_storeu_ps(m + 8 * h, mt);
    }
    exp(alpha, alpha, kLanes);
    for (int64_t c = 0; c < keys; ++c) {
      float* row = st + c * kLanes;
      _mm256_storeu_ps(row, _mm256_sub_ps(_mm256_loadu_ps(row), shift[0]));
      _mm256_storeu_ps(row + 8, _mm256_sub_ps(_mm256_loadu_ps(row + 8), shift[1]));
    }
    exp(st, st, keys * kLanes);
    __m256 sum[2][2] = {{_mm256_setzero_ps(), _mm256_setzero_ps()},
                        {_mm256_setzero_ps(), _mm256_setzero_ps()}};
    for (int64_t c = 0; c < keys; ++c) {
      sum[c & 1][0] = _mm256_add_ps(sum[c & 1][0], _mm256_loadu_ps(st + c * kLanes));
      sum[c & 1][1] = _mm256_add_ps(sum[c & 1][1], _mm256_loadu_ps(st + c * kLanes + 8));
    }
    for (int h = 0; h < 2; ++h)
      _mm256_storeu_ps(l + 8 * h,
                       _mm256_fmadd_ps(_mm256_loadu_ps(l + 8 * h), _mm256_loadu_ps(alpha + 8 * h),
                                       _mm256_add_ps(sum[0][h], sum[1][h])));
  }
};

// How far ahead of its reads a decoding step's attention prefetches the cache: it reads each
// layer's cache as one stream (kv_cache.h), from memory once the step's weights have evicted
// it, and the hardware prefetcher alone left the loads of an int8 cache waiting (one Zen 5 core:
// 22 GB/s; 2 KB ahead 25, 4 KB 33, 8 KB 31).
constexpr int64_t kDecodePrefetchBytes = 4096;

// The lines kDecodePrefetchBytes past [p, p + bytes).
LLMOPT_INLINE void prefetchAhead(const void* p, int64_t bytes) {
  const char* at = static_cast<const char*>(p) + kDecodePrefetchBytes;
  for (int64_t b = 0; b < bytes; b += 64) _mm_prefetch(at + b, _MM_HINT_T0);
}

// attention_decode.h's Ops: 16 floats a vector (fp16 elements widened by vcvtph2ps, int8 ones
// by vpmovsxbd and vcvtdq2ps), the head dimension's tail under a mask.
struct Avx512DecodeOps {
  LLMOPT_AVX512 static __mmask16 tail(int64_t n) {
    return static_cast<__mmask16>((1u << n) - 1u);
  }
  LLMOPT_AVX512 static __m512 load(const float* p) { return _mm512_loadu_ps(p); }
  LLMOPT_AVX512 static __m512 load(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  LLMOPT_AVX512 static __m512 load(const int8_t* p) {
    return _mm512_cvtepi32_ps(
        _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  LLMOPT_AVX512 static __m512 load(const float* p, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, p);
  }
  // A masked 8- or 16-bit load needs AVX512BW; tails (head sizes not a multiple of 16) are rare.
  template <class T>
  LLMOPT_AVX512 static __m512 load(const T* p, __mmask16 m) {
    if (m == 0xffff) return load(p);
    alignas(64) float part[16] = {};
    for (int l = 0; l < 16 && ((m >> l) & 1); ++l) part[l] = kvCacheToFloat(p[l]);
    return _mm512_load_ps(part);
  }
  // Four chains of multiply-adds, one per row of the tile modulo 4, to cover their latency.
  template <class T>
  LLMOPT_AVX512 static void scoreTile(const float* q, const T* tile, int64_t dim, float* s) {
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                     _mm512_setzero_ps()};
    int64_t d = 0;
    for (; d + 4 <= dim; d += 4) {
      prefetchAhead(tile + d * kKvKeyTile, 4 * kKvKeyTile * sizeof(T));
      for (int u = 0; u < 4; ++u)
        acc[u] = _mm512_fmadd_ps(_mm512_set1_ps(q[d + u]), load(tile + (d + u) * kKvKeyTile),
                                 acc[u]);
    }
    for (; d < dim; ++d)
      acc[0] = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), load(tile + d * kKvKeyTile), acc[0]);
    _mm512_storeu_ps(s, _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
                                      _mm512_add_ps(acc[2], acc[3])));
  }
  // y in registers, 64 floats (four vectors) at a time, across all n rows: each row of v is
  // loaded once and y not at all between rows.
  template <class T>
  LLMOPT_AVX512 static void accumulate(const float* p, int64_t n, const T* v, int64_t dim,
                                       float* y) {
    for (int64_t d0 = 0; d0 < dim; d0 += 64) {
      const int64_t vectors = std::min<int64_t>(4, (dim - d0 + 15) / 16);
      __mmask16 masks[4];
      __m512 acc[4];
      for (int64_t x = 0; x < 4; ++x) {
        const int64_t left = dim - d0 - 16 * x;
        masks[x] = left >= 16 ? static_cast<__mmask16>(0xffff) : tail(std::max<int64_t>(left, 0));
        acc[x] = x < vectors ? _mm512_maskz_loadu_ps(masks[x], y + d0 + 16 * x)
                             : _mm512_setzero_ps();
      }
      const T* row = v + d0;
      if (vectors == 4 && masks[3] == 0xffff) {  // the common case: no tail in these 64
        // Even and odd rows in two sets of accumulators: eight chains of multiply-adds cover
        // their latency, four did not (with decodeChunkWeights' partial reductions, an int8
        // cache's decoding attention went from 19.2 to 22.3 GB/s on one Zen 5 core).
        __m512 odd[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                         _mm512_setzero_ps()};
        int64_t c = 0;
        for (; c + 2 <= n; c += 2, row += 2 * dim) {
          prefetchAhead(row, 2 * dim * sizeof(T));
          const __m512 pc = _mm512_set1_ps(p[c]), pn = _mm512_set1_ps(p[c + 1]);
          for (int64_t x = 0; x < 4; ++x) {
            acc[x] = _mm512_fmadd_ps(pc, load(row + 16 * x), acc[x]);
            odd[x] = _mm512_fmadd_ps(pn, load(row + dim + 16 * x), odd[x]);
          }
        }
        if (c < n) {
          const __m512 pc = _mm512_set1_ps(p[c]);
          for (int64_t x = 0; x < 4; ++x)
            acc[x] = _mm512_fmadd_ps(pc, load(row + 16 * x), acc[x]);
        }
        for (int64_t x = 0; x < 4; ++x) acc[x] = _mm512_add_ps(acc[x], odd[x]);
      } else {
        for (int64_t c = 0; c < n; ++c, row += dim) {
          const __m512 pc = _mm512_set1_ps(p[c]);
          for (int64_t x = 0; x < vectors; ++x)
            acc[x] = _mm512_fmadd_ps(pc, load(row + 16 * x, masks[x]), acc[x]);
        }
      }
      for (int64_t x = 0; x < vectors; ++x)
        _mm512_mask_storeu_ps(y + d0 + 16 * x, masks[x], acc[x]);
    }
  }
  LLMOPT_AVX512 static void scale(float* y, float s, int64_t dim) {
    const __m512 sv = _mm512_set1_ps(s);
    int64_t d = 0;
    for (; d + 16 <= dim; d += 16)
      _mm512_storeu_ps(y + d, _mm512_mul_ps(sv, _mm512_loadu_ps(y + d)));
    if (d < dim) {
      const __mmask16 m = tail(dim - d);
      _mm512_mask_storeu_ps(y + d, m, _mm512_mul_ps(sv, _mm512_maskz_loadu_ps(m, y + d)));
    }
  }
};

// The same Ops in 8-float vectors (a key tile's row of 16 positions in two), for CPUs with AVX2
// but not AVX-512; fp16 elements widened by F16C. Head sizes that are not a multiple of 8 take
// their last elements one at a time.
#define LLMOPT_AVX2_F16C __attribute__((target("avx2,fma,f16c")))
struct Avx2DecodeOps {
  LLMOPT_AVX2_F16C LLMOPT_INLINE static __m256 load(const float* p) { return _mm256_loadu_ps(p); }
  LLMOPT_AVX2_F16C LLMOPT_INLINE static __m256 load(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  LLMOPT_AVX2_F16C LLMOPT_INLINE static __m256 load(const int8_t* p) {
    return _mm256_cvtepi32_ps(
        _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
  // Four chains of multiply-adds (rows of the tile modulo 4), each over the tile's two halves.
  template <class T>
  LLMOPT_AVX2_F16C static void scoreTile(const float* q, const T* tile, int64_t dim, float* s) {
    __m256 acc[4][2];
    for (int u = 0; u < 4; ++u) acc[u][0] = acc[u][1] = _mm256_setzero_ps();
    int64_t d = 0;
    for (; d + 4 <= dim; d += 4) {
      prefetchAhead(tile + d * kKvKeyTile, 4 * kKvKeyTile * sizeof(T));
      for (int u = 0; u < 4; ++u) {
        const __m256 qv = _mm256_broadcast_ss(q + d + u);
        const T* row = tile + (d + u) * kKvKeyTile;
        acc[u][0] = _mm256_fmadd_ps(qv, load(row), acc[u][0]);
        acc[u][1] = _mm256_fmadd_ps(qv, load(row + 8), acc[u][1]);
      }
    }
    for (; d < dim; ++d) {
      const __m256 qv = _mm256_broadcast_ss(q + d);
      const T* row = tile + d * kKvKeyTile;
      acc[0][0] = _mm256_fmadd_ps(qv, load(row), acc[0][0]);
      acc[0][1] = _mm256_fmadd_ps(qv, load(row + 8), acc[0][1]);
    }
    for (int h = 0; h < 2; ++h)
      _mm256_storeu_ps(s + 8 * h, _mm256_add_ps(_mm256_add_ps(acc[0][h], acc[1][h]),
                                                _mm256_add_ps(acc[2][h], acc[3][h])));
  }
  // y in registers, 64 floats (eight vectors) at a time across all n rows, as the AVX-512 Ops.
  template <class T>
  LLMOPT_AVX2_F16C static void accumulate(const float* p, int64_t n, const T* v, int64_t dim,
                                          float* y) {
    const int64_t vectors = dim / 8;
    int64_t x0 = 0;
    for (; x0 + 8 <= vectors; x0 += 8) {
      __m256 acc[8];
      for (int x = 0; x < 8; ++x) acc[x] = _mm256_loadu_ps(y + 8 * (x0 + x));
      const T* row = v + 8 * x0;
      for (int64_t c = 0; c < n; ++c, row += dim) {
        prefetchAhead(row, 64 * sizeof(T));
        const __m256 pc = _mm256_broadcast_ss(p + c);
        for (int x = 0; x < 8; ++x) acc[x] = _mm256_fmadd_ps(pc, load(row + 8 * x), acc[x]);
      }
      for (int x = 0; x < 8; ++x) _mm256_storeu_ps(y + 8 * (x0 + x), acc[x]);
    }
    for (; x0 < vectors; ++x0) {  // fewer than 64 left: a vector at a time
      __m256 acc = _mm256_loadu_ps(y + 8 * x0);
      const T* row = v + 8 * x0;
      for (int64_t c = 0; c < n; ++c, row += dim)
        acc = _mm256_fmadd_ps(_mm256_broadcast_ss(p + c), load(row), acc);
      _mm256_storeu_ps(y + 8 * x0, acc);
    }
    for (int64_t d = 8 * vectors; d < dim; ++d)
      for (int64_t c = 0; c < n; ++c) y[d] += p[c] * kvCacheToFloat(v[c * dim + d]);
  }
  LLMOPT_AVX2_F16C static void scale(float* y, float s, int64_t dim) {
    const __m256 sv = _mm256_set1_ps(s);
    int64_t d = 0;
    for (; d + 8 <= dim; d += 8) _mm256_storeu_ps(y + d, _mm256_mul_ps(sv, _mm256_loadu_ps(y + d)));
    for (; d < dim; ++d) y[d] *= s;
  }
};

}  // namespace

LLMOPT_AVX2_F16C void attentionCachedHeadsAvx2(const CachedAttentionArgs& a, int64_t b, int64_t i,
                                               int64_t h_begin, int64_t h_end, VMathFn exp) {
  attentionCachedHeadsAnyType<Avx2DecodeOps>(a, b, i, h_begin, h_end, exp);
}

LLMOPT_AVX512 void attentionCachedHeadsAvx512(const CachedAttentionArgs& a, int64_t b, int64_t i,
                                              int64_t h_begin, int64_t h_end, VMathFn exp) {
  attentionCachedHeadsAnyType<Avx512DecodeOps>(a, b, i, h_begin, h_end, exp);
}

LLMOPT_AVX512 void attentionBlockAvx512x16(const AttentionArgs& a, int64_t b, int64_t kv_head,
                                           int64_t lane_begin, VMathFn exp) {
  attentionBlockImpl<16, Avx512Kernel<1>>(a, b, kv_head, lane_begin, exp);
}

LLMOPT_AVX512 void attentionBlockAvx512x32(const AttentionArgs& a, int64_t b, int64_t kv_head,
                                           int64_t lane_begin, VMathFn exp) {
  attentionBlockImpl<32, Avx512Kernel<2>>(a, b, kv_head, lane_begin, exp);
}

LLMOPT_AVX512 void attentionBlockAvx512x64(const AttentionArgs& a, int64_t b, int64_t kv_head,
                                           int64_t lane_begin, VMathFn exp) {
  attentionBlockImpl<64, Avx512Kernel<4>, kAttentionMaxDimAvx512x64>(a, b, kv_head, lane_begin,
                                                                     exp);
}

LLMOPT_AVX2 void attentionBlockAvx2(const AttentionArgs& a, int64_t b, int64_t kv_head,
                                    int64_t lane_begin, VMathFn exp) {
  attentionBlockImpl<kAttentionLanesAvx2, Avx2Kernel>(a, b, kv_head, lane_begin, exp);
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_QKERNELS_X86
