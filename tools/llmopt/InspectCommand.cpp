//===- InspectCommand.cpp - llmopt inspect --------------------------------===//
#include "tools/llmopt/Commands.h"
#include "tools/llmopt/RuntimeHandles.h"

#include "llmopt/runtime.h"

#include <cstdio>
#include <algorithm>
#include <map>

#include "llvm/ADT/StringRef.h"
#include <sys/stat.h>

namespace llmopt {
namespace {

void printTensorInfo(const llmopt_tensor_info& info) {
  std::printf("  %-24s %-8s %s\n", info.name, llmopt_dtype_name(info.dtype),
              formatTensorShape(info).c_str());
}

int inspect(const std::string& path) {
  llmopt_model* model = nullptr;
  if (llmopt_model_load_file(path.c_str(), nullptr, &model) != LLMOPT_OK)
    return fail(llmopt_last_error());
  struct stat info;
  stat(path.c_str(), &info);
  std::printf("artifact:       %s (%lld bytes)\n", path.c_str(), static_cast<long long>(info.st_size));
  std::printf("format version: %u\n", llmopt_model_format_version(model));
  std::printf("target:         %s\n", llmopt_model_target(model));
  std::printf("producer:       %s\n", llmopt_model_producer(model));
  std::printf("weight bytes:   %llu\n", static_cast<unsigned long long>(llmopt_model_weight_bytes(model)));
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
  llmopt_model_free(model);
  return 0;
}

}  // namespace

std::function<int()> addInspectCommand(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show what is inside an artifact");
  cmd->add_option("artifact", *path, "Compiled model (.llmo)")->required();
  return [path] { return inspect(*path); };
}

}  // namespace llmopt
