//===- ConstantFolding.h - reading and making constant tensors ------------===//
//
// Constants come in two forms: `dense` (small, inline in the IR) and `dense_resource` (weights:
// a blob, usually the bytes of the ONNX file itself). These helpers hide the difference.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_IR_CONSTANTFOLDING_H
#define LLMOPT_IR_CONSTANTFOLDING_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>

namespace llmopt {

enum class BinaryKind { Add, Sub, Mul, Div };

/// The raw little-endian bytes of a constant, or nothing for a splat or an unsupported form.
std::optional<llvm::ArrayRef<char>> getRawBytes(mlir::ElementsAttr attr);

/// The raw bytes of a constant with a splat expanded to every element (a copy), or nothing for
/// an unsupported form.
std::optional<std::vector<char>> getExpandedRawBytes(mlir::ElementsAttr attr);

/// The values of an f32 constant (splats expanded), or nothing if it is not f32.
std::optional<std::vector<float>> getFloatValues(mlir::ElementsAttr attr);

/// Builds an f32 constant: inline `dense` when small, otherwise a new resource blob.
mlir::ElementsAttr makeFloatConstant(mlir::RankedTensorType type, llvm::ArrayRef<float> values,
                                     llvm::StringRef blobName = "folded");

/// A constant of any element type from its raw bytes (one byte per element below 8 bits, as
/// DenseElementsAttr stores them): inline when small, otherwise a new resource blob.
mlir::ElementsAttr makeRawConstant(mlir::RankedTensorType type, llvm::ArrayRef<char> bytes,
                                   llvm::StringRef blobName);

/// The same data seen with another (static, same element count) shape; never copies a blob.
mlir::ElementsAttr reshapeConstant(mlir::ElementsAttr attr, mlir::RankedTensorType type);

/// lhs (op) rhs with numpy broadcasting, for f32 constants of static shape.
mlir::ElementsAttr foldBinary(BinaryKind kind, mlir::ElementsAttr lhs, mlir::ElementsAttr rhs,
                              mlir::RankedTensorType resultType);

/// True if `attr` is a splat (or single element) equal to `value`.
bool isSplatOf(mlir::Attribute attr, float value);

}  // namespace llmopt

#endif  // LLMOPT_IR_CONSTANTFOLDING_H
