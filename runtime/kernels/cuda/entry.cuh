// How a generated op becomes a kernel. The code generator writes one line per op:
//   LLMOPT_CUDA_KERNEL(llmopt_k7, llmopt::cuda::layerNorm<true>(x, a, 2, 1e-05f))
// nvcc makes it the op's __global__ kernel (op_args.h's calling convention), with `x` the
// DeviceExec and `a` the OpArgs; a host compiler makes it a static function of the same
// arguments on the serial executor (HostExec), which the generated file lists in
// llmopt_host_kernels[] for the host emulation.
#ifndef LLMOPT_KERNELS_CUDA_ENTRY_CUH
#define LLMOPT_KERNELS_CUDA_ENTRY_CUH

#include "kernels/cuda/op_args.h"
#include "kernels/cuda/team.cuh"

#ifdef __CUDACC__
// __grid_constant__ (sm_70+): the kernels take the parameter's address (they pass it on by
// reference); without it nvcc copies all 4 KiB of OpArgs to local memory in every thread.
#define LLMOPT_CUDA_KERNEL_ON(Exec, name, ...)                                   \
  extern "C" __global__ void __launch_bounds__(::llmopt::cuda::kThreadsPerBlock) \
      name(const __grid_constant__ ::llmopt::cuda::OpArgs a) {                   \
    const Exec x;                                                                \
    __VA_ARGS__;                                                                 \
  }
#define LLMOPT_CUDA_KERNEL(name, ...) \
  LLMOPT_CUDA_KERNEL_ON(::llmopt::cuda::DeviceExec, name, __VA_ARGS__)
// A linear layer's second kernel, launched for outputs of at most kBlockTeamMaxOutputs
// elements (op_args.h): the same call on DeviceGemvExec. The host emulation has no use for it
// (its one kernel serves every size).
#define LLMOPT_CUDA_GEMV_KERNEL(name, ...) \
  LLMOPT_CUDA_KERNEL_ON(::llmopt::cuda::DeviceGemvExec, name, __VA_ARGS__)
#else
#define LLMOPT_CUDA_KERNEL(name, ...)                 \
  static void name(const ::llmopt::cuda::OpArgs& a) { \
    const ::llmopt::cuda::HostExec x;                 \
    __VA_ARGS__;                                      \
  }
#define LLMOPT_CUDA_GEMV_KERNEL(name, ...)
#endif

#endif  // LLMOPT_KERNELS_CUDA_ENTRY_CUH
