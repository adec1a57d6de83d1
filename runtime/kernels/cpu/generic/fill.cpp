#include "kernels/cpu/generic/fill.h"

#include "kernels/cpu/generic/chunks.h"

namespace llmopt::kernels::cpu {
namespace {

template <class T>
void fillWith(T value, void* y, int64_t n, Parallel* parallel) {
  T* out = static_cast<T*>(y);
  parallelRanges(parallel, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = value;
  });
}

template <class Int>
void integerRange(double start, double delta, void* y, int64_t n) {
  // uint64 arithmetic wraps; the final conversion to Int keeps the low bits.
  const uint64_t s = static_cast<uint64_t>(saturatingCast<int64_t>(start));
  const uint64_t d = static_cast<uint64_t>(saturatingCast<int64_t>(delta));
  Int* out = static_cast<Int*>(y);
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<Int>(static_cast<int64_t>(s + static_cast<uint64_t>(i) * d));
}

}  // namespace

void fill(ElemType type, double value, void* y, int64_t n, Parallel* parallel) {
  switch (type) {
    case ElemType::F32: return fillWith(static_cast<float>(value), y, n, parallel);
    case ElemType::I64: return fillWith(saturatingCast<int64_t>(value), y, n, parallel);
    case ElemType::I32: return fillWith(saturatingCast<int32_t>(value), y, n, parallel);
    case ElemType::Bool: return fillWith(static_cast<uint8_t>(value != 0.0), y, n, parallel);
  }
}

void range(ElemType type, double start, double delta, void* y, int64_t n) {
  switch (type) {
    case ElemType::F32: {
      float* out = static_cast<float*>(y);
      for (int64_t i = 0; i < n; ++i)
        out[i] = static_cast<float>(start + static_cast<double>(i) * delta);
      return;
    }
    case ElemType::I64: return integerRange<int64_t>(start, delta, y, n);
    case ElemType::I32: return integerRange<int32_t>(start, delta, y, n);
    case ElemType::Bool: return;
  }
}

}  // namespace llmopt::kernels::cpu
