// The session's working memory: one 64-byte aligned block holding every arena slot, then the
// kernels' scratch area. Laid out per run from the resolved tensor sizes; kept across runs and
// only reallocated when a run needs more.
#ifndef LLMOPT_RUNTIME_ARENA_H
#define LLMOPT_RUNTIME_ARENA_H

#include <cstdint>
#include <vector>

#include "error.h"

namespace llmopt::rt {

constexpr uint64_t kArenaAlignment = 64;

struct ArenaLayout {
  std::vector<uint64_t> slot_offsets;
  uint64_t scratch_offset = 0;
  uint64_t total_bytes = 0;
};

// Slots in order, each rounded up to 64 bytes, then scratch_bytes. Refuses a total that
// overflows or exceeds 1 TiB, before anything is allocated.
Status layoutArena(const std::vector<uint64_t>& slot_bytes, uint64_t scratch_bytes,
                   ArenaLayout* out);

class Arena {
 public:
  Arena() = default;
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Makes data() at least `bytes` long (contents not kept when it grows).
  Status reserve(uint64_t bytes);
  uint8_t* data() const { return data_; }
  uint64_t capacity() const { return capacity_; }
  uint64_t allocations() const { return allocations_; }  // successful allocations so far

 private:
  uint8_t* data_ = nullptr;
  uint64_t capacity_ = 0;
  uint64_t allocations_ = 0;
};

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_ARENA_H
