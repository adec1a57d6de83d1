//===- InputShapes.h - --shape NAME=DIMxDIM... for bench and inspect ------===//
//
// The shapes `llmopt bench` and `llmopt inspect --shape` bind a model's inputs to: one
// `NAME=AxBxC` per input with dynamic dims; fully static inputs take the model's own dims.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_INPUTSHAPES_H
#define LLMOPT_TOOLS_LLMOPT_INPUTSHAPES_H

#include "llmopt/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llmopt {

struct InputShape {
  llmopt_tensor_info info;
  std::vector<int64_t> dims;
};

/// One entry per model input, in model order, with the dims `specs` give it. False, with a
/// one-line `error`, for a malformed spec, a dim below 1, an unknown or repeated input name, a
/// rank the input does not have, or a dynamic input without a spec. Inputs marked in `bound`
/// (bench's --input files: their shape comes with the data) need no spec; without one their
/// dims stay empty.
bool resolveInputShapes(const llmopt_model* model, const std::vector<std::string>& specs,
                        std::vector<InputShape>& inputs, std::string& error,
                        const std::vector<bool>& bound = {});

/// "[1, 128]".
std::string shapeText(const std::vector<int64_t>& dims);
/// "input_ids=1x128, mask=1x128": the inputs as --shape writes them.
std::string shapeSpecsText(const std::vector<InputShape>& inputs);

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_INPUTSHAPES_H
