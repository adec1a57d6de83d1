#include "format/artifact_container.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "format/xxhash64.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the artifact header is read in place: little-endian hosts only"
#endif

namespace llmopt::artifact {
namespace {

constexpr uint64_t kPlanAlignment = 8;  // FlatBuffers scalars are read in place

bool fail(std::string* error, HeaderProblem* problem, HeaderProblem kind, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

bool fail(std::string* error, HeaderProblem* problem, HeaderProblem kind, const char* fmt, ...) {
  if (problem) *problem = kind;
  if (error) {
    char buffer[256];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buffer, sizeof buffer, fmt, args);
    va_end(args);
    *error = buffer;
  }
  return false;
}

// [offset, offset + bytes) lies inside [0, file_bytes) without wrapping.
bool inFile(uint64_t offset, uint64_t bytes, uint64_t file_bytes) {
  return offset <= file_bytes && bytes <= file_bytes - offset;
}

void hashZeros(Xxh64& hasher, uint64_t count) {
  static const uint8_t kZeros[64] = {};
  while (count > 0) {
    uint64_t n = count < sizeof kZeros ? count : sizeof kZeros;
    hasher.update(kZeros, n);
    count -= n;
  }
}

}  // namespace

ArtifactHeader makeHeader(Target target, uint64_t plan_bytes, uint64_t weights_bytes) {
  ArtifactHeader header;
  std::memset(&header, 0, sizeof header);
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.format_version = kFormatVersion;
  header.target = static_cast<uint32_t>(target);
  header.plan_offset = kHeaderBytes;
  header.plan_bytes = plan_bytes;
  header.weights_offset = alignUp(kHeaderBytes + plan_bytes, kWeightAlignment);
  header.weights_bytes = weights_bytes;
  header.file_bytes = header.weights_offset + weights_bytes;
  header.checksum = 0;
  return header;
}

uint64_t checksumOfParts(const ArtifactHeader& header, const void* plan, const void* weights) {
  ArtifactHeader zeroed = header;
  zeroed.checksum = 0;
  Xxh64 hasher;
  hasher.update(&zeroed, sizeof zeroed);
  hashZeros(hasher, header.plan_offset - kHeaderBytes);
  hasher.update(plan, header.plan_bytes);
  hashZeros(hasher, header.weights_offset - (header.plan_offset + header.plan_bytes));
  hasher.update(weights, header.weights_bytes);
  hashZeros(hasher, header.file_bytes - (header.weights_offset + header.weights_bytes));
  return hasher.digest();
}

uint64_t checksumOfFile(const uint8_t* data, size_t size) {
  Xxh64 hasher;
  if (size < kHeaderBytes) {
    hasher.update(data, size);
    return hasher.digest();
  }
  hasher.update(data, kChecksumOffset);
  hashZeros(hasher, sizeof(uint64_t));
  hasher.update(data + kChecksumOffset + sizeof(uint64_t),
                size - kChecksumOffset - sizeof(uint64_t));
  return hasher.digest();
}

std::vector<uint8_t> packArtifact(Target target, const void* plan, size_t plan_bytes,
                                  const void* weights, size_t weights_bytes) {
  ArtifactHeader header = makeHeader(target, plan_bytes, weights_bytes);
  std::vector<uint8_t> file(header.file_bytes, 0);
  if (plan_bytes) std::memcpy(file.data() + header.plan_offset, plan, plan_bytes);
  if (weights_bytes) std::memcpy(file.data() + header.weights_offset, weights, weights_bytes);
  std::memcpy(file.data(), &header, sizeof header);
  header.checksum = checksumOfFile(file.data(), file.size());
  std::memcpy(file.data(), &header, sizeof header);
  return file;
}

bool parseHeader(const uint8_t* data, size_t size, ArtifactHeader* out, std::string* error,
                 HeaderProblem* problem) {
  using P = HeaderProblem;
  if (problem) *problem = P::None;
  if (size < kHeaderBytes)
    return fail(error, problem, P::Truncated,
                "truncated artifact: %zu bytes, smaller than the %" PRIu64 "-byte header", size,
                kHeaderBytes);
  ArtifactHeader h;
  std::memcpy(&h, data, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0)
    return fail(error, problem, P::BadMagic, "not an llmopt artifact: bad magic");
  if (h.format_version > kFormatVersion)
    return fail(error, problem, P::UnsupportedVersion,
                "artifact format version %u is newer than this runtime reads (%u): update the "
                "runtime",
                h.format_version, kFormatVersion);
  if (h.format_version == 0)
    return fail(error, problem, P::BadLayout, "artifact format version 0 does not exist");
  // Each version's plan schema is the one this runtime was built with: older plans are refused
  // rather than guessed at.
  if (h.format_version < kFormatVersion)
    return fail(error, problem, P::UnsupportedVersion,
                "artifact format version %u is older than this runtime reads (%u): recompile the "
                "model",
                h.format_version, kFormatVersion);
  if (h.target != static_cast<uint32_t>(Target::Cpu) &&
      h.target != static_cast<uint32_t>(Target::Cuda))
    return fail(error, problem, P::UnknownTarget, "artifact has unknown target %u", h.target);
  if (h.file_bytes > size)
    return fail(error, problem, P::Truncated,
                "truncated artifact: header says %" PRIu64 " bytes, got %zu", h.file_bytes, size);
  if (h.file_bytes != size)
    return fail(error, problem, P::BadLayout,
                "artifact size mismatch: header says %" PRIu64 " bytes, got %zu", h.file_bytes,
                size);
  if (h.plan_offset < kHeaderBytes || h.plan_offset % kPlanAlignment != 0 ||
      !inFile(h.plan_offset, h.plan_bytes, h.file_bytes))
    return fail(error, problem, P::BadLayout,
                "bad artifact header: plan [%" PRIu64 ", +%" PRIu64
                ") must start 8-aligned after the header and end inside the %" PRIu64
                "-byte file",
                h.plan_offset, h.plan_bytes, h.file_bytes);
  if (h.weights_offset < kHeaderBytes || h.weights_offset % kWeightAlignment != 0 ||
      !inFile(h.weights_offset, h.weights_bytes, h.file_bytes))
    return fail(error, problem, P::BadLayout,
                "bad artifact header: weights [%" PRIu64 ", +%" PRIu64
                ") must start 64-aligned after the header and end inside the %" PRIu64
                "-byte file",
                h.weights_offset, h.weights_bytes, h.file_bytes);
  bool disjoint = h.plan_offset + h.plan_bytes <= h.weights_offset ||
                  h.weights_offset + h.weights_bytes <= h.plan_offset;
  if (!disjoint)
    return fail(error, problem, P::BadLayout, "bad artifact header: plan and weights overlap");
  if (out) *out = h;
  return true;
}

}  // namespace llmopt::artifact
