//===- Npy.h - NumPy .npy files in and out --------------------------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_NPY_H
#define LLMOPT_TOOLS_LLMOPT_NPY_H

#include "llmopt/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llmopt::npy {

struct Array {
  llmopt_dtype dtype = LLMOPT_DTYPE_F32;
  std::vector<int64_t> shape;
  std::vector<char> data;  // C order, little-endian
};

/// Parses a .npy file (format 1.0, 2.0 or 3.0; C order; little-endian or byte-sized dtypes).
/// On failure returns false with a one-line reason.
bool parse(const char* bytes, size_t size, Array& out, std::string& error);
bool read(const std::string& path, Array& out, std::string& error);

/// Writes a .npy file (format 1.0).
bool write(const std::string& path, llmopt_dtype dtype, const int64_t* shape, int rank,
           const void* data, size_t bytes, std::string& error);

/// The file name of a tensor's .npy (`llmopt run --output-dir` and the programs that must name
/// files as it does): ONNX names may hold '/' or ':', file names keep [A-Za-z0-9._-].
std::string fileNameFor(const std::string& tensorName);

/// "<f4", "<i8", ... or "" for a dtype numpy cannot name.
const char* descr(llmopt_dtype dtype);

}  // namespace llmopt::npy

#endif  // LLMOPT_TOOLS_LLMOPT_NPY_H
