#include "kernels/cpu/generic/cast.h"

#include <cstring>
#include <type_traits>

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {
namespace {

struct Bool {  // tag: bool stored as one byte
  uint8_t v;
};

template <class To, class From>
To convert(From v) {
  if constexpr (std::is_same_v<To, Bool>) {
    return Bool{static_cast<uint8_t>(v != 0)};
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    return saturatingCast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

template <class From, class To>
void convertAll(const void* x, void* y, int64_t n, Parallel* parallel) {
  // Bool is read as its byte, so any nonzero value counts as true.
  using In = std::conditional_t<std::is_same_v<From, Bool>, uint8_t, From>;
  using Out = std::conditional_t<std::is_same_v<To, Bool>, uint8_t, To>;
  const In* in = static_cast<const In*>(x);
  Out* out = static_cast<Out*>(y);
  parallelRanges(parallel, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if constexpr (std::is_same_v<From, Bool>) {
        out[i] = static_cast<Out>(in[i] != 0);
      } else if constexpr (std::is_same_v<To, Bool>) {
        out[i] = convert<To>(in[i]).v;
      } else {
        out[i] = convert<To>(in[i]);
      }
    }
  });
}

template <class From>
void castFrom(const void* x, ElemType to, void* y, int64_t n, Parallel* parallel) {
  switch (to) {
    case ElemType::F32: return convertAll<From, float>(x, y, n, parallel);
    case ElemType::I64: return convertAll<From, int64_t>(x, y, n, parallel);
    case ElemType::I32: return convertAll<From, int32_t>(x, y, n, parallel);
    case ElemType::Bool: return convertAll<From, Bool>(x, y, n, parallel);
  }
}

}  // namespace

void cast(ElemType from, const void* x, ElemType to, void* y, int64_t n, Parallel* parallel) {
  if (n <= 0) return;
  switch (from) {
    case ElemType::F32: return castFrom<float>(x, to, y, n, parallel);
    case ElemType::I64: return castFrom<int64_t>(x, to, y, n, parallel);
    case ElemType::I32: return castFrom<int32_t>(x, to, y, n, parallel);
    case ElemType::Bool: return castFrom<Bool>(x, to, y, n, parallel);
  }
}

}  // namespace llmopt::kernels::cpu
