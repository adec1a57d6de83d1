// The shape of a dense row-major tensor as the CPU kernels see it: resolved, non-negative dims.
#ifndef LLMOPT_KERNELS_CPU_SHAPE_H
#define LLMOPT_KERNELS_CPU_SHAPE_H

#include <cstdint>
#include <initializer_list>

namespace llmopt::kernels {

constexpr int kMaxRank = 8;

struct Shape {
  int32_t rank = 0;
  int64_t dims[kMaxRank] = {};

  Shape() = default;
  Shape(std::initializer_list<int64_t> list) {
    for (int64_t d : list)
      if (rank < kMaxRank) dims[rank++] = d;
  }

  // Callers guarantee the product fits (the runtime checks sizes before any kernel runs).
  int64_t elements() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[i];
    return n;
  }
  int64_t back() const { return dims[rank - 1]; }

  friend bool operator==(const Shape& x, const Shape& y) {
    if (x.rank != y.rank) return false;
    for (int i = 0; i < x.rank; ++i)
      if (x.dims[i] != y.dims[i]) return false;
    return true;
  }
  friend bool operator!=(const Shape& x, const Shape& y) { return !(x == y); }
};

}  // namespace llmopt::kernels

#endif  // LLMOPT_KERNELS_CPU_SHAPE_H
