//===- KernelLibrary.h - the CUDA kernel library, as text -----------------===//
//
// runtime/kernels/cuda/*.cuh joined into one text in the order kernels.cuh includes them, their
// own `#include "..."` lines dropped (build step cmake/EmbedCudaKernelLibrary.cmake): what every
// generated CUDA source starts with, so that it compiles without the source tree.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_BACKENDS_CUDA_KERNELLIBRARY_H
#define LLMOPT_BACKENDS_CUDA_KERNELLIBRARY_H

namespace llmopt {

extern const char kCudaKernelLibrary[];

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_CUDA_KERNELLIBRARY_H
