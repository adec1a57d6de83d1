//===- CudaCodegen.h - an artifact's plan as CUDA C++ ---------------------===//
//
// `llmopt compile --target cuda` and `--emit cuda`: one kernel per op of a compiled plan,
// `extern "C" llmopt_op_<i>(llmopt::cuda::OpArgs)`, each a call into the kernel library
// (runtime/kernels/cuda) specialised for that op: element types, epilogue, layouts and every
// parameter the plan fixes (sizes, epsilons, scales, axes) are constants of the generated code;
// only the dims that depend on the model's symbols (batch, sequence) stay run-time values. The
// source is self-contained: the library is embedded in it, so nvcc needs no include path, and it
// also compiles as host C++ (the kernels' host emulation, which the tests run).
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_BACKENDS_CUDA_CUDACODEGEN_H
#define LLMOPT_BACKENDS_CUDA_CUDACODEGEN_H

#include <string>

namespace llmopt {

struct CudaSource {
  std::string text;
  size_t numKernels = 0;
};

/// Generates the CUDA source for the plan of the artifact at `artifactPath` (compiled from
/// `sourceName`, for the comments). False with a one-line `error` when the artifact does not
/// load or an op has no CUDA kernel (naming the op).
bool generateCudaSource(const std::string& artifactPath, const std::string& sourceName,
                        CudaSource* out, std::string& error);

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_CUDA_CUDACODEGEN_H
