#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "format/artifact_container.h"

namespace llmopt::artifact {
namespace {

std::vector<uint8_t> bytes(size_t count, uint8_t start) {
  std::vector<uint8_t> v(count);
  for (size_t i = 0; i < count; ++i) v[i] = static_cast<uint8_t>(start + i);
  return v;
}

ArtifactHeader headerOf(const std::vector<uint8_t>& file) {
  ArtifactHeader h;
  std::memcpy(&h, file.data(), sizeof h);
  return h;
}

void writeHeader(std::vector<uint8_t>& file, const ArtifactHeader& h) {
  std::memcpy(file.data(), &h, sizeof h);
}

TEST(ArtifactContainer, MakeHeaderLayout) {
  ArtifactHeader h = makeHeader(Target::Cpu, 100, 50);
  EXPECT_EQ(std::memcmp(h.magic, kMagic, 8), 0);
  EXPECT_EQ(h.format_version, kFormatVersion);
  EXPECT_EQ(h.target, 0u);
  EXPECT_EQ(h.plan_offset, 64u);
  EXPECT_EQ(h.plan_bytes, 100u);
  EXPECT_EQ(h.weights_offset, 192u);  // alignUp(164, 64)
  EXPECT_EQ(h.weights_bytes, 50u);
  EXPECT_EQ(h.file_bytes, 242u);
  EXPECT_EQ(h.checksum, 0u);
  EXPECT_EQ(makeHeader(Target::Cpu, 64, 0).weights_offset, 128u);
  EXPECT_EQ(makeHeader(Target::Cpu, 0, 0).weights_offset, 64u);
}

TEST(ArtifactContainer, PackThenParse) {
  auto plan = bytes(100, 1), weights = bytes(300, 7);
  auto file = packArtifact(Target::Cpu, plan.data(), plan.size(), weights.data(), weights.size());
  ArtifactHeader h;
  std::string error;
  ASSERT_TRUE(parseHeader(file.data(), file.size(), &h, &error)) << error;
  EXPECT_EQ(file.size(), h.file_bytes);
  EXPECT_EQ(std::memcmp(file.data() + h.plan_offset, plan.data(), plan.size()), 0);
  EXPECT_EQ(std::memcmp(file.data() + h.weights_offset, weights.data(), weights.size()), 0);
  for (uint64_t i = h.plan_offset + h.plan_bytes; i < h.weights_offset; ++i)
    EXPECT_EQ(file[i], 0) << "padding at " << i;
  EXPECT_EQ(h.checksum, checksumOfFile(file.data(), file.size()));
  ArtifactHeader unsummed = makeHeader(Target::Cpu, plan.size(), weights.size());
  EXPECT_EQ(h.checksum, checksumOfParts(unsummed, plan.data(), weights.data()));
}

TEST(ArtifactContainer, ChecksumCoversEveryByteButItself) {
  auto plan = bytes(40, 1), weights = bytes(70, 9);
  auto file = packArtifact(Target::Cpu, plan.data(), plan.size(), weights.data(), weights.size());
  const uint64_t sum = checksumOfFile(file.data(), file.size());
  for (size_t i = 0; i < file.size(); ++i) {
    file[i] ^= 0x10;
    const bool in_checksum = i >= kChecksumOffset && i < kChecksumOffset + 8;
    EXPECT_EQ(checksumOfFile(file.data(), file.size()) == sum, in_checksum) << "byte " << i;
    file[i] ^= 0x10;
  }
}

struct Rejection {
  const char* what;
  void (*corrupt)(std::vector<uint8_t>&, ArtifactHeader&);
  HeaderProblem problem;
  const char* message;
};

TEST(ArtifactContainer, ParseHeaderRejections) {
  const Rejection cases[] = {
      {"bad magic", [](auto&, ArtifactHeader& h) { h.magic[0] = 'X'; }, HeaderProblem::BadMagic,
       "bad magic"},
      {"newer version", [](auto&, ArtifactHeader& h) { h.format_version = kFormatVersion + 1; },
       HeaderProblem::UnsupportedVersion, "newer than this runtime"},
      {"older version", [](auto&, ArtifactHeader& h) { h.format_version = kFormatVersion - 1; },
       HeaderProblem::UnsupportedVersion, "older than this runtime"},
      {"version 0", [](auto&, ArtifactHeader& h) { h.format_version = 0; },
       HeaderProblem::BadLayout, "version 0"},
      {"unknown target", [](auto&, ArtifactHeader& h) { h.target = 9; },
       HeaderProblem::UnknownTarget, "unknown target 9"},
      {"file_bytes larger", [](auto&, ArtifactHeader& h) { h.file_bytes += 1; },
       HeaderProblem::Truncated, "truncated"},
      {"file_bytes smaller", [](auto&, ArtifactHeader& h) { h.file_bytes -= 1; },
       HeaderProblem::BadLayout, "size mismatch"},
      {"plan inside header", [](auto&, ArtifactHeader& h) { h.plan_offset = 8; },
       HeaderProblem::BadLayout, "plan"},
      {"plan misaligned", [](auto&, ArtifactHeader& h) { h.plan_offset = 68; },
       HeaderProblem::BadLayout, "plan"},
      {"plan past end", [](auto&, ArtifactHeader& h) { h.plan_bytes = h.file_bytes; },
       HeaderProblem::BadLayout, "plan"},
      {"plan size wraps", [](auto&, ArtifactHeader& h) { h.plan_bytes = ~uint64_t(0) - 10; },
       HeaderProblem::BadLayout, "plan"},
      {"weights misaligned", [](auto&, ArtifactHeader& h) { h.weights_offset += 8; },
       HeaderProblem::BadLayout, "weights"},
      {"weights past end", [](auto&, ArtifactHeader& h) { h.weights_bytes += 1; },
       HeaderProblem::BadLayout, "weights"},
      {"weights offset wraps",
       [](auto&, ArtifactHeader& h) { h.weights_offset = ~uint64_t(0) - 63; },
       HeaderProblem::BadLayout, "weights"},
      {"overlap", [](auto&, ArtifactHeader& h) { h.weights_offset = 64; },
       HeaderProblem::BadLayout, "overlap"},
  };
  auto plan = bytes(100, 1), weights = bytes(128, 2);
  for (const Rejection& c : cases) {
    auto file =
        packArtifact(Target::Cpu, plan.data(), plan.size(), weights.data(), weights.size());
    ArtifactHeader h = headerOf(file);
    c.corrupt(file, h);
    writeHeader(file, h);
    std::string error;
    HeaderProblem problem;
    EXPECT_FALSE(parseHeader(file.data(), file.size(), nullptr, &error, &problem)) << c.what;
    EXPECT_EQ(problem, c.problem) << c.what;
    EXPECT_NE(error.find(c.message), std::string::npos) << c.what << ": " << error;
  }
}

TEST(ArtifactContainer, ParseHeaderRejectsShortInput) {
  std::vector<uint8_t> file(63, 0);
  std::string error;
  HeaderProblem problem;
  EXPECT_FALSE(parseHeader(file.data(), file.size(), nullptr, &error, &problem));
  EXPECT_EQ(problem, HeaderProblem::Truncated);
  EXPECT_FALSE(parseHeader(nullptr, 0, nullptr, &error, &problem));
  EXPECT_NE(error.find("0 bytes"), std::string::npos) << error;
}

}  // namespace
}  // namespace llmopt::artifact
