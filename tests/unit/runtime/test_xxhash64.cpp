#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "format/xxhash64.h"

namespace llmopt::artifact {
namespace {

uint64_t hashString(const std::string& s, uint64_t seed = 0) {
  return xxhash64(s.data(), s.size(), seed);
}

// Reference values from the xxHash library (XXH64).
TEST(Xxh64, KnownVectors) {
  EXPECT_EQ(hashString(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(hashString("", 1), 0xD5AFBA1336A3BE4BULL);
  EXPECT_EQ(hashString("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(hashString("abc"), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(hashString("abc", 0x9E3779B185EBCA87ULL), 0xA7CB2AAC405E36C7ULL);
  EXPECT_EQ(hashString("Nobody inspects the spammish repetition"), 0xFBCEA83C8A378BF1ULL);
  EXPECT_EQ(hashString("The quick brown fox jumps over the lazy dog"), 0x0B242D361FDA71BCULL);
}

// Bytes i * 7 mod 256, hashed at lengths around the 32-byte stripe.
TEST(Xxh64, KnownVectorsAcrossStripeBoundaries) {
  std::vector<uint8_t> buffer(1000);
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<uint8_t>(i * 7);
  struct Case {
    size_t size;
    uint64_t seed0, seed42;
  };
  const Case cases[] = {
      {31, 0x0F187C62B1E722B7ULL, 0xCE9CE149817CE82AULL},
      {32, 0x91B0CB0931A8C629ULL, 0xA058DA75ECC0B760ULL},
      {33, 0x931B043CF8D65B94ULL, 0xFFC2737124D4C73EULL},
      {63, 0x219110BF13E2FA26ULL, 0x6735C3EEFAEEE4D7ULL},
      {64, 0xBF3052E3445775D0ULL, 0x2E4378846F9F5B8BULL},
      {100, 0x8E2272C08247D5DBULL, 0x9BB39A008C03147CULL},
      {1000, 0x25275608A9CFC168ULL, 0x6D70F8FAA18AF724ULL},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(xxhash64(buffer.data(), c.size, 0), c.seed0) << c.size;
    EXPECT_EQ(xxhash64(buffer.data(), c.size, 42), c.seed42) << c.size;
  }
}

TEST(Xxh64, StreamingMatchesOneShotForAnySplit) {
  std::mt19937 rng(1);
  std::vector<uint8_t> data(777);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t size : {0, 1, 5, 31, 32, 33, 64, 100, 777}) {
    const uint64_t expected = xxhash64(data.data(), size, 99);
    for (int trial = 0; trial < 20; ++trial) {
      Xxh64 hasher(99);
      size_t done = 0;
      while (done < size) {
        size_t chunk = std::min<size_t>(size - done, rng() % 40);
        hasher.update(data.data() + done, chunk);
        done += chunk;
      }
      EXPECT_EQ(hasher.digest(), expected) << size;
    }
  }
}

}  // namespace
}  // namespace llmopt::artifact
