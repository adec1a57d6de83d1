//===- fuzz_npy.cpp - fuzz the .npy reader of `llmopt run` -----------------===//
//
// Bytes → llmopt::npy::parse. A parsed array must be consistent: its data is exactly its shape's
// element count times the dtype size, and its rank fits the runtime's.
//
//===----------------------------------------------------------------------===//
#include "tools/llmopt/Npy.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  llmopt::npy::Array array;
  std::string error;
  if (!llmopt::npy::parse(reinterpret_cast<const char*>(data), size, array, error)) {
    if (error.empty()) {
      std::fprintf(stderr, "fuzz_npy: parse failed without a reason\n");
      std::abort();
    }
    return 0;
  }
  uint64_t elements = 1;
  for (int64_t dim : array.shape) {
    if (dim < 0) std::abort();
    elements *= static_cast<uint64_t>(dim);
  }
  if (array.shape.size() > LLMOPT_MAX_RANK ||
      array.data.size() != elements * llmopt_dtype_size(array.dtype)) {
    std::fprintf(stderr, "fuzz_npy: rank %zu, %zu data bytes for %llu elements of %s\n",
                 array.shape.size(), array.data.size(), static_cast<unsigned long long>(elements),
                 llmopt_dtype_name(array.dtype));
    std::abort();
  }
  return 0;
}
