// Facts about element types, shared by the loader, the session and the C API.
#ifndef LLMOPT_RUNTIME_DTYPE_H
#define LLMOPT_RUNTIME_DTYPE_H

#include <cstddef>

#include "llmopt/runtime.h"

namespace llmopt::rt {

bool isKnownDtype(int dtype);
size_t dtypeSize(llmopt_dtype dtype);      // 0 for an unknown value
const char* dtypeName(llmopt_dtype dtype);  // "unknown" for an unknown value

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_DTYPE_H
