// A zero-filled, 64-byte aligned heap buffer (huge-page aligned and advised when large, so a
// streaming benchmark is not limited by TLB misses).
#ifndef LLMOPT_BENCH_KERNELS_ALIGNED_BUFFER_H
#define LLMOPT_BENCH_KERNELS_ALIGNED_BUFFER_H

#include <cstddef>
#include <cstdint>

namespace llmopt::bench {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes);
  ~AlignedBuffer();
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  void* data() const { return data_; }
  size_t size() const { return size_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_ALIGNED_BUFFER_H
