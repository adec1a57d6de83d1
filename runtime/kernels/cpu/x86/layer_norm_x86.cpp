#include "kernels/cpu/x86/layer_norm_x86.h"

#ifdef LLMOPT_QKERNELS_X86
#include "kernels/cpu/x86/target_attributes.h"

#include <cmath>

namespace llmopt::kernels::cpu {
namespace {

// --- AVX-512: 16 floats a step, as two halves of 8 doubles ---

struct Doubles512 {
  __m512d lo, hi;
};

LLMOPT_AVX512 LLMOPT_INLINE Doubles512 widen512(__m512 v) {
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  return {_mm512_cvtps_pd(_mm512_castps512_ps256(v)), _mm512_cvtps_pd(hi)};
}

LLMOPT_AVX512 LLMOPT_INLINE __m512 narrow512(__m512d lo, __m512d hi) {
  const __m512d low_half = _mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)));
  return _mm512_castpd_ps(
      _mm512_insertf64x4(low_half, _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
}

// float((x - mean) * inv) for 16 floats, in double.
LLMOPT_AVX512 LLMOPT_INLINE __m512 normalised512(__m512 x, __m512d mean, __m512d inv) {
  const Doubles512 v = widen512(x);
  return narrow512(_mm512_mul_pd(_mm512_sub_pd(v.lo, mean), inv),
                   _mm512_mul_pd(_mm512_sub_pd(v.hi, mean), inv));
}

// The first n % 16 lanes.
LLMOPT_AVX512 LLMOPT_INLINE __mmask16 tailMask(int64_t n) {
  return static_cast<__mmask16>((1u << (n % 16)) - 1);
}

// --- AVX2: 8 floats a step, as two halves of 4 doubles ---

struct Doubles256 {
  __m256d lo, hi;
};

LLMOPT_AVX2 LLMOPT_INLINE Doubles256 widen256(__m256 v) {
  return {_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))};
}

LLMOPT_AVX2 LLMOPT_INLINE __m256 narrow256(__m256d lo, __m256d hi) {
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi),
                              1);
}

LLMOPT_AVX2 LLMOPT_INLINE double hsum256d(__m256d v) {
  const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
}

}  // namespace

LLMOPT_AVX512 void layerNormRowAvx512(const float* x, const float* scale, const float* bias,
                                      int64_t n, double epsilon, float* y) {
  const int64_t full = n / 16 * 16;
  const __mmask16 tail = tailMask(n);
  const __mmask8 tail_lo = static_cast<__mmask8>(tail), tail_hi = static_cast<__mmask8>(tail >> 8);

  __m512d sum_lo = _mm512_setzero_pd(), sum_hi = _mm512_setzero_pd();
  for (int64_t i = 0; i < full; i += 16) {
    const Doubles512 v = widen512(_mm512_loadu_ps(x + i));
    sum_lo = _mm512_add_pd(sum_lo, v.lo);
    sum_hi = _mm512_add_pd(sum_hi, v.hi);
  }
  if (tail) {  // the masked-off lanes load as 0
    const Doubles512 v = widen512(_mm512_maskz_loadu_ps(tail, x + full));
    sum_lo = _mm512_add_pd(sum_lo, v.lo);
    sum_hi = _mm512_add_pd(sum_hi, v.hi);
  }
  const double mean_value = _mm512_reduce_add_pd(_mm512_add_pd(sum_lo, sum_hi)) / double(n);
  const __m512d mean = _mm512_set1_pd(mean_value);

  __m512d sq_lo = _mm512_setzero_pd(), sq_hi = _mm512_setzero_pd();
  for (int64_t i = 0; i < full; i += 16) {
    const Doubles512 v = widen512(_mm512_loadu_ps(x + i));
    const __m512d d_lo = _mm512_sub_pd(v.lo, mean), d_hi = _mm512_sub_pd(v.hi, mean);
    sq_lo = _mm512_fmadd_pd(d_lo, d_lo, sq_lo);
    sq_hi = _mm512_fmadd_pd(d_hi, d_hi, sq_hi);
  }
  if (tail) {
    const Doubles512 v = widen512(_mm512_maskz_loadu_ps(tail, x + full));
    const __m512d d_lo = _mm512_maskz_sub_pd(tail_lo, v.lo, mean);
    const __m512d d_hi = _mm512_maskz_sub_pd(tail_hi, v.hi, mean);
    sq_lo = _mm512_fmadd_pd(d_lo, d_lo, sq_lo);
    sq_hi = _mm512_fmadd_pd(d_hi, d_hi, sq_hi);
  }
  const double squares = _mm512_reduce_add_pd(_mm512_add_pd(sq_lo, sq_hi));
  const __m512d inv = _mm512_set1_pd(1.0 / std::sqrt(squares / double(n) + epsilon));

  // y = float((x - mean) * inv) * scale + bias, x - mean in double (see layer_norm.h).
  for (int64_t i = 0; i < full; i += 16) {
    const __m512 t = normalised512(_mm512_loadu_ps(x + i), mean, inv);
    const __m512 s = _mm512_loadu_ps(scale + i);
    _mm512_storeu_ps(y + i, bias ? _mm512_fmadd_ps(t, s, _mm512_loadu_ps(bias + i))
                                 : _mm512_mul_ps(t, s));
  }
  if (tail) {
    const __m512 t = normalised512(_mm512_maskz_loadu_ps(tail, x + full), mean, inv);
    const __m512 s = _mm512_maskz_loadu_ps(tail, scale + full);
    _mm512_mask_storeu_ps(
        y + full, tail,
        bias ? _mm512_fmadd_ps(t, s, _mm512_maskz_loadu_ps(tail, bias + full))
             : _mm512_mul_ps(t, s));
  }
}

LLMOPT_AVX512 void rmsNormRowAvx512(const float* x, const float* scale, int64_t n,
                                    float epsilon, float* y) {
  const int64_t full = n / 16 * 16;
  const __mmask16 tail = tailMask(n);
  __m512d sq_lo = _mm512_setzero_pd(), sq_hi = _mm512_setzero_pd();
  for (int64_t i = 0; i < full; i += 16) {
    const Doubles512 v = widen512(_mm512_loadu_ps(x + i));
    sq_lo = _mm512_fmadd_pd(v.lo, v.lo, sq_lo);
    sq_hi = _mm512_fmadd_pd(v.hi, v.hi, sq_hi);
  }
  if (tail) {
    const Doubles512 v = widen512(_mm512_maskz_loadu_ps(tail, x + full));
    sq_lo = _mm512_fmadd_pd(v.lo, v.lo, sq_lo);
    sq_hi = _mm512_fmadd_pd(v.hi, v.hi, sq_hi);
  }
  const double squares = _mm512_reduce_add_pd(_mm512_add_pd(sq_lo, sq_hi));
  const float mean = static_cast<float>(squares / double(n));
  const __m512 inv = _mm512_set1_ps(1.0f / std::sqrt(mean + epsilon));
  for (int64_t i = 0; i < full; i += 16)
    _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(scale + i),
                                          _mm512_mul_ps(_mm512_loadu_ps(x + i), inv)));
  if (tail)
    _mm512_mask_storeu_ps(y + full, tail,
                          _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, scale + full),
                                        _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + full), inv)));
}

LLMOPT_AVX2 void layerNormRowAvx2(const float* x, const float* scale, const float* bias,
                                  int64_t n, double epsilon, float* y) {
  const int64_t full = n / 8 * 8;
  __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
  for (int64_t i = 0; i < full; i += 8) {
    const Doubles256 v = widen256(_mm256_loadu_ps(x + i));
    sum_lo = _mm256_add_pd(sum_lo, v.lo);
    sum_hi = _mm256_add_pd(sum_hi, v.hi);
  }
  double sum = hsum256d(_mm256_add_pd(sum_lo, sum_hi));
  for (int64_t i = full; i < n; ++i) sum += x[i];
  const double mean_value = sum / double(n);
  const __m256d mean = _mm256_set1_pd(mean_value);

  __m256d sq_lo = _mm256_setzero_pd(), sq_hi = _mm256_setzero_pd();
  for (int64_t i = 0; i < full; i += 8) {
    const Doubles256 v = widen256(_mm256_loadu_ps(x + i));
    const __m256d d_lo = _mm256_sub_pd(v.lo, mean), d_hi = _mm256_sub_pd(v.hi, mean);
    sq_lo = _mm256_fmadd_pd(d_lo, d_lo, sq_lo);
    sq_hi = _mm256_fmadd_pd(d_hi, d_hi, sq_hi);
  }
  double squares = hsum256d(_mm256_add_pd(sq_lo, sq_hi));
  for (int64_t i = full; i < n; ++i) {
    const double d = x[i] - mean_value;
    squares += d * d;
  }
  const double inv_value = 1.0 / std::sqrt(squares / double(n) + epsilon);
  const __m256d inv = _mm256_set1_pd(inv_value);

  for (int64_t i = 0; i < full; i += 8) {
    const Doubles256 v = widen256(_mm256_loadu_ps(x + i));
    const __m256 t = narrow256(_mm256_mul_pd(_mm256_sub_pd(v.lo, mean), inv),
                               _mm256_mul_pd(_mm256_sub_pd(v.hi, mean), inv));
    const __m256 s = _mm256_loadu_ps(scale + i);
    _mm256_storeu_ps(y + i, bias ? _mm256_fmadd_ps(t, s, _mm256_loadu_ps(bias + i))
                                 : _mm256_mul_ps(t, s));
  }
  for (int64_t i = full; i < n; ++i) {
    const float t = static_cast<float>((x[i] - mean_value) * inv_value);
    y[i] = bias ? std::fma(t, scale[i], bias[i]) : t * scale[i];
  }
}

LLMOPT_AVX2 void rmsNormRowAvx2(const float* x, const float* scale, int64_t n, float epsilon,
                                float* y) {
  const int64_t full = n / 8 * 8;
  __m256d sq_lo = _mm256_setzero_pd(), sq_hi = _mm256_setzero_pd();
  for (int64_t i = 0; i < full; i += 8) {
    const Doubles256 v = widen256(_mm256_loadu_ps(x + i));
    sq_lo = _mm256_fmadd_pd(v.lo, v.lo, sq_lo);
    sq_hi = _mm256_fmadd_pd(v.hi, v.hi, sq_hi);
  }
  double squares = hsum256d(_mm256_add_pd(sq_lo, sq_hi));
  for (int64_t i = full; i < n; ++i) squares += double(x[i]) * double(x[i]);
  const float mean = static_cast<float>(squares / double(n));
  const float inv_value = 1.0f / std::sqrt(mean + epsilon);
  const __m256 inv = _mm256_set1_ps(inv_value);
  for (int64_t i = 0; i < full; i += 8)
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(scale + i),
                                          _mm256_mul_ps(_mm256_loadu_ps(x + i), inv)));
  for (int64_t i = full; i < n; ++i) y[i] = scale[i] * (x[i] * inv_value);
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_QKERNELS_X86
