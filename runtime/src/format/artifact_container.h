// Building and checking the artifact container: the 64-byte header, the layout of plan and
// weights around it, and the checksum. Knows nothing of the plan's contents (no FlatBuffers), so
// the compiler's writer can link it as it is.
#ifndef LLMOPT_RUNTIME_FORMAT_ARTIFACT_CONTAINER_H
#define LLMOPT_RUNTIME_FORMAT_ARTIFACT_CONTAINER_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "artifact_format.h"

namespace llmopt::artifact {

// The header for a file holding plan_bytes of plan and weights_bytes of weights: plan at 64,
// weights at alignUp(64 + plan_bytes, 64), checksum 0 (fill it in last).
ArtifactHeader makeHeader(Target target, uint64_t plan_bytes, uint64_t weights_bytes);

// The checksum of the file this header describes, computed from its parts without building the
// file: header (its checksum field taken as zero), plan, zero padding, weights. For writers that
// stream a large file; equal to checksumOfFile() of the packed bytes.
uint64_t checksumOfParts(const ArtifactHeader& header, const void* plan, const void* weights);

// The checksum of a whole artifact in memory (the 8 checksum bytes taken as zero).
uint64_t checksumOfFile(const uint8_t* data, size_t size);

// The whole artifact in memory: header with the checksum filled in, plan, zero padding, weights.
std::vector<uint8_t> packArtifact(Target target, const void* plan, size_t plan_bytes,
                                  const void* weights, size_t weights_bytes);

// What parseHeader found wrong, for callers that map problems to status codes.
enum class HeaderProblem { None, Truncated, BadMagic, UnsupportedVersion, UnknownTarget, BadLayout };

// Reads and checks the header of an artifact of `size` bytes: size, magic, format version, target,
// file_bytes == size, plan and weights inside the file without overflow, weights 64-aligned, plan
// 8-aligned and after the header, plan and weights disjoint. Does not verify the checksum.
// On failure returns false with a one-line reason in *error (and the kind in *problem).
bool parseHeader(const uint8_t* data, size_t size, ArtifactHeader* out, std::string* error,
                 HeaderProblem* problem = nullptr);

}  // namespace llmopt::artifact

#endif  // LLMOPT_RUNTIME_FORMAT_ARTIFACT_CONTAINER_H
