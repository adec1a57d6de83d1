//===- InputFiles.cpp - --input NAME=FILE.npy for run and bench -----------===//
#include "tools/llmopt/InputFiles.h"

#include <map>

namespace llmopt {

bool readInputFiles(const llmopt_model* model, const std::vector<std::string>& specs,
                    std::vector<InputFile>& files, std::string& error) {
  size_t numInputs = llmopt_model_num_inputs(model);
  files.assign(numInputs, InputFile{});
  std::map<std::string, size_t> inputIndex;
  std::string known;
  for (size_t i = 0; i < numInputs; ++i) {
    llmopt_tensor_info info;
    llmopt_model_input_info(model, i, &info);
    inputIndex[info.name] = i;
    known += (known.empty() ? "" : ", ") + std::string(info.name);
  }
  for (const std::string& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "--input '" + spec + "' must be NAME=FILE.npy";
      return false;
    }
    std::string name = spec.substr(0, eq);
    auto it = inputIndex.find(name);
    if (it == inputIndex.end()) {
      error = "the model has no input '" + name + "' (inputs: " + (known.empty() ? "none" : known) + ")";
      return false;
    }
    InputFile& file = files[it->second];
    if (file.given) {
      error = "input '" + name + "' is given twice";
      return false;
    }
    file.path = spec.substr(eq + 1);
    if (!npy::read(file.path, file.array, error)) {
      error = "input '" + name + "': " + error;
      return false;
    }
    file.given = true;
  }
  return true;
}

}  // namespace llmopt
