// IEEE fp16 and bfloat16 conversions for weight packing (compiler) and decoding (runtime):
// round to nearest even, subnormals, infinities and NaN payloads kept. Dependency-free.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QFLOAT16_H
#define LLMOPT_KERNELS_CPU_GENERIC_QFLOAT16_H

#include <cstdint>
#include <cstring>

namespace llmopt::kernels::cpu {

inline uint32_t floatBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return bits;
}

inline float floatFromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

inline uint16_t floatToHalf(float f) {
  const uint32_t x = floatBits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf, or NaN with its payload's top bits (kept non-zero)
    if (abs == 0x7f800000u) return sign | 0x7c00u;
    const uint16_t payload = static_cast<uint16_t>((abs >> 13) & 0x3ffu);
    return sign | 0x7c00u | (payload ? payload : 0x200u);
  }
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to inf
  if (abs < 0x38800000u) {                         // below 2^-14: a subnormal half or zero
    const int shift = 126 - static_cast<int>(abs >> 23);  // significand / 2^shift = units of 2^-24
    if (shift > 24) return sign;                          // at most half a unit: rounds to 0
    const uint32_t significand = (abs & 0x7fffffu) | 0x800000u;
    uint32_t q = significand >> shift;
    const uint32_t rest = significand & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (q & 1))) ++q;  // may carry into the smallest normal
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t h = (abs - 0x38000000u) >> 13;  // exponent rebiased from 127 to 15
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) ++h;
  return static_cast<uint16_t>(sign | h);
}

inline float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return floatFromBits(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {  // mantissa units of 2^-24, exact in fp32
    const float magnitude = static_cast<float>(mantissa) * floatFromBits(0x33800000u);
    return floatFromBits(sign | floatBits(magnitude));
  }
  return floatFromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline uint16_t floatToBFloat16(float f) {
  const uint32_t x = floatBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) {  // NaN: the payload's top bits, kept non-zero
    const uint16_t top = static_cast<uint16_t>(x >> 16);
    return (top & 0x7fu) ? top : static_cast<uint16_t>(top | 0x40u);
  }
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}

inline float bfloat16ToFloat(uint16_t b) { return floatFromBits(static_cast<uint32_t>(b) << 16); }

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QFLOAT16_H
