// Gather: rows of a tensor picked along one axis by a tensor of indices.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_GATHER_H
#define LLMOPT_KERNELS_CPU_GENERIC_GATHER_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

struct GatherArgs {
  const void* data = nullptr;  // [outer][dim][inner] elements of elem_size bytes
  int64_t outer = 0, dim = 0, inner = 0;
  size_t elem_size = 0;
  const void* indices = nullptr;  // `count` indices, i64 or i32
  bool indices_i64 = true;
  int64_t count = 0;
  void* y = nullptr;  // [outer][count][inner]
};

// y[o][j] = data[o][indices[j]] (one memcpy of `inner` elements each); a negative index counts
// from the end. Returns false, writing nothing and setting *bad_index, when an index lies outside
// [-dim, dim).
bool gather(const GatherArgs& args, int64_t* bad_index, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_GATHER_H
