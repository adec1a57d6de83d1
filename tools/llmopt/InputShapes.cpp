//===- InputShapes.cpp - --shape NAME=DIMxDIM... for bench and inspect ----===//
#include "tools/llmopt/InputShapes.h"
#include "tools/llmopt/RuntimeHandles.h"

#include <map>

namespace llmopt {
namespace {

const char* const kDimsHelp = "dims are whole numbers >= 1 separated by 'x', e.g. input_ids=1x128";

/// "1x128" -> {1, 128}. False, with `error`, on anything else.
bool parseDims(const std::string& spec, const std::string& text, std::vector<int64_t>& dims,
               std::string& error) {
  dims.clear();
  size_t start = 0;
  while (true) {
    size_t end = text.find('x', start);
    std::string part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string digits = !part.empty() && part[0] == '-' ? part.substr(1) : part;
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
      error = "--shape '" + spec + "': " + (part.empty() ? "a dim is empty" : "'" + part + "' is not a dim") +
              " (" + kDimsHelp + ")";
      return false;
    }
    if (digits.size() > 12) {
      error = "--shape '" + spec + "': dim " + std::to_string(dims.size()) + " is too large";
      return false;
    }
    int64_t dim = std::stoll(part);
    if (dim < 1) {
      error = "--shape '" + spec + "': dim " + std::to_string(dims.size()) + " is " + part +
              "; dims must be >= 1";
      return false;
    }
    dims.push_back(dim);
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

/// The given dims fit the input: its rank, and its static dims.
bool checkAgainstModel(const std::string& spec, const llmopt_tensor_info& info,
                       const std::vector<int64_t>& dims, std::string& error) {
  std::string name = info.name;
  if (dims.size() != static_cast<size_t>(info.rank)) {
    error = "--shape '" + spec + "': input '" + name + "' has rank " + std::to_string(info.rank) +
            " " + formatTensorShape(info) + ", not " + std::to_string(dims.size());
    return false;
  }
  for (int d = 0; d < info.rank; ++d)
    if (info.dims[d] >= 0 && dims[d] != info.dims[d]) {
      error = "--shape '" + spec + "': input '" + name + "' " + formatTensorShape(info) + " has dim " +
              std::to_string(d) + " fixed at " + std::to_string(info.dims[d]) + ", not " +
              std::to_string(dims[d]);
      return false;
    }
  return true;
}

}  // namespace

bool resolveInputShapes(const llmopt_model* model, const std::vector<std::string>& specs,
                        std::vector<InputShape>& inputs, std::string& error,
                        const std::vector<bool>& bound) {
  size_t numInputs = llmopt_model_num_inputs(model);
  inputs.assign(numInputs, InputShape{});
  std::map<std::string, size_t> inputIndex;
  std::string known;
  for (size_t i = 0; i < numInputs; ++i) {
    llmopt_model_input_info(model, i, &inputs[i].info);
    inputIndex[inputs[i].info.name] = i;
    known += (i ? ", " : "") + std::string(inputs[i].info.name);
  }

  std::vector<bool> given(numInputs, false);
  for (const std::string& spec : specs) {
    size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      error = "--shape '" + spec + "' must be NAME=DIMxDIM... (e.g. input_ids=1x128)";
      return false;
    }
    std::string name = spec.substr(0, eq);
    auto it = inputIndex.find(name);
    if (it == inputIndex.end()) {
      error = "--shape '" + spec + "': the model has no input '" + name + "' (inputs: " +
              (known.empty() ? "none" : known) + ")";
      return false;
    }
    InputShape& input = inputs[it->second];
    if (given[it->second]) {
      error = "--shape: input '" + name + "' is given twice";
      return false;
    }
    if (!parseDims(spec, spec.substr(eq + 1), input.dims, error) ||
        !checkAgainstModel(spec, input.info, input.dims, error))
      return false;
    given[it->second] = true;
  }

  for (size_t i = 0; i < numInputs; ++i) {
    if (given[i] || (i < bound.size() && bound[i])) continue;
    const llmopt_tensor_info& info = inputs[i].info;
    // A fully static input needs no --shape.
    bool fixed = true;
    std::string example;
    for (int d = 0; d < info.rank; ++d) {
      fixed = fixed && info.dims[d] >= 0;
      example += (d ? "x" : "") + std::to_string(info.dims[d] >= 0 ? info.dims[d] : 1);
    }
    if (!fixed) {
      error = "missing --shape for input '" + std::string(info.name) + "' " + formatTensorShape(info) +
              " (e.g. --shape " + info.name + "=" + example + ")";
      return false;
    }
    inputs[i].dims.assign(info.dims, info.dims + info.rank);
  }
  return true;
}

std::string shapeText(const std::vector<int64_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

std::string shapeSpecsText(const std::vector<InputShape>& inputs) {
  std::string text;
  for (const InputShape& input : inputs) {
    text += (text.empty() ? "" : ", ") + std::string(input.info.name) + "=";
    for (size_t d = 0; d < input.dims.size(); ++d) text += (d ? "x" : "") + std::to_string(input.dims[d]);
  }
  return text;
}

}  // namespace llmopt
