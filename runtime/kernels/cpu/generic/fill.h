// Generators without inputs: Fill (ConstantOfShape) and Range.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_FILL_H
#define LLMOPT_KERNELS_CPU_GENERIC_FILL_H

#include <cstdint>

#include "kernels/cpu/generic/elem_type.h"
#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

// y[i] = value for n elements of `type`: converted to float, truncated toward zero and
// saturated for integers, value != 0 for bool.
void fill(ElemType type, double value, void* y, int64_t n, Parallel* parallel = nullptr);

// y[i] = start + i * delta for n elements of `type` (F32, I64 or I32). F32 computes in double;
// integers take start and delta truncated to integers and wrap around on overflow.
void range(ElemType type, double start, double delta, void* y, int64_t n);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_FILL_H
