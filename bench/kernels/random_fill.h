// Fast deterministic filler data for the kernel inputs (the values do not change the timing;
// random ones keep the kernels from meeting only zeros).
#ifndef LLMOPT_BENCH_KERNELS_RANDOM_FILL_H
#define LLMOPT_BENCH_KERNELS_RANDOM_FILL_H

#include <cstddef>
#include <cstdint>

namespace llmopt::bench {

class XorShift {
 public:
  explicit XorShift(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull | 1) {}
  uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  // Uniform in [-1, 1).
  float nextFloat() { return static_cast<float>(next() >> 40) * (2.0f / (1 << 24)) - 1.0f; }

 private:
  uint64_t state_;
};

inline void fillBytes(void* dst, size_t bytes, uint64_t seed, uint8_t mask = 0xff) {
  XorShift rng(seed);
  auto* p = static_cast<uint8_t*>(dst);
  for (size_t i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(rng.next() >> 56) & mask;
}

inline void fillFloats(float* dst, size_t count, uint64_t seed, float scale = 1.0f) {
  XorShift rng(seed);
  for (size_t i = 0; i < count; ++i) dst[i] = scale * rng.nextFloat();
}

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_RANDOM_FILL_H
