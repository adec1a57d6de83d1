//===- LLMOptOps.h - ops of the llmopt dialect ----------------------------===//
#ifndef LLMOPT_IR_LLMOPTOPS_H
#define LLMOPT_IR_LLMOPTOPS_H

#include "ir/LLMOptDialect.h"
#include "ir/ShapeInference.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "ir/LLMOptOps.h.inc"

#include <cstdint>
#include <optional>
#include <string>

namespace llmopt {

/// What `fake_quantize` computes for one value (the folder and the tests share it; the runtime
/// kernel does the same arithmetic).
float fakeQuantizeValue(float x, float scale, int64_t zeroPoint, int64_t qmin, int64_t qmax);

/// A quantization scale or zero point that applies to the whole tensor: a scalar or a
/// one-element 1-D tensor (ONNX allows both).
bool isPerTensorQuantParam(mlir::RankedTensorType type);

/// Why `llmopt.attention` cannot take these query, key and value types, or nothing when it can
/// (the verifier's shape rules, for patterns that must decide before creating the op).
/// Whether a linear layer (llmopt.linear, llmopt.quantized_linear) adds an activation or a
/// residual after its product.
template <class LinearLike>
bool hasEpilogue(LinearLike linear) {
  return linear.getResidual() || linear.getActivation() != "none";
}
/// Whether `activation` names a linear layer's epilogue activation ("none" included).
bool isEpilogueActivation(llvm::StringRef activation);
/// The checks of a linear layer's epilogue (activation, residual), for its verifier.
mlir::LogicalResult verifyLinearEpilogue(mlir::Operation* op, llvm::StringRef activation,
                                         mlir::Value residual, mlir::Type result);

/// A linear layer's result shape from the shape of its product: the same, but for the
/// "swiglu" activation, which halves the last dim (gate and up rows stacked).
ShapeOrError epilogueShape(ShapeOrError product, mlir::DictionaryAttr attributes);

std::optional<std::string> attentionShapeError(mlir::RankedTensorType query,
                                               mlir::RankedTensorType key,
                                               mlir::RankedTensorType value);

/// Why `llmopt.packed_attention` cannot take a qkv of this type with `kvHeads` key/value
/// heads, or nothing when it can.
std::optional<std::string> packedAttentionHeadsError(mlir::RankedTensorType qkv,
                                                     int64_t kvHeads);

}  // namespace llmopt

#endif  // LLMOPT_IR_LLMOPTOPS_H
