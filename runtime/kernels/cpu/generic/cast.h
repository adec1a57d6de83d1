// Cast: converts elements between f32, i64, i32 and bool.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_CAST_H
#define LLMOPT_KERNELS_CPU_GENERIC_CAST_H

#include <cstdint>

#include "kernels/cpu/generic/elem_type.h"
#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

// y[i] = x[i] converted from `from` to `to`: float -> int truncates toward zero (saturating, NaN
// -> 0); int -> narrower int keeps the low bits; anything -> bool is x != 0; bool -> anything is
// 0 or 1 (any nonzero byte reads as true).
void cast(ElemType from, const void* x, ElemType to, void* y, int64_t n,
          Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_CAST_H
