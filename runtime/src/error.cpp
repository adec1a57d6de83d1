#include "error.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace llmopt::rt {
namespace {
// A fixed buffer: reporting an error never allocates (it may be reporting out-of-memory).
thread_local char g_last_error[1024];
}  // namespace

Status fail(Status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(g_last_error, sizeof g_last_error, format, args);
  va_end(args);
  return status;
}

void prefixLastError(const char* prefix) {
  char joined[sizeof g_last_error];
  std::snprintf(joined, sizeof joined, "%s: %s", prefix, g_last_error);
  std::memcpy(g_last_error, joined, sizeof joined);
}

const char* lastError() { return g_last_error; }

}  // namespace llmopt::rt
