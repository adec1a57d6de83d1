//===- fuzz_artifact_load.cpp - fuzz the runtime's artifact loader ---------===//
//
// Bytes → llmopt_model_load_memory → every query of the C API → a session that binds zero-filled
// inputs and runs, for a few values of the model's symbols. The runtime treats an artifact as
// untrusted: whatever the bytes, it must refuse them with a status and a message, or load and run
// them without reading outside the buffer, the weights, the inputs or its arena.
//
// The checksum: each input is loaded with the checksum verified (as `llmopt run` does; the seed
// artifacts pass it), and when that fails, again with verify_checksum = 0 so that mutated bytes
// reach the header, FlatBuffers and plan checks behind it. The corpus stays plain `.llmo` files.
//
//===----------------------------------------------------------------------===//
#include "llmopt/runtime.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

// Input bytes allocated per session at most (a shape may be legal and still too large here).
constexpr uint64_t kMaxInputBytes = uint64_t(1) << 24;

[[noreturn]] void bug(const char* what) {
  std::fprintf(stderr, "fuzz_artifact_load: %s (last error: %s)\n", what, llmopt_last_error());
  std::abort();
}

// Reads every byte of a string the API hands out (a sanitizer catches one outside its storage).
size_t touch(const char* text) { return text ? std::strlen(text) : 0; }

void checkInfo(const llmopt_tensor_info& info) {
  touch(info.name);
  if (info.rank < 0 || info.rank > LLMOPT_MAX_RANK) bug("tensor info rank out of range");
  if (llmopt_dtype_size(info.dtype) == 0) bug("tensor info with an unknown dtype");
  for (int d = 0; d < info.rank; ++d) {
    if (info.dims[d] < -1) bug("tensor info dim below -1");
    if ((info.dims[d] == -1) != (info.dim_names[d] != nullptr))
      bug("a dynamic dim without a name, or a static one with a name");
    touch(info.dim_names[d]);
  }
}

void queryModel(const llmopt_model* model) {
  (void)llmopt_model_format_version(model);
  (void)llmopt_model_weight_bytes(model);
  touch(llmopt_model_target(model));
  touch(llmopt_model_producer(model));
  const size_t numOps = llmopt_model_num_ops(model);
  for (size_t i = 0; i < numOps; ++i) {
    const char* kernel = nullptr;
    const char* node = nullptr;
    if (llmopt_model_op(model, i, &kernel, &node) != LLMOPT_OK) bug("op index in range refused");
    touch(kernel);
    touch(node);
  }
  if (llmopt_model_op(model, numOps, nullptr, nullptr) == LLMOPT_OK)
    bug("op index out of range accepted");
  llmopt_tensor_info info;
  for (size_t i = 0; i < llmopt_model_num_inputs(model); ++i) {
    if (llmopt_model_input_info(model, i, &info) != LLMOPT_OK) bug("input index in range refused");
    checkInfo(info);
  }
  for (size_t i = 0; i < llmopt_model_num_outputs(model); ++i) {
    if (llmopt_model_output_info(model, i, &info) != LLMOPT_OK)
      bug("output index in range refused");
    checkInfo(info);
  }
}

// The zero-filled input buffers of one session. A binding borrows its buffer until it is
// replaced, and a refused set_input keeps the previous binding: so every buffer lives as long as
// the session, within a byte budget.
struct InputBuffers {
  std::vector<std::unique_ptr<uint8_t[]>> buffers;
  uint64_t bytes = 0;
};

// Binds every input, zero-filled: static dims as the model says, each distinct dynamic dim name
// `value(k)` for the k-th name met. Returns false when the inputs are too large to allocate here.
template <class Value>
bool bindInputs(const llmopt_model* model, llmopt_session* session, Value value,
                InputBuffers& buffers) {
  std::map<std::string, int64_t> symbols;
  for (size_t i = 0; i < llmopt_model_num_inputs(model); ++i) {
    llmopt_tensor_info info;
    if (llmopt_model_input_info(model, i, &info) != LLMOPT_OK) bug("input index in range refused");
    int64_t dims[LLMOPT_MAX_RANK];
    uint64_t bytes = llmopt_dtype_size(info.dtype);
    for (int d = 0; d < info.rank; ++d) {
      if (info.dims[d] >= 0) {
        dims[d] = info.dims[d];
      } else {
        auto it = symbols.emplace(info.dim_names[d], 0).first;
        if (it->second == 0) it->second = value(symbols.size() - 1);
        dims[d] = it->second;
      }
      if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(dims[d]), &bytes) ||
          bytes > kMaxInputBytes - buffers.bytes)
        return false;
    }
    buffers.bytes += bytes;
    buffers.buffers.emplace_back(new uint8_t[bytes]());  // exact size; new[] is 16-byte aligned
    // A refusal is fine (e.g. a compound dim such as 2*seq that the values above do not meet).
    // An empty input is passed as NULL, which the API allows.
    (void)llmopt_session_set_input(session, i, info.dtype, info.rank, dims,
                                   bytes ? buffers.buffers.back().get() : nullptr, bytes);
  }
  return true;
}

void checkOutputs(const llmopt_model* model, const llmopt_session* session) {
  const size_t numOutputs = llmopt_model_num_outputs(model);
  volatile uint8_t sink = 0;
  for (size_t i = 0; i < numOutputs; ++i) {
    llmopt_tensor_info info;
    llmopt_tensor tensor;
    if (llmopt_model_output_info(model, i, &info) != LLMOPT_OK ||
        llmopt_session_get_output(session, i, &tensor) != LLMOPT_OK)
      bug("output index in range refused after a successful run");
    if (tensor.dtype != info.dtype || tensor.rank != info.rank) bug("output dtype/rank changed");
    uint64_t bytes = llmopt_dtype_size(tensor.dtype);
    for (int d = 0; d < tensor.rank; ++d) {
      if (tensor.dims[d] < 0 || (info.dims[d] >= 0 && tensor.dims[d] != info.dims[d]))
        bug("output dim differs from the model's static dim");
      if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(tensor.dims[d]), &bytes))
        bug("output size overflows");
    }
    if (tensor.size_bytes != bytes) bug("output size_bytes disagrees with its shape");
    if (bytes > 0 && !tensor.data) bug("output data is NULL");
    const uint8_t* p = static_cast<const uint8_t*>(tensor.data);
    for (uint64_t b = 0; b < bytes; ++b) sink = sink ^ p[b];
  }
  llmopt_tensor tensor;
  if (llmopt_session_get_output(session, numOutputs, &tensor) == LLMOPT_OK)
    bug("output index out of range accepted");
  (void)llmopt_session_arena_bytes(session);
}

void runModel(const llmopt_model* model) {
  llmopt_session_options options = LLMOPT_SESSION_OPTIONS_INIT;
  options.num_threads = 1;
  llmopt_session* session = nullptr;
  if (llmopt_session_create(model, &options, &session) != LLMOPT_OK) return;
  InputBuffers buffers;
  // Symbols all 1; run twice on the same binding; then 2, 3, 4, 1, ... per distinct symbol; then
  // all 4 (the arena grows and shrinks between runs).
  auto one = [](size_t) { return int64_t(1); };
  auto cycle = [](size_t k) { return int64_t(1 + (k + 1) % 4); };
  auto four = [](size_t) { return int64_t(4); };
  if (bindInputs(model, session, one, buffers)) {
    for (int repeat = 0; repeat < 2; ++repeat)
      if (llmopt_session_run(session) == LLMOPT_OK) checkOutputs(model, session);
  }
  if (bindInputs(model, session, cycle, buffers) && llmopt_session_run(session) == LLMOPT_OK)
    checkOutputs(model, session);
  if (bindInputs(model, session, four, buffers) && llmopt_session_run(session) == LLMOPT_OK)
    checkOutputs(model, session);
  llmopt_session_free(session);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // llmopt_model_load_memory needs 8-byte aligned memory; an exact-size copy keeps reads past
  // the end visible to AddressSanitizer.
  std::unique_ptr<uint8_t[]> bytes(new uint8_t[size]);
  if (size > 0) std::memcpy(bytes.get(), data, size);

  llmopt_load_options options = LLMOPT_LOAD_OPTIONS_INIT;
  llmopt_model* model = nullptr;
  llmopt_status status = llmopt_model_load_memory(bytes.get(), size, &options, &model);
  if (status != LLMOPT_OK) {
    if (model) bug("a failed load returned a model");
    if (!*llmopt_last_error()) bug("a failed load left no message");
    options.verify_checksum = 0;
    status = llmopt_model_load_memory(bytes.get(), size, &options, &model);
  }
  if (status != LLMOPT_OK) {
    if (model) bug("a failed load returned a model");
    if (!*llmopt_last_error()) bug("a failed load left no message");
    return 0;
  }
  queryModel(model);
  runModel(model);
  llmopt_model_free(model);
  return 0;
}
