// One caller's execution state for a model: input bindings, resolved shapes, the arena, threads.
#ifndef LLMOPT_RUNTIME_SESSION_H
#define LLMOPT_RUNTIME_SESSION_H

#include <cstdint>
#include <vector>

#include "arena.h"
#include "error.h"
#include "executor.h"
#include "model.h"
#include "thread_pool.h"

namespace llmopt::rt {

class Session {
 public:
  // May throw std::bad_alloc or std::system_error (caught at the C API).
  Session(const Model& model, int num_threads);

  Status setInput(size_t index, llmopt_dtype dtype, int32_t rank, const int64_t* dims,
                  const void* data, size_t size_bytes);
  // Resolves shapes and sizes the arena for the bound inputs, without running or allocating.
  Status plan();
  // plan() for a run that another executor makes of these bindings (CudaSession): it counts as
  // an attempt to run, as run() does, so inputs set after it are compared with each other only.
  Status planRun() {
    ++round_;
    return plan();
  }
  Status run();
  Status output(size_t index, llmopt_tensor* out) const;

  // The KV cache (models with one: ModelDesc::kv_cache_max_seq > 0). runCached runs the bound
  // inputs as the continuation of the cached sequence and appends them to it: the first run
  // after resetCache is a prefill, a run of one token a decoding step. The cache memory is
  // allocated by the first cached run (for its batch) and reused; run() leaves the cache alone.
  Status resetCache();
  // last_row_only: when the model's output 0 comes straight from a linear layer (an LM head),
  // compute its last row alone; output 0 is then [.., 1, n] (batch 1 only).
  Status runCached(bool last_row_only = false);
  int64_t cacheLength() const { return cache_length_; }
  // Token-level form for models whose one input is token ids [batch, seq]: prefill resets the
  // cache and runs tokens as [1, count] (the last row of output 0 only, see runCached); step
  // runs one more token. Both copy the tokens.
  Status prefill(const int64_t* tokens, size_t count);
  Status step(int64_t token);
  // Allocations of the arena and the cache so far (a cached step after the first makes none).
  uint64_t allocations() const { return arena_.allocations() + cache_memory_.allocations(); }
  uint64_t arenaBytes() const { return layout_.total_bytes; }
  size_t numOps() const { return desc_.ops.size(); }
  // What plan() resolved (valid after it succeeded): per tensor shapes and byte counts, the
  // symbol values, and where the arena places each slot and the scratch area. The C++ emitter
  // (backends/cpu/CppEmitter.cpp) fixes them in the code it writes.
  const std::vector<Shape>& shapes() const { return shapes_; }
  const std::vector<uint64_t>& tensorByteCounts() const { return tensor_bytes_; }
  const std::vector<int64_t>& symbols() const { return symbols_; }
  const ArenaLayout& layout() const { return layout_; }

  // Per-op timing of the runs made while it is on; turning it on clears the totals.
  void setProfiling(bool enable);
  bool profiling() const { return profiling_; }
  uint64_t profiledRuns() const { return profiled_runs_; }
  double opSeconds(size_t op) const { return op < op_seconds_.size() ? op_seconds_[op] : 0.0; }

 private:
  struct Binding {
    bool set = false;
    uint64_t round = 0;  // the run count when it was set
    Shape shape;
    const void* data = nullptr;
  };

  Status checkSymbolAgainstOtherInputs(size_t index, int dim, int64_t value) const;
  Status bindSymbols();
  Status checkInputDims() const;
  Status planLayout();
  Status bindArena();
  Status runOps(const KvCacheView* cache, const OpDesc* last_row_only);
  Status requireCache() const;
  Status bindCache(int64_t* new_tokens);
  Status layOutCache(int64_t batch);
  Status bindTokens(const int64_t* tokens, size_t count);
  const OpDesc* lastRowOp() const;

  const ModelDesc& desc_;
  std::shared_ptr<ThreadPool> pool_;  // shared with the process's other sessions of as many threads
  std::vector<Binding> inputs_;
  uint64_t round_ = 0;  // runs tried so far (a binding's symbols are checked against the
                        // inputs set since the last one)

  std::vector<int64_t> symbols_;          // symbol values for this run
  std::vector<int64_t> planned_symbols_;  // the values shapes_ and layout_ were made for
  bool planned_ = false;
  bool arena_bound_ = false;  // the arena is allocated for layout_ and data_ points into it
  std::vector<Shape> shapes_;           // per tensor
  std::vector<uint64_t> tensor_bytes_;  // per tensor
  std::vector<void*> data_;             // per tensor
  uint64_t scratch_bytes_ = 0;
  ArenaLayout layout_;
  Arena arena_;
  bool outputs_valid_ = false;

  // KV cache: per layer keys then values, one block of cache_memory_.
  Arena cache_memory_;
  std::vector<void*> cache_keys_, cache_values_;
  int64_t cache_batch_ = 0;     // the batch the memory is laid out for (0: not yet)
  int64_t cache_length_ = 0;    // positions cached
  std::vector<int64_t> tokens_;  // prefill/step's copy of the token ids
  bool output0_last_row_ = false;  // the last run computed output 0's last row only

  bool profiling_ = false;
  uint64_t profiled_runs_ = 0;
  std::vector<double> op_seconds_;  // per op, summed over the profiled runs
};

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_SESSION_H
