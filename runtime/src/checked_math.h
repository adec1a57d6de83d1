// Overflow-checked integer arithmetic for sizes and offsets computed from untrusted artifacts.
#ifndef LLMOPT_RUNTIME_CHECKED_MATH_H
#define LLMOPT_RUNTIME_CHECKED_MATH_H

#include <cstdint>

namespace llmopt::rt {

// Each returns false (leaving *out unspecified) when the result does not fit.
inline bool checkedMul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
inline bool checkedAdd(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}
inline bool checkedMul(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
inline bool checkedAdd(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}
// Rounds up to a multiple of `alignment` (a power of two).
inline bool checkedAlignUp(uint64_t value, uint64_t alignment, uint64_t* out) {
  uint64_t bumped;
  if (!checkedAdd(value, alignment - 1, &bumped)) return false;
  *out = bumped & ~(alignment - 1);
  return true;
}

// No tensor, arena or scratch area may exceed this: refuses absurd sizes before allocating.
constexpr uint64_t kMaxBytes = uint64_t(1) << 40;  // 1 TiB

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_CHECKED_MATH_H
