// Loading an artifact: header, checksum, FlatBuffers verification, then the plan's semantic
// checks (plan_import) and the model's public tensor facts.
#ifndef LLMOPT_RUNTIME_LOADER_H
#define LLMOPT_RUNTIME_LOADER_H

#include "error.h"
#include "model.h"

namespace llmopt::rt {

// Loads the artifact at model->data, model->size (already mapped or borrowed).
Status loadModel(const llmopt_load_options* options, Model* model);

// Maps the file at `path` into model->file and loads it; a failure to load names the path.
Status loadModelFile(const char* path, const llmopt_load_options* options, Model* model);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_LOADER_H
