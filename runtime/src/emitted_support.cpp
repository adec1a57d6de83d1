#include "emitted_support.h"

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "arena.h"
#include "format/xxhash64.h"
#include "thread_pool.h"

namespace llmopt::rt::emitted {

kernels::Parallel* threadPool(int num_threads) {
  static std::mutex mutex;
  static std::map<int, std::shared_ptr<ThreadPool>> pools;  // held to exit: no restart per run
  const int threads = resolveThreadCount(num_threads);
  std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<ThreadPool>& pool = pools[threads];
  if (!pool) pool = ThreadPool::shared(threads);
  return pool.get();
}

Status checkBuffers(const void* weights, const void* workspace, const void* const* inputs,
                    int num_inputs, void* const* outputs, int num_outputs) {
  const auto misaligned = [](const void* p) {
    return reinterpret_cast<uintptr_t>(p) % kArenaAlignment != 0;
  };
  if (!weights) return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "weights is NULL");
  if (!workspace) return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "workspace is NULL");
  if (misaligned(weights) || misaligned(workspace))
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "weights and workspace must be 64-byte aligned");
  if (num_inputs > 0 && !inputs) return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "inputs is NULL");
  for (int i = 0; i < num_inputs; ++i)
    if (!inputs[i]) return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "input %d is NULL", i);
  if (!outputs) return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "outputs is NULL");
  for (int i = 0; i < num_outputs; ++i)
    if (!outputs[i]) return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "output %d is NULL", i);
  return LLMOPT_OK;
}

bool weightsMatch(const void* weights, size_t bytes, size_t expected_bytes,
                  uint64_t expected_hash) {
  return weights && bytes == expected_bytes && artifact::xxhash64(weights, bytes) == expected_hash;
}

Status runOp(size_t index, const ExecContext& context) {
  const Status status = executeOp(context.model->ops[index], context);
  if (status != LLMOPT_OK) {
    char prefix[32];
    snprintf(prefix, sizeof prefix, "op %zu", index);
    prefixLastError(prefix);
  }
  return status;
}

}  // namespace llmopt::rt::emitted
