// Trilu: keeps the upper or lower triangle of the last two dims, zeroing the rest.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_TRILU_H
#define LLMOPT_KERNELS_CPU_GENERIC_TRILU_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/shape.h"

namespace llmopt::kernels::cpu {

// x and y [..., M, N] (rank >= 2), elements of elem_size bytes: y[..., i, j] = x[..., i, j] where
// j - i >= k (upper) or j - i <= k (lower), else 0 (all-zero bytes). y must not alias x.
void trilu(const void* x, const Shape& shape, bool upper, int64_t k, size_t elem_size, void* y,
           Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_TRILU_H
