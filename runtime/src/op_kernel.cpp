#include "op_kernel.h"

namespace llmopt::rt {

const char* opKernelName(OpKernel kernel) {
  switch (kernel) {
#define LLMOPT_OP_KERNEL_NAME(id, name) \
  case OpKernel::id: return name;
    LLMOPT_OP_KERNELS(LLMOPT_OP_KERNEL_NAME)
#undef LLMOPT_OP_KERNEL_NAME
  }
  return "unknown";
}

}  // namespace llmopt::rt
