//===- InspectCommand.cpp - llmopt inspect --------------------------------===//
#include "tools/llmopt/Commands.h"
#include "tools/llmopt/InputShapes.h"
#include "tools/llmopt/RuntimeHandles.h"

#include "llmopt/runtime.h"

#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <map>
#include <memory>

#include "llvm/ADT/StringRef.h"
#include <sys/stat.h>

namespace llmopt {
namespace {

void printTensorInfo(const llmopt_tensor_info& info) {
  std::printf("  %-24s %-8s %s\n", info.name, llmopt_dtype_name(info.dtype),
              formatTensorShape(info).c_str());
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

/// The arena a run with these input shapes would use: a session with the inputs bound (to zeros,
/// never read) and planned, not run. False, with `error`, when the model cannot take the shapes.
bool arenaBytesFor(const llmopt_model* model, const std::vector<InputShape>& inputs, uint64_t& bytes,
                   std::string& error) {
  llmopt_session_options options = LLMOPT_SESSION_OPTIONS_INIT;
  options.num_threads = 1;  // it never runs
  llmopt_session* rawSession = nullptr;
  if (llmopt_session_create(model, &options, &rawSession) != LLMOPT_OK) {
    error = std::string("cannot create a session: ") + llmopt_last_error();
    return false;
  }
  SessionPtr session(rawSession);
  std::vector<std::unique_ptr<void, FreeDeleter>> buffers;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const InputShape& input = inputs[i];
    size_t size = llmopt_dtype_size(input.info.dtype);
    for (int64_t d : input.dims)
      if (__builtin_mul_overflow(size, static_cast<size_t>(d), &size)) size = SIZE_MAX;
    // calloc: pages of a large input are mapped lazily and, never written, cost no memory.
    buffers.emplace_back(size < (size_t{1} << 40) ? std::calloc(1, size ? size : 1) : nullptr);
    if (!buffers.back()) {
      error = "input '" + std::string(input.info.name) + "': shape " + shapeText(input.dims) + " is too large";
      return false;
    }
    if (llmopt_session_set_input(session.get(), i, input.info.dtype, static_cast<int32_t>(input.dims.size()),
                                 input.dims.data(), buffers.back().get(), size) != LLMOPT_OK) {
      error = llmopt_last_error();
      return false;
    }
  }
  if (llmopt_session_plan(session.get()) != LLMOPT_OK) {
    error = llmopt_last_error();
    return false;
  }
  bytes = llmopt_session_arena_bytes(session.get());
  return true;
}

int inspect(const std::string& path, const std::vector<std::string>& shapeSpecs) {
  llmopt_model* rawModel = nullptr;
  if (llmopt_model_load_file(path.c_str(), nullptr, &rawModel) != LLMOPT_OK)
    return fail(llmopt_last_error());
  ModelPtr owner(rawModel);
  llmopt_model* model = owner.get();
  // Shapes first, so that a bad --shape prints its error and nothing else.
  std::vector<InputShape> inputs;
  uint64_t arena = 0;
  std::string error;
  if (!shapeSpecs.empty() &&
      (!resolveInputShapes(model, shapeSpecs, inputs, error) || !arenaBytesFor(model, inputs, arena, error)))
    return fail(error);
  struct stat info;
  stat(path.c_str(), &info);
  std::printf("artifact:       %s (%lld bytes)\n", path.c_str(), static_cast<long long>(info.st_size));
  std::printf("format version: %u\n", llmopt_model_format_version(model));
  if (const uint64_t cudaBytes = llmopt_model_cuda_code_bytes(model))
    std::printf("target:         %s (%s, code %llu bytes)\n", llmopt_model_target(model),
                llmopt_model_cuda_archs(model), static_cast<unsigned long long>(cudaBytes));
  else
    std::printf("target:         %s\n", llmopt_model_target(model));
  std::printf("producer:       %s\n", llmopt_model_producer(model));
  // What this machine would run it with (LLMOPT_ISA forces a variant).
  std::printf("kernels:        %s\n", llmopt_kernel_variants());
  std::printf("weight bytes:   %llu\n", static_cast<unsigned long long>(llmopt_model_weight_bytes(model)));
  if (const int64_t maxSeq = llmopt_model_max_seq(model))
    std::printf("kv cache:       %lld positions, %s\n", static_cast<long long>(maxSeq),
                kvCacheTypeName(llmopt_model_kv_cache_dtype(model)));
  else
    std::printf("kv cache:       none\n");
  if (!shapeSpecs.empty())
    std::printf("arena:          %llu bytes (for %s)\n", static_cast<unsigned long long>(arena),
                shapeSpecsText(inputs).c_str());
  std::printf("inputs:\n");
  for (size_t i = 0; i < llmopt_model_num_inputs(model); ++i) {
    llmopt_tensor_info t;
    llmopt_model_input_info(model, i, &t);
    printTensorInfo(t);
  }
  std::printf("outputs:\n");
  for (size_t i = 0; i < llmopt_model_num_outputs(model); ++i) {
    llmopt_tensor_info t;
    llmopt_model_output_info(model, i, &t);
    printTensorInfo(t);
  }
  size_t numOps = llmopt_model_num_ops(model);
  std::map<std::string, int> kernels;
  for (size_t i = 0; i < numOps; ++i) {
    const char* kernel = nullptr;
    const char* node = nullptr;
    if (llmopt_model_op(model, i, &kernel, &node) == LLMOPT_OK) ++kernels[kernel];
  }
  std::printf("ops:            %zu\n", numOps);
  for (const auto& [kernel, count] : kernels) std::printf("  %-24s %d\n", kernel.c_str(), count);
  size_t inPlace = 0;  // ops writing their output over an input they read for the last time
  for (size_t i = 0; i < numOps; ++i) inPlace += llmopt_model_op_in_place_input(model, i) >= 0;
  std::printf("in place:       %zu ops\n", inPlace);
  // Each weighted layer and the precision its kernel works in ("linear_int4" -> int4).
  std::printf("layers:\n");
  for (size_t i = 0; i < numOps; ++i) {
    const char* kernel = nullptr;
    const char* node = nullptr;
    if (llmopt_model_op(model, i, &kernel, &node) != LLMOPT_OK) continue;
    llvm::StringRef name(kernel);
    bool weighted = name.consume_front("linear_") || name.consume_front("gather_");
    if (!weighted) continue;
    std::string precision = name == "f32" ? "fp32" : name.str();
    std::replace(precision.begin(), precision.end(), '_', '-');
    std::printf("  %-40s %-10s %s\n", node && *node ? node : "?", precision.c_str(), kernel);
  }
  return 0;
}

}  // namespace

std::function<int()> addInspectCommand(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto shapes = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show what is inside an artifact");
  cmd->add_option("artifact", *path, "Compiled model (.llmo)")->required();
  cmd->add_option("--shape", *shapes,
                  "NAME=DIMxDIM..., once per input with dynamic dims (e.g. input_ids=1x128): also "
                  "print the arena a run with these shapes uses (the session is planned, not run)")
      ->allow_extra_args(false);
  return [path, shapes] { return inspect(*path, *shapes); };
}

}  // namespace llmopt
