// XXH64, the 64-bit xxHash, written from the public algorithm description. Used for the
// artifact checksum; not cryptographic (it catches corruption, not tampering).
#ifndef LLMOPT_RUNTIME_FORMAT_XXHASH64_H
#define LLMOPT_RUNTIME_FORMAT_XXHASH64_H

#include <cstddef>
#include <cstdint>

namespace llmopt::artifact {

// Streaming form: update() any number of times, digest() at any point.
class Xxh64 {
 public:
  explicit Xxh64(uint64_t seed = 0);
  void update(const void* data, size_t size);
  uint64_t digest() const;

 private:
  uint64_t seed_;
  uint64_t acc_[4];
  uint64_t total_bytes_ = 0;
  unsigned char stripe_[32];  // bytes not yet forming a whole 32-byte stripe
  size_t stripe_bytes_ = 0;
};

uint64_t xxhash64(const void* data, size_t size, uint64_t seed = 0);

}  // namespace llmopt::artifact

#endif  // LLMOPT_RUNTIME_FORMAT_XXHASH64_H
