//===- TensorConversion.cpp - ONNX tensors and types → MLIR ---------------===//
#include "frontends/onnx/TensorConversion.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

namespace llmopt::onnx_import {

using onnx::TensorProto;

mlir::Type convertElementType(mlir::MLIRContext* context, int32_t dataType) {
  mlir::Builder b(context);
  switch (dataType) {
    case TensorProto::FLOAT: return b.getF32Type();
    case TensorProto::FLOAT16: return b.getF16Type();
    case TensorProto::BFLOAT16: return b.getBF16Type();
    case TensorProto::DOUBLE: return b.getF64Type();
    case TensorProto::INT8: return b.getIntegerType(8);
    case TensorProto::UINT8: return b.getIntegerType(8, /*isSigned=*/false);
    case TensorProto::INT32: return b.getI32Type();
    case TensorProto::INT64: return b.getI64Type();
    case TensorProto::BOOL: return b.getI1Type();
    default: return nullptr;
  }
}

std::string dataTypeName(int32_t dataType) {
  switch (dataType) {
    case TensorProto::FLOAT: return "float32";
    case TensorProto::FLOAT16: return "float16";
    case TensorProto::BFLOAT16: return "bfloat16";
    case TensorProto::DOUBLE: return "float64";
    case TensorProto::INT8: return "int8";
    case TensorProto::UINT8: return "uint8";
    case TensorProto::INT16: return "int16";
    case TensorProto::UINT16: return "uint16";
    case TensorProto::INT32: return "int32";
    case TensorProto::UINT32: return "uint32";
    case TensorProto::INT64: return "int64";
    case TensorProto::UINT64: return "uint64";
    case TensorProto::BOOL: return "bool";
    case TensorProto::STRING: return "string";
    case TensorProto::COMPLEX64: return "complex64";
    case TensorProto::COMPLEX128: return "complex128";
    default: return "data type " + std::to_string(dataType);
  }
}

namespace {

size_t elementBytes(int32_t dataType) {
  switch (dataType) {
    case TensorProto::FLOAT: case TensorProto::INT32: return 4;
    case TensorProto::FLOAT16: case TensorProto::BFLOAT16: return 2;
    case TensorProto::DOUBLE: case TensorProto::INT64: return 8;
    case TensorProto::INT8: case TensorProto::UINT8: case TensorProto::BOOL: return 1;
    default: return 0;
  }
}

/// NaN weights are refused: no exporter writes them on purpose, and they poison every output.
/// ±Inf is accepted: attention masks are built from -inf constants.
bool checkNoNaN(const std::string& name, const void* data, uint64_t count, std::string& error) {
  uint64_t nans = 0;
  for (uint64_t i = 0; i < count; ++i) {
    float value;
    std::memcpy(&value, static_cast<const char*>(data) + i * sizeof(float), sizeof value);
    nans += value != value;
  }
  if (nans == 0) return true;
  error = "tensor '" + name + "' contains " + std::to_string(nans) + " NaN value" +
          (nans > 1 ? "s" : "") + " (a broken export?)";
  return false;
}

/// Copies a typed repeated field into a heap blob, converting each element to T.
template <typename T, typename Field>
mlir::AsmResourceBlob copyField(const Field& field) {
  std::vector<T> values(field.begin(), field.end());
  // Not for an empty field: allocateAndCopy would memcpy from its null data() (undefined).
  if (values.empty()) return mlir::HeapAsmResourceBlob::allocate(0, alignof(T));
  return mlir::HeapAsmResourceBlob::allocateAndCopyInferAlign(llvm::ArrayRef<T>(values));
}

}  // namespace

mlir::ElementsAttr convertTensor(mlir::MLIRContext* context, const TensorProto& tensor,
                                 ModelStorage& storage, std::string& error) {
  const std::string name = tensor.name().empty() ? "<unnamed>" : tensor.name();
  mlir::Type elementType = convertElementType(context, tensor.data_type());
  size_t bytesPerElement = elementBytes(tensor.data_type());
  if (!elementType || !bytesPerElement) {
    error = "tensor '" + name + "' has unsupported data type " + dataTypeName(tensor.data_type());
    return {};
  }
  llvm::SmallVector<int64_t> shape;
  uint64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || (dim > 0 && count > (uint64_t(1) << 48) / static_cast<uint64_t>(dim))) {
      error = "tensor '" + name + "' has an invalid or too large shape";
      return {};
    }
    shape.push_back(dim);
    count *= static_cast<uint64_t>(dim);
  }
  auto type = mlir::RankedTensorType::get(shape, elementType);
  uint64_t expectedBytes = count * bytesPerElement;

  auto expectBytes = [&](uint64_t got) {
    if (got == expectedBytes) return true;
    error = "tensor '" + name + "' has " + std::to_string(got) + " bytes of data, its shape needs " +
            std::to_string(expectedBytes);
    return false;
  };
  // Resource keys must be unique and stable: the tensor name, made unique by MLIR if needed.
  std::string blobName = tensor.name().empty() ? "tensor" : tensor.name();
  auto makeResource = [&](mlir::AsmResourceBlob blob) -> mlir::ElementsAttr {
    auto& manager = mlir::DenseResourceElementsHandle::getManagerInterface(context);
    return mlir::DenseResourceElementsAttr::get(type, manager.insert(blobName, std::move(blob)));
  };
  bool isFloat32 = tensor.data_type() == TensorProto::FLOAT;
  auto referenceBytes = [&](const char* data, uint64_t size) -> mlir::ElementsAttr {
    if (isFloat32 && !checkNoNaN(name, data, count, error)) return {};
    // Borrowed, never freed by MLIR: the bytes belong to `storage`.
    return makeResource(mlir::UnmanagedAsmResourceBlob::allocateWithAlign(
        llvm::ArrayRef<char>(data, size), /*align=*/1));
  };

  if (tensor.data_location() == TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = expectedBytes;
    bool hasLength = false;
    for (const auto& entry : tensor.external_data()) {
      try {
        if (entry.key() == "location") location = entry.value();
        if (entry.key() == "offset") offset = std::stoull(entry.value());
        if (entry.key() == "length") length = std::stoull(entry.value()), hasLength = true;
      } catch (const std::exception&) {
        error = "tensor '" + name + "': invalid external data " + entry.key() + " '" +
                entry.value() + "'";
        return {};
      }
    }
    if (hasLength && !expectBytes(length)) return {};
    const char* data = nullptr;
    if (!storage.externalBytes(location, offset, expectedBytes, data, error)) {
      error = "tensor '" + name + "': " + error;
      return {};
    }
    return referenceBytes(data, expectedBytes);
  }
  if (tensor.has_raw_data()) {
    if (!expectBytes(tensor.raw_data().size())) return {};
    return referenceBytes(tensor.raw_data().data(), tensor.raw_data().size());
  }
  // Typed fields: ONNX stores several element types widened (int8 in int32_data, ...).
  auto expectCount = [&](int got) {
    if (static_cast<uint64_t>(got) == count) return true;
    error = "tensor '" + name + "' has " + std::to_string(got) + " values, its shape needs " +
            std::to_string(count);
    return false;
  };
  switch (tensor.data_type()) {
    case TensorProto::FLOAT:
      if (!expectCount(tensor.float_data_size()) ||
          !checkNoNaN(name, tensor.float_data().data(), count, error))
        return {};
      return makeResource(copyField<float>(tensor.float_data()));
    case TensorProto::DOUBLE:
      if (!expectCount(tensor.double_data_size())) return {};
      return makeResource(copyField<double>(tensor.double_data()));
    case TensorProto::INT64:
      if (!expectCount(tensor.int64_data_size())) return {};
      return makeResource(copyField<int64_t>(tensor.int64_data()));
    case TensorProto::INT32:
      if (!expectCount(tensor.int32_data_size())) return {};
      return makeResource(copyField<int32_t>(tensor.int32_data()));
    case TensorProto::INT8:
      if (!expectCount(tensor.int32_data_size())) return {};
      return makeResource(copyField<int8_t>(tensor.int32_data()));
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      if (!expectCount(tensor.int32_data_size())) return {};
      return makeResource(copyField<uint8_t>(tensor.int32_data()));
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
      if (!expectCount(tensor.int32_data_size())) return {};
      return makeResource(copyField<uint16_t>(tensor.int32_data()));
    default:
      error = "tensor '" + name + "' has no data";
      return {};
  }
}

}  // namespace llmopt::onnx_import
