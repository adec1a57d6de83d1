#include "format/xxhash64.h"

#include <cstring>

namespace llmopt::artifact {
namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// The format is defined on little-endian lanes.
inline uint64_t read64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}
inline uint32_t read32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

inline uint64_t round(uint64_t acc, uint64_t lane) {
  acc += lane * kPrime2;
  return rotl(acc, 31) * kPrime1;
}

inline uint64_t mergeRound(uint64_t acc, uint64_t value) {
  acc ^= round(0, value);
  return acc * kPrime1 + kPrime4;
}

inline void consumeStripe(uint64_t acc[4], const unsigned char* p) {
  for (int i = 0; i < 4; ++i) acc[i] = round(acc[i], read64(p + 8 * i));
}

}  // namespace

Xxh64::Xxh64(uint64_t seed) : seed_(seed) {
  acc_[0] = seed + kPrime1 + kPrime2;
  acc_[1] = seed + kPrime2;
  acc_[2] = seed;
  acc_[3] = seed - kPrime1;
}

void Xxh64::update(const void* data, size_t size) {
  if (size == 0) return;  // data may be null then (an empty tensor's bytes)
  const unsigned char* p = static_cast<const unsigned char*>(data);
  total_bytes_ += size;
  if (stripe_bytes_ > 0) {
    size_t take = sizeof stripe_ - stripe_bytes_;
    if (take > size) take = size;
    std::memcpy(stripe_ + stripe_bytes_, p, take);
    stripe_bytes_ += take;
    p += take;
    size -= take;
    if (stripe_bytes_ < sizeof stripe_) return;
    consumeStripe(acc_, stripe_);
    stripe_bytes_ = 0;
  }
  for (; size >= 32; p += 32, size -= 32) consumeStripe(acc_, p);
  std::memcpy(stripe_, p, size);
  stripe_bytes_ = size;
}

uint64_t Xxh64::digest() const {
  uint64_t h;
  if (total_bytes_ >= 32) {
    h = rotl(acc_[0], 1) + rotl(acc_[1], 7) + rotl(acc_[2], 12) + rotl(acc_[3], 18);
    for (uint64_t a : acc_) h = mergeRound(h, a);
  } else {
    h = seed_ + kPrime5;
  }
  h += total_bytes_;

  const unsigned char* p = stripe_;
  size_t left = stripe_bytes_;
  for (; left >= 8; p += 8, left -= 8) {
    h ^= round(0, read64(p));
    h = rotl(h, 27) * kPrime1 + kPrime4;
  }
  if (left >= 4) {
    h ^= uint64_t(read32(p)) * kPrime1;
    h = rotl(h, 23) * kPrime2 + kPrime3;
    p += 4;
    left -= 4;
  }
  for (; left > 0; ++p, --left) {
    h ^= uint64_t(*p) * kPrime5;
    h = rotl(h, 11) * kPrime1;
  }

  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

uint64_t xxhash64(const void* data, size_t size, uint64_t seed) {
  Xxh64 hasher(seed);
  hasher.update(data, size);
  return hasher.digest();
}

}  // namespace llmopt::artifact
