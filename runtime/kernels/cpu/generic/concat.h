// Concat: tensors joined along one axis.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_CONCAT_H
#define LLMOPT_KERNELS_CPU_GENERIC_CONCAT_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

struct ConcatInput {
  const void* data;  // [outer][dim][inner]; may be null when it has no elements
  int64_t dim;       // its length along the axis
};

// y[o] = inputs[0][o] ++ inputs[1][o] ++ ...: y is [outer][sum of dims][inner], elements of
// elem_size bytes.
void concat(const ConcatInput* inputs, size_t count, int64_t outer, int64_t inner,
            size_t elem_size, void* y, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_CONCAT_H
