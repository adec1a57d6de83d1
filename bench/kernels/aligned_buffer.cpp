#include "aligned_buffer.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace llmopt::bench {

namespace {
constexpr size_t kHugePage = size_t(2) << 20;
}

AlignedBuffer::AlignedBuffer(size_t bytes) {
  const size_t align = bytes >= 4 * kHugePage ? kHugePage : 64;
  size_ = bytes;
  const size_t rounded = (bytes + align - 1) / align * align + align;  // never 0
  data_ = std::aligned_alloc(align, rounded);
  if (data_ == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (align == kHugePage) madvise(data_, rounded, MADV_HUGEPAGE);  // advice only: ignore failure
#endif
  // Writing every page also backs it: reads of never-written pages would all hit the zero page.
  std::memset(data_, 0, rounded);
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace llmopt::bench
