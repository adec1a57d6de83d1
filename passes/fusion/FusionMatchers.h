//===- FusionMatchers.h - small matchers the fusion patterns share --------===//
#ifndef LLMOPT_PASSES_FUSION_FUSIONMATCHERS_H
#define LLMOPT_PASSES_FUSION_FUSIONMATCHERS_H

#include "ir/ConstantFolding.h"
#include "ir/LLMOptOps.h"

#include <optional>

namespace llmopt {

/// The value of a one-element f32 constant (any shape: [], [1], [1, 1]), or nothing.
inline std::optional<float> scalarConstant(mlir::Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant) return std::nullopt;
  std::optional<std::vector<float>> values = getFloatValues(constant.getValue());
  if (!values || values->size() != 1) return std::nullopt;
  return (*values)[0];
}

}  // namespace llmopt

#endif  // LLMOPT_PASSES_FUSION_FUSIONMATCHERS_H
