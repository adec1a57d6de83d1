// The element types the value-converting kernels (fill, range, cast) handle, and conversions
// between them that never invoke undefined behaviour.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_ELEM_TYPE_H
#define LLMOPT_KERNELS_CPU_GENERIC_ELEM_TYPE_H

#include <cmath>
#include <cstdint>
#include <limits>

namespace llmopt::kernels::cpu {

enum class ElemType { F32, I64, I32, Bool };  // bool: one byte, 0 or 1

// A float or double truncated toward zero into an integer type, saturating at its limits; NaN
// becomes 0 (a plain cast of those is undefined behaviour).
template <class Int, class Float>
Int saturatingCast(Float v) {
  if (!(v == v)) return 0;
  // 2^(bits-1) is exact in both float and double.
  constexpr Float kLimit = static_cast<Float>(uint64_t(1) << (std::numeric_limits<Int>::digits));
  if (v >= kLimit) return std::numeric_limits<Int>::max();
  if (v < -kLimit) return std::numeric_limits<Int>::min();
  return static_cast<Int>(v);
}

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_ELEM_TYPE_H
