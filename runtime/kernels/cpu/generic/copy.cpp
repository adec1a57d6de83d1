#include "kernels/cpu/generic/copy.h"

#include <cstring>

namespace llmopt::kernels::cpu {

void copyBytes(const void* x, void* y, size_t bytes) {
  if (x == y || bytes == 0) return;
  std::memmove(y, x, bytes);
}

}  // namespace llmopt::kernels::cpu
