// What C++ written by `llmopt compile --emit cpp` (backends/cpu/CppEmitter.cpp) runs on: the
// runtime's op descriptors and executeOp, with every shape, the workspace layout and the weights'
// places fixed when the code was emitted. No artifact, loader or arena is involved. Emitted code
// is built against the runtime of the llmopt that emitted it (the descriptors are internal).
#ifndef LLMOPT_RUNTIME_EMITTED_SUPPORT_H
#define LLMOPT_RUNTIME_EMITTED_SUPPORT_H

#include <cstddef>
#include <cstdint>

#include "error.h"
#include "executor.h"
#include "model.h"

namespace llmopt::rt::emitted {

// The process's pool of num_threads threads (0: one per core), started on first use and kept
// until exit, shared with the sessions that ask for as many. May throw std::system_error.
kernels::Parallel* threadPool(int num_threads);

// Checks run()'s buffers: weights and workspace present and 64-byte aligned, every input and
// output pointer set.
Status checkBuffers(const void* weights, const void* workspace, const void* const* inputs,
                    int num_inputs, void* const* outputs, int num_outputs);

// Whether `bytes` bytes at `weights` are the blob the code was emitted for (size and XXH64).
bool weightsMatch(const void* weights, size_t bytes, size_t expected_bytes, uint64_t expected_hash);

// Runs op `index` of `context.model`, prefixing a failure's message with the op's index.
Status runOp(size_t index, const ExecContext& context);

// Runs the body, turning the exceptions the runtime can raise (thread start, allocation) into a
// status, as the C API does.
template <class Body>
Status guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return fail(LLMOPT_ERROR_OUT_OF_MEMORY, "out of memory or threads");
  }
}

}  // namespace llmopt::rt::emitted

#endif  // LLMOPT_RUNTIME_EMITTED_SUPPORT_H
