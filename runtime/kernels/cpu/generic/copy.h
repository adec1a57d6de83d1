// Copies a tensor's bytes unchanged (Reshape, Flatten, Identity, and writing model outputs).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_COPY_H
#define LLMOPT_KERNELS_CPU_GENERIC_COPY_H

#include <cstddef>

namespace llmopt::kernels::cpu {

// Copies `bytes` from x to y; a no-op when they are the same buffer.
void copyBytes(const void* x, void* y, size_t bytes);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_COPY_H
