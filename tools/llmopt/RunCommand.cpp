//===- RunCommand.cpp - llmopt run ----------------------------------------===//
#include "tools/llmopt/Commands.h"
#include "tools/llmopt/InputFiles.h"
#include "tools/llmopt/Npy.h"
#include "tools/llmopt/RuntimeHandles.h"

#include "llmopt/runtime.h"

#include <cstdio>
#include <map>
#include <memory>
#include <sys/stat.h>

namespace llmopt {
namespace {

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;  // NAME=FILE.npy
  std::string outputDir;
  int threads = 0;
  bool cudaGraphs = false;
};

std::string shapeText(const int64_t* dims, int rank) {
  std::string text = "[";
  for (int i = 0; i < rank; ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

std::string apiError(const std::string& what) { return what + ": " + llmopt_last_error(); }


void printPreview(const std::string& name, const llmopt_tensor& t) {
  std::printf("%s: %s %s", name.c_str(), llmopt_dtype_name(t.dtype), shapeText(t.dims, t.rank).c_str());
  if (t.dtype == LLMOPT_DTYPE_F32) {
    size_t count = t.size_bytes / sizeof(float);
    const float* values = static_cast<const float*>(t.data);
    std::printf(" = [");
    for (size_t i = 0; i < count && i < 8; ++i) std::printf("%s%.6g", i ? ", " : "", values[i]);
    std::printf("%s]", count > 8 ? ", ..." : "");
  }
  std::printf("\n");
}

int runModel(const RunOptions& options) {
  llmopt_model* rawModel = nullptr;
  if (llmopt_model_load_file(options.model.c_str(), nullptr, &rawModel) != LLMOPT_OK)
    return fail(llmopt_last_error());
  ModelPtr model(rawModel);

  // Read every input file first, so a bad one fails before any work is done.
  std::vector<InputFile> files;
  std::string error;
  if (!readInputFiles(model.get(), options.inputs, files, error)) return fail(error);
  // Every input must be given; of several missing, the first by name is reported.
  std::map<std::string, size_t> inputIndex;
  for (size_t i = 0; i < files.size(); ++i) {
    llmopt_tensor_info info;
    llmopt_model_input_info(model.get(), i, &info);
    inputIndex[info.name] = i;
  }
  for (const auto& [name, index] : inputIndex)
    if (!files[index].given) return fail("missing input '" + name + "' (give --input " + name + "=FILE.npy)");

  llmopt_session_options sessionOptions = LLMOPT_SESSION_OPTIONS_INIT;
  sessionOptions.num_threads = options.threads;
  llmopt_session* rawSession = nullptr;
  if (llmopt_session_create(model.get(), &sessionOptions, &rawSession) != LLMOPT_OK)
    return fail(apiError("cannot create a session"));
  SessionPtr session(rawSession);
  if (options.cudaGraphs && llmopt_session_set_graph_replay(session.get(), 1) != LLMOPT_OK)
    return fail(std::string("--cuda-graphs: ") + llmopt_last_error());
  // Before running, after the session (a CUDA artifact without a GPU fails there, leaving no
  // folder behind): a bad output folder should not cost a whole run.
  if (!options.outputDir.empty()) {
    struct stat info;
    if (stat(options.outputDir.c_str(), &info) != 0 && mkdir(options.outputDir.c_str(), 0777) != 0)
      return fail("cannot create output directory '" + options.outputDir + "'");
  }
  for (size_t i = 0; i < files.size(); ++i) {
    const npy::Array& a = files[i].array;
    if (llmopt_session_set_input(session.get(), i, a.dtype, static_cast<int32_t>(a.shape.size()),
                                 a.shape.data(), a.data.data(), a.data.size()) != LLMOPT_OK)
      return fail(llmopt_last_error());
  }
  if (llmopt_session_run(session.get()) != LLMOPT_OK) return fail(llmopt_last_error());

  for (size_t i = 0; i < llmopt_model_num_outputs(model.get()); ++i) {
    llmopt_tensor_info info;
    llmopt_tensor tensor;
    llmopt_model_output_info(model.get(), i, &info);
    if (llmopt_session_get_output(session.get(), i, &tensor) != LLMOPT_OK)
      return fail(llmopt_last_error());
    if (options.outputDir.empty()) {
      printPreview(info.name, tensor);
      continue;
    }
    std::string path = options.outputDir + "/" + npy::fileNameFor(info.name) + ".npy";
    if (!npy::write(path, tensor.dtype, tensor.dims, tensor.rank, tensor.data, tensor.size_bytes, error))
      return fail(error);
    std::printf("%s: %s %s -> %s\n", info.name, llmopt_dtype_name(tensor.dtype),
                shapeText(tensor.dims, tensor.rank).c_str(), path.c_str());
  }
  return 0;
}

}  // namespace

std::function<int()> addRunCommand(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run an artifact on .npy inputs");
  cmd->add_option("artifact", options->model, "Compiled model (.llmo)")->required();
  cmd->add_option("-i,--input", options->inputs, "NAME=FILE.npy, once per model input");
  cmd->add_option("--output-dir", options->outputDir,
                  "Write each output as DIR/NAME.npy (default: print a preview)");
  cmd->add_option("--threads", options->threads, "Threads (default: one per core)");
  cmd->add_flag("--cuda-graphs", options->cudaGraphs,
                "A cuda artifact: launch the run as a CUDA graph, captured first (the path "
                "llmopt bench --cuda-graphs times; a single run gains nothing from it)");
  return [options] { return runModel(*options); };
}

}  // namespace llmopt
