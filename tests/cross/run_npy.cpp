// The runtime alone, on the target of a cross build (qemu-aarch64): runs an artifact on .npy
// inputs and writes every output as <dir>/<name>.npy (names mapped as `llmopt run` maps them), so
// that tests/cross/compare_x86_aarch64.py can compare with `llmopt run` on x86.
//   run_npy MODEL.llmo OUT_DIR NAME=FILE.npy...
#include <cstdio>
#include <string>
#include <vector>

#include "llmopt/runtime.h"
#include "tools/llmopt/Npy.h"

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "run_npy: %s: %s\n", what.c_str(), llmopt_last_error());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: run_npy MODEL.llmo OUT_DIR NAME=FILE.npy...\n");
    return 2;
  }
  llmopt_model* model = nullptr;
  if (llmopt_model_load_file(argv[1], nullptr, &model) != LLMOPT_OK) return fail("load");
  llmopt_session* session = nullptr;
  if (llmopt_session_create(model, nullptr, &session) != LLMOPT_OK) return fail("session");
  std::vector<llmopt::npy::Array> arrays(argc - 3);
  for (int a = 3; a < argc; ++a) {
    const std::string arg = argv[a];
    const size_t eq = arg.find('=');
    std::string error;
    llmopt::npy::Array& array = arrays[a - 3];
    if (eq == std::string::npos || !llmopt::npy::read(arg.substr(eq + 1), array, error)) {
      std::fprintf(stderr, "run_npy: %s: %s\n", arg.c_str(), error.c_str());
      return 1;
    }
    size_t index = llmopt_model_num_inputs(model);
    for (size_t i = 0; i < llmopt_model_num_inputs(model); ++i) {
      llmopt_tensor_info info;
      llmopt_model_input_info(model, i, &info);
      if (arg.compare(0, eq, info.name) == 0 && std::string(info.name).size() == eq) index = i;
    }
    if (llmopt_session_set_input(session, index, array.dtype,
                                 static_cast<int32_t>(array.shape.size()), array.shape.data(),
                                 array.data.data(), array.data.size()) != LLMOPT_OK)
      return fail(arg);
  }
  if (llmopt_session_run(session) != LLMOPT_OK) return fail("run");
  for (size_t o = 0; o < llmopt_model_num_outputs(model); ++o) {
    llmopt_tensor_info info;
    llmopt_tensor out;
    llmopt_model_output_info(model, o, &info);
    if (llmopt_session_get_output(session, o, &out) != LLMOPT_OK) return fail("output");
    std::string error;
    if (!llmopt::npy::write(
            std::string(argv[2]) + "/" + llmopt::npy::fileNameFor(info.name) + ".npy", out.dtype,
            out.dims, out.rank, out.data, out.size_bytes, error)) {
      std::fprintf(stderr, "run_npy: %s\n", error.c_str());
      return 1;
    }
  }
  llmopt_session_free(session);
  llmopt_model_free(model);
  return 0;
}
