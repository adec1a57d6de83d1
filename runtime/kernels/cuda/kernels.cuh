// The CUDA kernel library, whole. The code generator (backends/cuda) embeds it into the one
// self-contained .cu it writes for a model by concatenating the files below in this order and
// dropping every line that starts with `#include "`. So each file includes the library's files
// (and op_args.h) only in the quoted form and system headers only as <...>, every file comes
// after those it uses, and this file holds nothing but the list: LLMOPT_CUDA_KERNEL is in
// entry.cuh, HostKernel in op_args.h.
#ifndef LLMOPT_KERNELS_CUDA_KERNELS_CUH
#define LLMOPT_KERNELS_CUDA_KERNELS_CUH

// The concatenation order: kept as written.
// clang-format off
#include "kernels/cuda/op_args.h"
#include "kernels/cuda/team.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/movement.cuh"
#include "kernels/cuda/reduce.cuh"
#include "kernels/cuda/qformat.cuh"
#include "kernels/cuda/linear.cuh"
#include "kernels/cuda/qgather.cuh"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/entry.cuh"
// clang-format on

#endif  // LLMOPT_KERNELS_CUDA_KERNELS_CUH
