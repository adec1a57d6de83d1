//===- CudaCodegen.h - an artifact's plan as CUDA C++ ---------------------===//
//
// `llmopt compile --target cuda` and `--emit cuda`: the kernels of a compiled plan,
// `extern "C" llmopt_k<j>(llmopt::cuda::OpArgs)`, each a call into the kernel library
// (runtime/kernels/cuda) specialised for its ops: element types, epilogue, layouts and every
// parameter the plan fixes (sizes, epsilons, scales, axes) are constants of the generated code;
// only the dims that depend on the model's symbols (batch, sequence) stay run-time values. Ops
// with the same specialisation (a transformer's layers) share one kernel. The
// source is self-contained: the library is embedded in it, so nvcc needs no include path, and it
// also compiles as host C++ (the kernels' host emulation, which the tests run).
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_BACKENDS_CUDA_CUDACODEGEN_H
#define LLMOPT_BACKENDS_CUDA_CUDACODEGEN_H

#include <cstdint>
#include <string>
#include <vector>

namespace llmopt {

struct CudaSource {
  std::string text;
  size_t numKernels = 0;
  std::vector<uint32_t> opKernels;  // per op of the plan: its kernel, llmopt_k<opKernels[i]>
};

/// Generates the CUDA source for the plan of the artifact at `artifactPath` (compiled from
/// `sourceName`, for the comments). False with a one-line `error` when the artifact does not
/// load or an op has no CUDA kernel (naming the op).
bool generateCudaSource(const std::string& artifactPath, const std::string& sourceName,
                        CudaSource* out, std::string& error);

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_CUDA_CUDACODEGEN_H
