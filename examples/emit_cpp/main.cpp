// Runs a model emitted by `llmopt compile --emit cpp` on .npy inputs and writes each output as
// OUT_DIR/<name>.npy, as `llmopt run --output-dir` does for the artifact. Built with the emitted
// header named by LLMOPT_EMITTED_HEADER and its namespace by LLMOPT_EMITTED_NS (README: Standalone
// C++; tests/e2e/emit_cpp.py builds it for x86 and aarch64).
//   emit_cpp_example WEIGHTS|- OUT_DIR NAME=FILE.npy... [--threads N]
// WEIGHTS: the emitted .weights file, or '-' for code emitted with --embed-weights.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include LLMOPT_EMITTED_HEADER
#include "tools/llmopt/Npy.h"

namespace model = LLMOPT_EMITTED_NS;
namespace npy = llmopt::npy;

namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<unsigned char, FreeDeleter>;

// 64-byte aligned memory, as run() wants for the weights and the workspace.
Buffer alignedBuffer(size_t bytes) {
  return Buffer(static_cast<unsigned char*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64)));
}

int fail(const std::string& message) {
  std::fprintf(stderr, "emit_cpp_example: %s\n", message.c_str());
  return 1;
}

bool readWeights(const char* path, Buffer& out, std::string& error) {
  std::FILE* file = std::fopen(path, "rb");
  if (!file) return error = std::string("cannot open '") + path + "'", false;
  out = alignedBuffer(model::kWeightsBytes);
  const size_t got = std::fread(out.get(), 1, model::kWeightsBytes, file);
  const bool longer = std::fgetc(file) != EOF;
  std::fclose(file);
  if (got != model::kWeightsBytes || longer || !model::weightsMatch(out.get(), got))
    return error = std::string("'") + path + "' is not the weights this code was emitted for",
           false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputArgs;
  int threads = 1;
  for (int a = 3; a < argc; ++a) {
    if (std::strcmp(argv[a], "--threads") == 0 && a + 1 < argc)
      threads = std::atoi(argv[++a]);
    else
      inputArgs.push_back(argv[a]);
  }
  if (argc < 3)
    return fail("usage: emit_cpp_example WEIGHTS|- OUT_DIR NAME=FILE.npy... [--threads N]");

  std::string error;
  Buffer weights;
  if (std::strcmp(argv[1], "-") != 0 && !readWeights(argv[1], weights, error)) return fail(error);

  std::vector<npy::Array> arrays(model::kNumInputs);
  std::vector<bool> given(model::kNumInputs, false);
  for (const std::string& arg : inputArgs) {
    const size_t eq = arg.find('=');
    int index = -1;
    for (int i = 0; i < model::kNumInputs; ++i)
      if (eq != std::string::npos && arg.compare(0, eq, model::kInputs[i].name) == 0 &&
          std::strlen(model::kInputs[i].name) == eq)
        index = i;
    if (index < 0) return fail("'" + arg + "': not NAME=FILE.npy for an input of the model");
    npy::Array& array = arrays[index];
    if (!npy::read(arg.substr(eq + 1), array, error)) return fail(arg + ": " + error);
    const model::TensorInfo& info = model::kInputs[index];
    if (array.dtype != info.dtype || array.data.size() != info.bytes ||
        array.shape != std::vector<int64_t>(info.dims, info.dims + info.rank))
      return fail(arg + ": not the dtype and shape the code was emitted for");
    given[index] = true;
  }
  std::vector<const void*> inputs(model::kNumInputs);
  for (int i = 0; i < model::kNumInputs; ++i) {
    if (!given[i]) return fail(std::string("missing input '") + model::kInputs[i].name + "'");
    inputs[i] = arrays[i].data.data();
  }
  std::vector<Buffer> outputBuffers;
  std::vector<void*> outputs;
  for (int o = 0; o < model::kNumOutputs; ++o) {
    outputBuffers.push_back(alignedBuffer(model::kOutputs[o].bytes));
    outputs.push_back(outputBuffers.back().get());
  }
  Buffer workspace = alignedBuffer(model::kWorkspaceBytes);
  if (model::run(weights.get(), workspace.get(), inputs.data(), outputs.data(), threads) != 0)
    return fail(std::string("run: ") + model::lastError());

  for (int o = 0; o < model::kNumOutputs; ++o) {
    const model::TensorInfo& info = model::kOutputs[o];
    if (!npy::write(std::string(argv[2]) + "/" + npy::fileNameFor(info.name) + ".npy", info.dtype,
                    info.dims, info.rank, outputs[o], info.bytes, error))
      return fail(error);
  }
  return 0;
}
