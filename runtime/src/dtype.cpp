#include "dtype.h"

namespace llmopt::rt {

bool isKnownDtype(int dtype) { return dtype >= LLMOPT_DTYPE_F32 && dtype <= LLMOPT_DTYPE_BOOL; }

size_t dtypeSize(llmopt_dtype dtype) {
  switch (dtype) {
    case LLMOPT_DTYPE_F32: return 4;
    case LLMOPT_DTYPE_F16: return 2;
    case LLMOPT_DTYPE_BF16: return 2;
    case LLMOPT_DTYPE_I8: return 1;
    case LLMOPT_DTYPE_U8: return 1;
    case LLMOPT_DTYPE_I32: return 4;
    case LLMOPT_DTYPE_I64: return 8;
    case LLMOPT_DTYPE_BOOL: return 1;
    case LLMOPT_DTYPE_MAX_ENUM: break;
  }
  return 0;
}

const char* dtypeName(llmopt_dtype dtype) {
  switch (dtype) {
    case LLMOPT_DTYPE_F32: return "f32";
    case LLMOPT_DTYPE_F16: return "f16";
    case LLMOPT_DTYPE_BF16: return "bf16";
    case LLMOPT_DTYPE_I8: return "i8";
    case LLMOPT_DTYPE_U8: return "u8";
    case LLMOPT_DTYPE_I32: return "i32";
    case LLMOPT_DTYPE_I64: return "i64";
    case LLMOPT_DTYPE_BOOL: return "bool";
    case LLMOPT_DTYPE_MAX_ENUM: break;
  }
  return "unknown";
}

}  // namespace llmopt::rt
