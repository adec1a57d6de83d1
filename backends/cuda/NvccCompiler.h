//===- NvccCompiler.h - CUDA source → fatbin, at compile time -------------===//
//
// `--target cuda` compiles the generated kernels with nvcc into one fatbin: machine code (SASS)
// for each architecture asked for, and the PTX of the newest one, so that later GPUs can still
// JIT it. nvcc is found at $LLMOPT_NVCC, else on PATH, else where the build found it.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_BACKENDS_CUDA_NVCCCOMPILER_H
#define LLMOPT_BACKENDS_CUDA_NVCCCOMPILER_H

#include <string>
#include <vector>

namespace llmopt {

/// The architectures of `--cuda-arch`: a comma-separated list of sm_XY (XY >= 75, what CUDA 13
/// compiles for), sorted and without repeats. False with `error` naming a bad entry.
bool parseCudaArchs(const std::string& list, std::vector<std::string>* archs, std::string& error);

/// The nvcc `--target cuda` will run, or false with `error` saying why there is none (checked
/// before the model is imported, so that a missing toolkit fails fast).
bool findNvcc(std::string* nvcc, std::string& error);

/// Compiles `source` for `archs` into `image` with `nvcc`. False with `error` (nvcc's first lines
/// of output when it fails).
bool compileCudaFatbin(const std::string& nvcc, const std::string& source,
                       const std::vector<std::string>& archs, std::vector<char>* image,
                       std::string& error);

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_CUDA_NVCCCOMPILER_H
