//===- InputFiles.h - --input NAME=FILE.npy for run and bench -------------===//
//
// The model inputs `llmopt run` and `llmopt bench` read from NumPy files: one `NAME=FILE.npy`
// per input. Only the files are read here; dtype and shape are checked against the model by
// llmopt_session_set_input, with the runtime's messages.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_INPUTFILES_H
#define LLMOPT_TOOLS_LLMOPT_INPUTFILES_H

#include "tools/llmopt/Npy.h"

#include "llmopt/runtime.h"

#include <string>
#include <vector>

namespace llmopt {

struct InputFile {
  bool given = false;
  std::string path;
  npy::Array array;
};

/// One entry per model input, in model order; `given` for those `specs` name. Every file is
/// read before returning, so a bad one fails before any work is done. False, with a one-line
/// `error`, for a spec that is not NAME=FILE.npy, an unknown or repeated input name, or a file
/// that cannot be read as .npy.
bool readInputFiles(const llmopt_model* model, const std::vector<std::string>& specs,
                    std::vector<InputFile>& files, std::string& error);

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_INPUTFILES_H
