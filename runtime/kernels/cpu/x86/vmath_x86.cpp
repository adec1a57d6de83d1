#include "kernels/cpu/x86/vmath_x86.h"

#ifdef LLMOPT_QKERNELS_X86
#include "kernels/cpu/x86/target_attributes.h"

#include <cmath>

namespace llmopt::kernels::cpu {
namespace {

// exp(x) = 2^n exp(r): n = round(x log2 e), r = x - n ln 2 with ln 2 split in two floats
// (Cody-Waite; with FMA the first step is exact), so |r| <= ln 2 / 2.
constexpr float kLog2e = 1.44269502f;
constexpr float kLn2Hi = 0x1.62e430p-1f;
constexpr float kLn2Lo = -0x1.05c610p-29f;
// Inputs are clamped to [kExpMin, kExpMax], which keeps every intermediate normal; exp(89)
// overflows to inf as it should. Below kExpMin (ln FLT_MIN, rounded up) the result, a denormal or
// 0, is flushed to 0: making a denormal costs a microcode assist per lane, and the -inf of masked
// attention scores would make softmax ten times slower.
constexpr float kExpMin = -0x1.5d589ep+6f;  // -87.33654
constexpr float kExpMax = 89.0f;
// expm1(r) ~ r + r^2 (c2 + c3 r + c4 r^2 + c5 r^3 + c6 r^4) on |r| <= ln 2 / 2: a near-minimax
// fit of exp's relative error (Lawson's iteration), 3.6e-9 with these float coefficients, well
// under the rounding of the result (about 1 ulp overall).
constexpr float kExpC2 = 0.4999999403953552f;
constexpr float kExpC3 = 0.1666652113199234f;
constexpr float kExpC4 = 0.04166838899254799f;
constexpr float kExpC5 = 0.00836874544620514f;
constexpr float kExpC6 = 0.0013814539415761828f;

// erf(x) ~ x P(x^2) / Q(x^2) on |x| < kErfOne, P of degree 5, Q of degree 5 with Q(0) = 1: a
// near-minimax fit of the absolute error (linearised rational least squares, Lawson's weights),
// 4.4e-8 with these float coefficients. Odd by construction, so erf(-0) = -0.
constexpr float kErfP0 = 1.128378987312317f, kErfP1 = 0.19276387989521027f,
                kErfP2 = 0.05306044593453407f, kErfP3 = 0.0038683167658746243f,
                kErfP4 = 0.0002874787023756653f, kErfP5 = 2.0347304143797373e-06f;
constexpr float kErfQ1 = 0.5041642189025879f, kErfQ2 = 0.11508453637361526f,
                kErfQ3 = 0.01517227478325367f, kErfQ4 = 0.001188111724331975f,
                kErfQ5 = 3.807055691140704e-05f;
// From here on erf(x) rounds to 1.0f (erfc(x) < 2^-25); the rational overflows further out.
constexpr float kErfOne = 3.9192059f;

constexpr float kInvSqrt2 = 0.70710678118654752f;
// tanh(x) rounds to 1.0f from |x| = 9.011 on; the clamp keeps 2^n of expm1(-2|x|) normal.
constexpr float kTanhMaxArg = 10.0f;
// gelu_tanh(x) = 0.5 x (1 + tanh(u)) = x sigmoid(2u), 2u = x (kGeluTanhC0 + kGeluTanhC1 x^2):
// 2 sqrt(2/pi) and 2 sqrt(2/pi) 0.044715.
constexpr float kGeluTanhC0 = 1.5957691216057308f;
constexpr float kGeluTanhC1 = 0.07135481627159584f;

constexpr int kSignBit = static_cast<int>(0x80000000u);

// --- AVX-512: 16 lanes, masked loads and stores for the tail ---

LLMOPT_AVX512 LLMOPT_INLINE __m512 set512(float v) { return _mm512_set1_ps(v); }

// The sign of `sign` on the magnitude of `magnitude`.
LLMOPT_AVX512 LLMOPT_INLINE __m512 withSignOf512(__m512 magnitude, __m512 sign) {
  const __m512i s = _mm512_set1_epi32(kSignBit);
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_andnot_si512(s, _mm512_castps_si512(magnitude)),
                                             _mm512_and_si512(s, _mm512_castps_si512(sign))));
}

// expm1(r) for x = n ln 2 + r; x is in [kExpMin, kExpMax] or NaN.
LLMOPT_AVX512 LLMOPT_INLINE __m512 expm1Reduced512(__m512 x, __m512* n) {
  *n = _mm512_roundscale_ps(_mm512_mul_ps(x, set512(kLog2e)),
                            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(*n, set512(kLn2Hi), x);
  r = _mm512_fnmadd_ps(*n, set512(kLn2Lo), r);
  __m512 p = _mm512_fmadd_ps(set512(kExpC6), r, set512(kExpC5));
  p = _mm512_fmadd_ps(p, r, set512(kExpC4));
  p = _mm512_fmadd_ps(p, r, set512(kExpC3));
  p = _mm512_fmadd_ps(p, r, set512(kExpC2));
  return _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
}

LLMOPT_AVX512 LLMOPT_INLINE __m512 exp512(__m512 x) {
  // NaN is "not less than" the bound, and passes the clamp (max and min return their second
  // operand when either is NaN).
  const __mmask16 kept = _mm512_cmp_ps_mask(x, set512(kExpMin), _CMP_NLT_UQ);
  x = _mm512_min_ps(set512(kExpMax), _mm512_max_ps(set512(kExpMin), x));
  __m512 n;
  const __m512 q = expm1Reduced512(x, &n);
  // scalef rounds once, also to inf.
  return _mm512_maskz_scalef_ps(kept, _mm512_add_ps(q, set512(1.0f)), n);
}

LLMOPT_AVX512 LLMOPT_INLINE __m512 erf512(__m512 x) {
  const __m512 t = _mm512_mul_ps(x, x);
  __m512 p = _mm512_fmadd_ps(set512(kErfP5), t, set512(kErfP4));
  p = _mm512_fmadd_ps(p, t, set512(kErfP3));
  p = _mm512_fmadd_ps(p, t, set512(kErfP2));
  p = _mm512_fmadd_ps(p, t, set512(kErfP1));
  p = _mm512_fmadd_ps(p, t, set512(kErfP0));
  __m512 q = _mm512_fmadd_ps(set512(kErfQ5), t, set512(kErfQ4));
  q = _mm512_fmadd_ps(q, t, set512(kErfQ3));
  q = _mm512_fmadd_ps(q, t, set512(kErfQ2));
  q = _mm512_fmadd_ps(q, t, set512(kErfQ1));
  q = _mm512_fmadd_ps(q, t, set512(1.0f));
  const __m512 r = _mm512_div_ps(_mm512_mul_ps(x, p), q);
  // NaN compares false and keeps the rational's NaN.
  const __mmask16 saturated = _mm512_cmp_ps_mask(_mm512_abs_ps(x), set512(kErfOne), _CMP_GE_OQ);
  return _mm512_mask_blend_ps(saturated, r, withSignOf512(set512(1.0f), x));
}

// 0.5 x (1 + erf(x / sqrt 2)), in the scalar kernel's order.
LLMOPT_AVX512 LLMOPT_INLINE __m512 gelu512(__m512 x) {
  const __m512 e = erf512(_mm512_mul_ps(x, set512(kInvSqrt2)));
  return _mm512_mul_ps(_mm512_mul_ps(set512(0.5f), x), _mm512_add_ps(set512(1.0f), e));
}

// tanh|x| = -expm1(-2|x|) / (2 + expm1(-2|x|)): no cancellation near 0.
LLMOPT_AVX512 LLMOPT_INLINE __m512 tanh512(__m512 x) {
  const __m512 a =
      _mm512_mul_ps(set512(-2.0f), _mm512_min_ps(set512(kTanhMaxArg), _mm512_abs_ps(x)));
  __m512 n;
  const __m512 q = expm1Reduced512(a, &n);
  const __m512 scale = _mm512_scalef_ps(set512(1.0f), n);
  // expm1(a) = 2^n (1 + q) - 1 = 2^n q + (2^n - 1).
  const __m512 em = _mm512_fmadd_ps(scale, q, _mm512_sub_ps(scale, set512(1.0f)));
  const __m512 t = _mm512_div_ps(em, _mm512_sub_ps(set512(-2.0f), em));
  return withSignOf512(t, x);
}

// e = exp(-|x|): 1 / (1 + e) for x >= 0, e / (1 + e) below; neither overflows.
LLMOPT_AVX512 LLMOPT_INLINE __m512 sigmoid512(__m512 x) {
  const __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x)));
  const __m512 s = _mm512_div_ps(set512(1.0f), _mm512_add_ps(set512(1.0f), e));
  const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_mul_ps(s, negative, s, e);
}

LLMOPT_AVX512 LLMOPT_INLINE __m512 geluTanh512(__m512 x) {
  const __m512 c = _mm512_fmadd_ps(set512(kGeluTanhC1), _mm512_mul_ps(x, x), set512(kGeluTanhC0));
  return _mm512_mul_ps(x, sigmoid512(_mm512_mul_ps(x, c)));
}

struct Exp512 {
  LLMOPT_AVX512 LLMOPT_INLINE __m512 operator()(__m512 x) const { return exp512(x); }
};
struct Erf512 {
  LLMOPT_AVX512 LLMOPT_INLINE __m512 operator()(__m512 x) const { return erf512(x); }
};
struct Gelu512 {
  LLMOPT_AVX512 LLMOPT_INLINE __m512 operator()(__m512 x) const { return gelu512(x); }
};
struct GeluTanh512 {
  LLMOPT_AVX512 LLMOPT_INLINE __m512 operator()(__m512 x) const { return geluTanh512(x); }
};
struct Tanh512 {
  LLMOPT_AVX512 LLMOPT_INLINE __m512 operator()(__m512 x) const { return tanh512(x); }
};
struct Sigmoid512 {
  LLMOPT_AVX512 LLMOPT_INLINE __m512 operator()(__m512 x) const { return sigmoid512(x); }
};

// The first `count` (0 to 16) lanes.
LLMOPT_AVX512 LLMOPT_INLINE __mmask16 lanes512(int64_t count) {
  return static_cast<__mmask16>((1u << count) - 1);
}

template <class Fn>
LLMOPT_AVX512 LLMOPT_INLINE void map512(const float* x, float* y, int64_t n, Fn fn) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, fn(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 tail = lanes512(n - i);
    _mm512_mask_storeu_ps(y + i, tail, fn(_mm512_maskz_loadu_ps(tail, x + i)));
  }
}

// --- AVX2: 8 lanes, vmaskmov loads and stores for the tail (masked-off lanes never fault) ---

LLMOPT_AVX2 LLMOPT_INLINE __m256 set256(float v) { return _mm256_set1_ps(v); }

LLMOPT_AVX2 LLMOPT_INLINE __m256 abs256(__m256 x) {
  return _mm256_castsi256_ps(
      _mm256_andnot_si256(_mm256_set1_epi32(kSignBit), _mm256_castps_si256(x)));
}

LLMOPT_AVX2 LLMOPT_INLINE __m256 withSignOf256(__m256 magnitude, __m256 sign) {
  const __m256i s = _mm256_set1_epi32(kSignBit);
  return _mm256_castsi256_ps(_mm256_or_si256(_mm256_andnot_si256(s, _mm256_castps_si256(magnitude)),
                                             _mm256_and_si256(s, _mm256_castps_si256(sign))));
}

// 2^k for integers k in [-126, 127].
LLMOPT_AVX2 LLMOPT_INLINE __m256 pow2_256(__m256i k) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

LLMOPT_AVX2 LLMOPT_INLINE __m256 expm1Reduced256(__m256 x, __m256* n) {
  *n = _mm256_round_ps(_mm256_mul_ps(x, set256(kLog2e)),
                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(*n, set256(kLn2Hi), x);
  r = _mm256_fnmadd_ps(*n, set256(kLn2Lo), r);
  __m256 p = _mm256_fmadd_ps(set256(kExpC6), r, set256(kExpC5));
  p = _mm256_fmadd_ps(p, r, set256(kExpC4));
  p = _mm256_fmadd_ps(p, r, set256(kExpC3));
  p = _mm256_fmadd_ps(p, r, set256(kExpC2));
  return _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
}

LLMOPT_AVX2 LLMOPT_INLINE __m256 exp256(__m256 x) {
  const __m256 kept = _mm256_cmp_ps(x, set256(kExpMin), _CMP_NLT_UQ);
  x = _mm256_min_ps(set256(kExpMax), _mm256_max_ps(set256(kExpMin), x));
  __m256 n;
  const __m256 q = expm1Reduced256(x, &n);
  // 2^n as two normal factors (n reaches 128): the first product is exact, the second rounds
  // once (to inf where it must). NaN lanes stay NaN through q.
  const __m256i k = _mm256_cvtps_epi32(n);
  const __m256i k1 = _mm256_srai_epi32(k, 1);
  const __m256 e = _mm256_mul_ps(_mm256_add_ps(q, set256(1.0f)), pow2_256(k1));
  return _mm256_and_ps(kept, _mm256_mul_ps(e, pow2_256(_mm256_sub_epi32(k, k1))));
}

LLMOPT_AVX2 LLMOPT_INLINE __m256 erf256(__m256 x) {
  const __m256 t = _mm256_mul_ps(x, x);
  __m256 p = _mm256_fmadd_ps(set256(kErfP5), t, set256(kErfP4));
  p = _mm256_fmadd_ps(p, t, set256(kErfP3));
  p = _mm256_fmadd_ps(p, t, set256(kErfP2));
  p = _mm256_fmadd_ps(p, t, set256(kErfP1));
  p = _mm256_fmadd_ps(p, t, set256(kErfP0));
  __m256 q = _mm256_fmadd_ps(set256(kErfQ5), t, set256(kErfQ4));
  q = _mm256_fmadd_ps(q, t, set256(kErfQ3));
  q = _mm256_fmadd_ps(q, t, set256(kErfQ2));
  q = _mm256_fmadd_ps(q, t, set256(kErfQ1));
  q = _mm256_fmadd_ps(q, t, set256(1.0f));
  const __m256 r = _mm256_div_ps(_mm256_mul_ps(x, p), q);
  const __m256 saturated = _mm256_cmp_ps(abs256(x), set256(kErfOne), _CMP_GE_OQ);
  return _mm256_blendv_ps(r, withSignOf256(set256(1.0f), x), saturated);
}

LLMOPT_AVX2 LLMOPT_INLINE __m256 gelu256(__m256 x) {
  const __m256 e = erf256(_mm256_mul_ps(x, set256(kInvSqrt2)));
  return _mm256_mul_ps(_mm256_mul_ps(set256(0.5f), x), _mm256_add_ps(set256(1.0f), e));
}

LLMOPT_AVX2 LLMOPT_INLINE __m256 tanh256(__m256 x) {
  const __m256 a = _mm256_mul_ps(set256(-2.0f), _mm256_min_ps(set256(kTanhMaxArg), abs256(x)));
  __m256 n;
  const __m256 q = expm1Reduced256(a, &n);
  const __m256 scale = pow2_256(_mm256_cvtps_epi32(n));
  const __m256 em = _mm256_fmadd_ps(scale, q, _mm256_sub_ps(scale, set256(1.0f)));
  const __m256 t = _mm256_div_ps(em, _mm256_sub_ps(set256(-2.0f), em));
  return withSignOf256(t, x);
}

LLMOPT_AVX2 LLMOPT_INLINE __m256 sigmoid256(__m256 x) {
  const __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), abs256(x)));
  const __m256 s = _mm256_div_ps(set256(1.0f), _mm256_add_ps(set256(1.0f), e));
  const __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_blendv_ps(s, _mm256_mul_ps(s, e), negative);
}

LLMOPT_AVX2 LLMOPT_INLINE __m256 geluTanh256(__m256 x) {
  const __m256 c = _mm256_fmadd_ps(set256(kGeluTanhC1), _mm256_mul_ps(x, x), set256(kGeluTanhC0));
  return _mm256_mul_ps(x, sigmoid256(_mm256_mul_ps(x, c)));
}

struct Exp256 {
  LLMOPT_AVX2 LLMOPT_INLINE __m256 operator()(__m256 x) const { return exp256(x); }
};
struct Erf256 {
  LLMOPT_AVX2 LLMOPT_INLINE __m256 operator()(__m256 x) const { return erf256(x); }
};
struct Gelu256 {
  LLMOPT_AVX2 LLMOPT_INLINE __m256 operator()(__m256 x) const { return gelu256(x); }
};
struct GeluTanh256 {
  LLMOPT_AVX2 LLMOPT_INLINE __m256 operator()(__m256 x) const { return geluTanh256(x); }
};
struct Tanh256 {
  LLMOPT_AVX2 LLMOPT_INLINE __m256 operator()(__m256 x) const { return tanh256(x); }
};
struct Sigmoid256 {
  LLMOPT_AVX2 LLMOPT_INLINE __m256 operator()(__m256 x) const { return sigmoid256(x); }
};

// All ones in the first `count` (0 to 8) lanes.
LLMOPT_AVX2 LLMOPT_INLINE __m256i lanes256(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <class Fn>
LLMOPT_AVX2 LLMOPT_INLINE void map256(const float* x, float* y, int64_t n, Fn fn) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, fn(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i tail = lanes256(n - i);
    _mm256_maskstore_ps(y + i, tail, fn(_mm256_maskload_ps(x + i, tail)));
  }
}

LLMOPT_AVX2 LLMOPT_INLINE float hmax256(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

LLMOPT_AVX2 LLMOPT_INLINE float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace

// A softmax row is three passes: the max (NaN ignored, as fmax does), y = exp(x - max) summed,
// y *= 1 / sum. An all -inf row, or one with +inf or NaN, sums to NaN and comes out all NaN, as
// the scalar row does. Masked-off tail lanes are kept out of the max and the sum.

LLMOPT_AVX512 void softmaxRowAvx512(const float* x, float* y, int64_t n) {
  const __m512 lowest = set512(-INFINITY);
  const int64_t full = n / 16 * 16;
  const __mmask16 tail = lanes512(n - full);
  __m512 max = lowest;
  for (int64_t i = 0; i < full; i += 16) max = _mm512_max_ps(_mm512_loadu_ps(x + i), max);
  if (tail) max = _mm512_max_ps(_mm512_mask_loadu_ps(lowest, tail, x + full), max);
  max = set512(_mm512_reduce_max_ps(max));

  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < full; i += 16) {
    const __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), max));
    _mm512_storeu_ps(y + i, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (tail) {
    const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + full), max));
    _mm512_mask_storeu_ps(y + full, tail, e);
    sum = _mm512_mask_add_ps(sum, tail, sum, e);
  }

  const __m512 inv = set512(1.0f / _mm512_reduce_add_ps(sum));
  for (int64_t i = 0; i < full; i += 16)
    _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), inv));
  if (tail)
    _mm512_mask_storeu_ps(y + full, tail,
                          _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, y + full), inv));
}

LLMOPT_AVX2 void softmaxRowAvx2(const float* x, float* y, int64_t n) {
  const __m256 lowest = set256(-INFINITY);
  const int64_t full = n / 8 * 8;
  const __m256i tail = lanes256(n - full);
  const __m256 tail_ps = _mm256_castsi256_ps(tail);
  const bool has_tail = full < n;
  __m256 max = lowest;
  for (int64_t i = 0; i < full; i += 8) max = _mm256_max_ps(_mm256_loadu_ps(x + i), max);
  if (has_tail)
    max = _mm256_max_ps(_mm256_blendv_ps(lowest, _mm256_maskload_ps(x + full, tail), tail_ps),
                        max);
  max = set256(hmax256(max));

  __m256 sum = _mm256_setzero_ps();
  for (int64_t i = 0; i < full; i += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), max));
    _mm256_storeu_ps(y + i, e);
    sum = _mm256_add_ps(sum, e);
  }
  if (has_tail) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_maskload_ps(x + full, tail), max));
    _mm256_maskstore_ps(y + full, tail, e);
    sum = _mm256_add_ps(sum, _mm256_and_ps(e, tail_ps));
  }

  const __m256 inv = set256(1.0f / hsum256(sum));
  for (int64_t i = 0; i < full; i += 8)
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
  if (has_tail)
    _mm256_maskstore_ps(y + full, tail, _mm256_mul_ps(_mm256_maskload_ps(y + full, tail), inv));
}

LLMOPT_AVX512 void vexpAvx512(const float* x, float* y, int64_t n) { map512(x, y, n, Exp512()); }
LLMOPT_AVX512 void verfAvx512(const float* x, float* y, int64_t n) { map512(x, y, n, Erf512()); }
LLMOPT_AVX512 void vgeluAvx512(const float* x, float* y, int64_t n) {
  map512(x, y, n, Gelu512());
}
LLMOPT_AVX512 void vgeluTanhAvx512(const float* x, float* y, int64_t n) {
  map512(x, y, n, GeluTanh512());
}
LLMOPT_AVX512 void vtanhAvx512(const float* x, float* y, int64_t n) {
  map512(x, y, n, Tanh512());
}
LLMOPT_AVX512 void vsigmoidAvx512(const float* x, float* y, int64_t n) {
  map512(x, y, n, Sigmoid512());
}

LLMOPT_AVX2 void vexpAvx2(const float* x, float* y, int64_t n) { map256(x, y, n, Exp256()); }
LLMOPT_AVX2 void verfAvx2(const float* x, float* y, int64_t n) { map256(x, y, n, Erf256()); }
LLMOPT_AVX2 void vgeluAvx2(const float* x, float* y, int64_t n) { map256(x, y, n, Gelu256()); }
LLMOPT_AVX2 void vgeluTanhAvx2(const float* x, float* y, int64_t n) {
  map256(x, y, n, GeluTanh256());
}
LLMOPT_AVX2 void vtanhAvx2(const float* x, float* y, int64_t n) { map256(x, y, n, Tanh256()); }
LLMOPT_AVX2 void vsigmoidAvx2(const float* x, float* y, int64_t n) {
  map256(x, y, n, Sigmoid256());
}

bool cpuHasAvx512FFma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma");
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_QKERNELS_X86
