//===- ShapeHelpers.h - shared by the importers of shape-carrying ops -----===//
#ifndef LLMOPT_FRONTENDS_ONNX_OPS_SHAPEHELPERS_H
#define LLMOPT_FRONTENDS_ONNX_OPS_SHAPEHELPERS_H

#include "frontends/onnx/NodeContext.h"

#include <optional>
#include <vector>

namespace llmopt::onnx_import {

/// Input i as known integers (0-D or 1-D); an error at the node naming `what` otherwise.
std::optional<std::vector<SymDim>> knownInts(NodeContext& node, size_t i, const char* what);
/// Input i as static integers; an error at the node naming `what` otherwise.
std::optional<std::vector<int64_t>> staticInts(NodeContext& node, size_t i, const char* what);
/// A `shape` attribute (integers and symbolic strings).
mlir::ArrayAttr shapeAttr(NodeContext& node, const SymShape& shape);
/// x reshaped to `target` (actual dims, no 0/-1): a `reshape` where the ONNX spec is exact,
/// else a `reshape_to`.
mlir::Value reshapeTo(NodeContext& node, mlir::Value x, const SymShape& target);

}  // namespace llmopt::onnx_import

#endif  // LLMOPT_FRONTENDS_ONNX_OPS_SHAPEHELPERS_H
