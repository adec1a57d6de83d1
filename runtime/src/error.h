// The runtime's error reporting: a status code returned, a one-line message kept per thread.
#ifndef LLMOPT_RUNTIME_ERROR_H
#define LLMOPT_RUNTIME_ERROR_H

#include "llmopt/runtime.h"

namespace llmopt::rt {

using Status = llmopt_status;

// Records a printf-style message as this thread's last error and returns `status`, so that
// `return fail(LLMOPT_ERROR_IO, "cannot open '%s'", path);` reports and propagates in one step.
Status fail(Status status, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Prepends "prefix: " to this thread's last error (adds context on the way out).
void prefixLastError(const char* prefix);

const char* lastError();

}  // namespace llmopt::rt

// Propagates a failed Status.
#define LLMOPT_TRY(expr)                                \
  do {                                                  \
    ::llmopt::rt::Status llmopt_try_status_ = (expr);   \
    if (llmopt_try_status_ != LLMOPT_OK) return llmopt_try_status_; \
  } while (0)

#endif  // LLMOPT_RUNTIME_ERROR_H
