//===- TensorConversion.h - ONNX tensors and types → MLIR -----------------===//
#ifndef LLMOPT_FRONTENDS_ONNX_TENSORCONVERSION_H
#define LLMOPT_FRONTENDS_ONNX_TENSORCONVERSION_H

#include "frontends/onnx/ModelLoader.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"

namespace llmopt::onnx_import {

/// The MLIR element type of an ONNX TensorProto::DataType, or null if llmopt has none.
mlir::Type convertElementType(mlir::MLIRContext* context, int32_t dataType);
/// "float32", "int64", ... for messages.
std::string dataTypeName(int32_t dataType);

/// An ONNX tensor (initializer or Constant attribute) as a constant attribute. Raw and external
/// data are referenced in place (a resource blob, no copy); typed fields (float_data, ...) are
/// copied. Returns a null attribute and sets `error` on failure.
mlir::ElementsAttr convertTensor(mlir::MLIRContext* context, const onnx::TensorProto& tensor,
                                 ModelStorage& storage, std::string& error);

}  // namespace llmopt::onnx_import

#endif  // LLMOPT_FRONTENDS_ONNX_TENSORCONVERSION_H
