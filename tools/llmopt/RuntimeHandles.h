//===- RuntimeHandles.h - the runtime C API as the CLI commands use it ----===//
#ifndef LLMOPT_TOOLS_LLMOPT_RUNTIMEHANDLES_H
#define LLMOPT_TOOLS_LLMOPT_RUNTIMEHANDLES_H

#include "llmopt/runtime.h"

#include <memory>
#include <string>

namespace llmopt {

struct ModelDeleter {
  void operator()(llmopt_model* m) const { llmopt_model_free(m); }
};
struct SessionDeleter {
  void operator()(llmopt_session* s) const { llmopt_session_free(s); }
};
using ModelPtr = std::unique_ptr<llmopt_model, ModelDeleter>;
using SessionPtr = std::unique_ptr<llmopt_session, SessionDeleter>;

/// "[batch, 16]": static dims as numbers, dynamic ones by name ("?" when unnamed).
inline std::string formatTensorShape(const llmopt_tensor_info& info) {
  std::string text = "[";
  for (int i = 0; i < info.rank; ++i) {
    if (i) text += ", ";
    if (info.dims[i] >= 0)
      text += std::to_string(info.dims[i]);
    else
      text += info.dim_names[i] ? info.dim_names[i] : "?";
  }
  return text + "]";
}

/// --kv-cache-type's name for the cache's element type.
inline const char* kvCacheTypeName(llmopt_dtype dtype) {
  switch (dtype) {
    case LLMOPT_DTYPE_F16: return "fp16";
    case LLMOPT_DTYPE_I8: return "int8";
    default: return "fp32";
  }
}

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_RUNTIMEHANDLES_H
