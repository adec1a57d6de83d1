// Scalar helpers shared by the kernels, identical on the GPU and in the host emulation: float bit
// casts, fp16/bf16 decoding (no cuda_fp16.h, which the host build lacks), saturating float to int
// conversions, arithmetic that is never contracted into FMA, unaligned-safe loads, and dp4a.
#ifndef LLMOPT_KERNELS_CUDA_NUMERIC_CUH
#define LLMOPT_KERNELS_CUDA_NUMERIC_CUH

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/cuda/team.cuh"

namespace llmopt::cuda {

LLMOPT_HD inline uint32_t floatBits(float f) {
#ifdef __CUDA_ARCH__
  return __float_as_uint(f);
#else
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return bits;
#endif
}

LLMOPT_HD inline float floatFromBits(uint32_t bits) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
#endif
}

LLMOPT_HD inline float negInf() { return floatFromBits(0xff800000u); }
LLMOPT_HD inline float posInf() { return floatFromBits(0x7f800000u); }
LLMOPT_HD inline float quietNaN() { return floatFromBits(0x7fc00000u); }

// IEEE half to float, exactly (runtime/kernels/cpu/generic/qfloat16.h's halfToFloat).
LLMOPT_HD inline float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return floatFromBits(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {  // mantissa units of 2^-24, exact in fp32
    const float magnitude = static_cast<float>(mantissa) * floatFromBits(0x33800000u);
    return floatFromBits(sign | floatBits(magnitude));
  }
  return floatFromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

LLMOPT_HD inline float bf16ToFloat(uint16_t b) {
  return floatFromBits(static_cast<uint32_t>(b) << 16);
}

// Products and sums rounded on their own: nvcc contracts a * b + c into one FMA by default, the
// CPU kernels (built for baseline x86-64) do not; where the CPU's exact bits are cheap to match
// (epilogues, rope, norms), these keep them.
LLMOPT_HD inline float mulRn(float x, float y) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(x, y);
#else
  return x * y;
#endif
}
LLMOPT_HD inline float addRn(float x, float y) {
#ifdef __CUDA_ARCH__
  return __fadd_rn(x, y);
#else
  return x + y;
#endif
}
LLMOPT_HD inline double mulRn(double x, double y) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(x, y);
#else
  return x * y;
#endif
}
LLMOPT_HD inline double addRn(double x, double y) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(x, y);
#else
  return x + y;
#endif
}

// Round half to even (the default rounding mode on both sides).
LLMOPT_HD inline float roundHalfEven(float x) { return ::rintf(x); }

template <class Int>
struct IntLimits;
template <>
struct IntLimits<int64_t> {
  static constexpr int64_t kMin = INT64_MIN, kMax = INT64_MAX;
  static constexpr int kDigits = 63;
};
template <>
struct IntLimits<int32_t> {
  static constexpr int32_t kMin = INT32_MIN, kMax = INT32_MAX;
  static constexpr int kDigits = 31;
};

// A float or double truncated toward zero, saturating at Int's limits, NaN to 0 (the CPU's
// saturatingCast in runtime/kernels/cpu/generic/elem_type.h).
template <class Int, class Float>
LLMOPT_HD Int saturatingCast(Float v) {
  if (!(v == v)) return 0;
  const Float limit = static_cast<Float>(uint64_t(1) << IntLimits<Int>::kDigits);
  if (v >= limit) return IntLimits<Int>::kMax;
  if (v < -limit) return IntLimits<Int>::kMin;
  return static_cast<Int>(v);
}

// i / d, and i % d in *r, for i >= 0 and d > 0: in 32 bits where both fit (a 64-bit division is
// a long instruction sequence on the GPU).
LLMOPT_HD inline int64_t divMod(int64_t i, int64_t d, int64_t* r) {
  int64_t q;
  if (((i | d) >> 32) == 0)
    q = static_cast<uint32_t>(i) / static_cast<uint32_t>(d);
  else
    q = i / d;
  *r = i - q * d;
  return q;
}

// Whether p is a multiple of `alignment` bytes.
LLMOPT_HD inline bool isAligned(const void* p, uintptr_t alignment) {
  return reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

// N bytes (4, 8 or 16) from p into words (N / 4 of them): one vector load when p is N-aligned
// (`aligned`), byte by byte otherwise.
template <int N>
LLMOPT_HD void loadWords(const void* p, bool aligned, uint32_t* words) {
  static_assert(N == 4 || N == 8 || N == 16, "4, 8 or 16 bytes");
#ifdef __CUDA_ARCH__
  if (aligned) {
    if constexpr (N == 16) {
      const uint4 v = *static_cast<const uint4*>(p);
      words[0] = v.x, words[1] = v.y, words[2] = v.z, words[3] = v.w;
    } else if constexpr (N == 8) {
      const uint2 v = *static_cast<const uint2*>(p);
      words[0] = v.x, words[1] = v.y;
    } else {
      words[0] = *static_cast<const uint32_t*>(p);
    }
    return;
  }
  const unsigned char* b = static_cast<const unsigned char*>(p);
  LLMOPT_UNROLL
  for (int i = 0; i < N / 4; ++i)
    words[i] = b[4 * i] | (uint32_t(b[4 * i + 1]) << 8) | (uint32_t(b[4 * i + 2]) << 16) |
               (uint32_t(b[4 * i + 3]) << 24);
#else
  (void)aligned;
  std::memcpy(words, p, N);  // little-endian, like the GPU
#endif
}

// One element of type T at p, which may not be aligned to sizeof(T).
template <class T>
LLMOPT_HD T loadUnaligned(const void* p) {
  T v;
#ifdef __CUDA_ARCH__
  if (isAligned(p, sizeof(T))) return *static_cast<const T*>(p);
  unsigned char bytes[sizeof(T)];
  for (unsigned i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<const unsigned char*>(p)[i];
  memcpy(&v, bytes, sizeof(T));
#else
  std::memcpy(&v, p, sizeof(T));
#endif
  return v;
}

// acc + the dot product of the four signed bytes of a and b.
LLMOPT_HD inline int32_t dp4a(uint32_t a, uint32_t b, int32_t acc) {
#ifdef __CUDA_ARCH__
  return __dp4a(static_cast<int>(a), static_cast<int>(b), acc);
#else
  uint32_t sum = static_cast<uint32_t>(acc);  // wraps like the hardware, never UB
  for (int i = 0; i < 4; ++i) {
    const int32_t x = static_cast<int8_t>(static_cast<uint8_t>(a >> (8 * i)));
    const int32_t y = static_cast<int8_t>(static_cast<uint8_t>(b >> (8 * i)));
    sum += static_cast<uint32_t>(x * y);
  }
  return static_cast<int32_t>(sum);
#endif
}

}  // namespace llmopt::cuda

#endif  // LLMOPT_KERNELS_CUDA_NUMERIC_CUH
