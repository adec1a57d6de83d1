#include "error.h"

#include <algorithm>
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
  char message[sizeof g_last_error];
  std::memcpy(message, g_last_error, sizeof message);
  std::snprintf(g_last_error, sizeof g_last_error, "%s: ", prefix);
  const size_t used = std::strlen(g_last_error);
  const size_t room = sizeof g_last_error - 1 - used;
  const size_t length = std::min(std::strlen(message), room);
  std::memcpy(g_last_error + used, message, length);
  g_last_error[used + length] = '\0';
}

const char* lastError() { return g_last_error; }

}  // namespace llmopt::rt
