// The byte layout of an llmopt artifact (.llmo). Shared by the runtime's loader and the
// compiler's writer (backends/artifact), so the two cannot drift apart.
//
//   [0, 64)                      ArtifactHeader (little-endian)
//   [plan_offset, +plan_bytes)   FlatBuffer `llmopt.plan.Plan` (runtime/schema/plan.fbs)
//   [weights_offset, +bytes)     weights blob, weights_offset a multiple of 64; each constant
//                                tensor's bytes start at a 64-byte aligned offset inside it
//
// checksum = XXH64(seed 0) over the whole file with the 8 checksum bytes taken as zero.
#ifndef LLMOPT_RUNTIME_ARTIFACT_FORMAT_H
#define LLMOPT_RUNTIME_ARTIFACT_FORMAT_H

#include <cstddef>
#include <cstdint>

namespace llmopt::artifact {

constexpr char kMagic[8] = {'L', 'L', 'M', 'O', 'A', 'R', 'T', '\0'};
constexpr uint32_t kFormatVersion = 4;  // 4: ops may write over a dying input (in place)
constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kWeightAlignment = 64;

enum class Target : uint32_t { Cpu = 0, Cuda = 1 };

// Plan limits: the loader refuses a tensor of a higher rank, or a dim whose monomial
// multiplies more symbols; the writer refuses to compile such a model.
constexpr int kMaxRank = 8;
constexpr int kMaxDimSymbols = 8;

struct ArtifactHeader {
  char magic[8];
  uint32_t format_version;
  uint32_t target;  // Target
  uint64_t file_bytes;
  uint64_t plan_offset;
  uint64_t plan_bytes;
  uint64_t weights_offset;
  uint64_t weights_bytes;
  uint64_t checksum;
};
static_assert(sizeof(ArtifactHeader) == kHeaderBytes, "header must stay 64 bytes");
constexpr size_t kChecksumOffset = offsetof(ArtifactHeader, checksum);

inline uint64_t alignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

}  // namespace llmopt::artifact

#endif  // LLMOPT_RUNTIME_ARTIFACT_FORMAT_H
