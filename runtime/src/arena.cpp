#include "arena.h"

#include <cinttypes>
#include <cstdlib>

#include "checked_math.h"

namespace llmopt::rt {

Status layoutArena(const std::vector<uint64_t>& slot_bytes, uint64_t scratch_bytes,
                   ArenaLayout* out) {
  out->slot_offsets.resize(slot_bytes.size());
  uint64_t offset = 0;
  for (size_t s = 0; s < slot_bytes.size(); ++s) {
    uint64_t size;
    out->slot_offsets[s] = offset;
    if (!checkedAlignUp(slot_bytes[s], kArenaAlignment, &size) ||
        !checkedAdd(offset, size, &offset) || offset > kMaxBytes)
      return fail(LLMOPT_ERROR_OUT_OF_MEMORY,
                  "arena would exceed 1 TiB at slot %zu (%" PRIu64 " bytes): refusing", s,
                  slot_bytes[s]);
  }
  out->scratch_offset = offset;
  if (!checkedAdd(offset, scratch_bytes, &offset) || offset > kMaxBytes)
    return fail(LLMOPT_ERROR_OUT_OF_MEMORY,
                "arena plus %" PRIu64 " bytes of kernel scratch would exceed 1 TiB: refusing",
                scratch_bytes);
  out->total_bytes = offset;
  return LLMOPT_OK;
}

Arena::~Arena() { std::free(data_); }

Status Arena::reserve(uint64_t bytes) {
  if (bytes <= capacity_) return LLMOPT_OK;
  std::free(data_);
  data_ = nullptr;
  capacity_ = 0;
  uint64_t rounded;
  if (!checkedAlignUp(bytes, kArenaAlignment, &rounded) || rounded > SIZE_MAX)
    return fail(LLMOPT_ERROR_OUT_OF_MEMORY, "cannot allocate a %" PRIu64 "-byte arena", bytes);
  data_ = static_cast<uint8_t*>(std::aligned_alloc(kArenaAlignment, rounded));
  if (!data_)
    return fail(LLMOPT_ERROR_OUT_OF_MEMORY, "cannot allocate a %" PRIu64 "-byte arena", bytes);
  capacity_ = rounded;
  ++allocations_;
  return LLMOPT_OK;
}

}  // namespace llmopt::rt
