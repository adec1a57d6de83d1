// Prefetching into L2, spread over the calls of a loop: the data a GEMM task multiplies next,
// fetched while the current data's row tiles run.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_SLICED_PREFETCH_H
#define LLMOPT_KERNELS_CPU_GENERIC_SLICED_PREFETCH_H

#include <cstdint>

namespace llmopt::kernels::cpu {

// Prefetches `count` spans of `bytes` bytes, `stride` bytes apart from `first`, into L2 in
// `slices` equal slices of whole 64-byte lines, one slice per nextSlice(). Default-constructed,
// it prefetches nothing.
class SlicedPrefetch {
 public:
  SlicedPrefetch() = default;
  SlicedPrefetch(const void* first, int64_t bytes, int64_t count, int64_t stride, int64_t slices)
      : first_(static_cast<const char*>(first)),
        lines_((bytes + 63) / 64),
        stride_(stride),
        total_(lines_ * count),
        slice_((total_ + slices - 1) / slices) {}

  void nextSlice() {
    const int64_t stop = total_ - next_ < slice_ ? total_ : next_ + slice_;
    for (; next_ < stop; ++next_)
      __builtin_prefetch(first_ + (next_ / lines_) * stride_ + (next_ % lines_) * 64, 0, 2);
  }

 private:
  const char* first_ = nullptr;
  int64_t lines_ = 1, stride_ = 0, total_ = 0, slice_ = 0, next_ = 0;
};

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_SLICED_PREFETCH_H
