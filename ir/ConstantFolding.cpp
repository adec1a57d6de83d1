//===- ConstantFolding.cpp - reading and making constant tensors ----------===//
#include "ir/ConstantFolding.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace llmopt {
namespace {
// Constants up to this many elements stay inline (readable in the IR); larger ones are blobs.
constexpr int64_t kInlineElementLimit = 64;
// Folding bigger constants than this at compile time costs more memory than it saves.
constexpr int64_t kFoldElementLimit = int64_t(1) << 26;
}  // namespace

std::optional<llvm::ArrayRef<char>> getRawBytes(mlir::ElementsAttr attr) {
  if (auto resource = attr.dyn_cast<mlir::DenseResourceElementsAttr>()) {
    mlir::AsmResourceBlob* blob = resource.getRawHandle().getBlob();
    if (!blob) return std::nullopt;
    return blob->getData();
  }
  if (auto dense = attr.dyn_cast<mlir::DenseElementsAttr>()) {
    if (dense.isSplat()) return std::nullopt;
    return dense.getRawData();
  }
  return std::nullopt;
}

std::optional<std::vector<char>> getExpandedRawBytes(mlir::ElementsAttr attr) {
  if (std::optional<llvm::ArrayRef<char>> raw = getRawBytes(attr))
    return std::vector<char>(raw->begin(), raw->end());
  auto dense = attr.dyn_cast<mlir::DenseElementsAttr>();
  if (!dense || !dense.isSplat()) return std::nullopt;
  llvm::ArrayRef<char> element = dense.getRawData();
  std::vector<char> bytes;
  bytes.reserve(element.size() * dense.getNumElements());
  for (int64_t i = 0; i < dense.getNumElements(); ++i)
    bytes.insert(bytes.end(), element.begin(), element.end());
  return bytes;
}

std::optional<std::vector<float>> getFloatValues(mlir::ElementsAttr attr) {
  auto type = attr.getType().cast<mlir::ShapedType>();
  if (!type.getElementType().isF32() || !type.hasStaticShape()) return std::nullopt;
  int64_t count = type.getNumElements();
  if (auto dense = attr.dyn_cast<mlir::DenseElementsAttr>()) {
    if (dense.isSplat()) return std::vector<float>(count, dense.getSplatValue<float>());
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  std::optional<llvm::ArrayRef<char>> bytes = getRawBytes(attr);
  if (!bytes || bytes->size() != static_cast<size_t>(count) * sizeof(float)) return std::nullopt;
  std::vector<float> values(count);
  std::memcpy(values.data(), bytes->data(), bytes->size());
  return values;
}

mlir::ElementsAttr makeFloatConstant(mlir::RankedTensorType type, llvm::ArrayRef<float> values,
                                     llvm::StringRef blobName) {
  if (static_cast<int64_t>(values.size()) <= kInlineElementLimit)
    return mlir::DenseElementsAttr::get(type, values);
  auto blob = mlir::HeapAsmResourceBlob::allocateAndCopyInferAlign(values);
  return mlir::DenseF32ResourceElementsAttr::get(type, blobName, std::move(blob));
}

mlir::ElementsAttr makeRawConstant(mlir::RankedTensorType type, llvm::ArrayRef<char> bytes,
                                   llvm::StringRef blobName) {
  if (type.getNumElements() <= kInlineElementLimit)
    return mlir::DenseElementsAttr::getFromRawBuffer(type, bytes);
  auto blob = mlir::HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(uint64_t));
  auto& manager = mlir::DenseResourceElementsHandle::getManagerInterface(type.getContext());
  return mlir::DenseResourceElementsAttr::get(type, manager.insert(blobName, std::move(blob)));
}

mlir::ElementsAttr reshapeConstant(mlir::ElementsAttr attr, mlir::RankedTensorType type) {
  if (auto dense = attr.dyn_cast<mlir::DenseElementsAttr>()) return dense.reshape(type);
  if (auto resource = attr.dyn_cast<mlir::DenseResourceElementsAttr>())
    return mlir::DenseResourceElementsAttr::get(type, resource.getRawHandle());
  return {};
}

mlir::ElementsAttr foldBinary(BinaryKind kind, mlir::ElementsAttr lhs, mlir::ElementsAttr rhs,
                              mlir::RankedTensorType resultType) {
  if (!resultType.hasStaticShape() || resultType.getNumElements() > kFoldElementLimit)
    return {};
  std::optional<std::vector<float>> a = getFloatValues(lhs), b = getFloatValues(rhs);
  if (!a || !b) return {};
  llvm::ArrayRef<int64_t> shape = resultType.getShape();
  size_t rank = shape.size();
  // Strides of each operand as seen in the result's index space (0 where it broadcasts).
  auto broadcastStrides = [&](mlir::ShapedType operand) {
    llvm::SmallVector<int64_t, 8> strides(rank, 0);
    llvm::ArrayRef<int64_t> dims = operand.getShape();
    int64_t stride = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      size_t axis = rank - 1 - i, dim = dims.size() - 1 - i;
      strides[axis] = dims[dim] == 1 ? 0 : stride;
      stride *= dims[dim];
    }
    return strides;
  };
  auto lhsStrides = broadcastStrides(lhs.getType().cast<mlir::ShapedType>());
  auto rhsStrides = broadcastStrides(rhs.getType().cast<mlir::ShapedType>());
  std::vector<float> result(resultType.getNumElements());
  llvm::SmallVector<int64_t, 8> index(rank, 0);
  for (float& out : result) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < rank; ++d) {
      ia += index[d] * lhsStrides[d];
      ib += index[d] * rhsStrides[d];
    }
    float x = (*a)[ia], y = (*b)[ib];
    switch (kind) {
      case BinaryKind::Add: out = x + y; break;
      case BinaryKind::Sub: out = x - y; break;
      case BinaryKind::Mul: out = x * y; break;
      case BinaryKind::Div: out = x / y; break;
    }
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return makeFloatConstant(resultType, result);
}

bool isSplatOf(mlir::Attribute attr, float value) {
  auto dense = attr.dyn_cast_or_null<mlir::DenseFPElementsAttr>();
  if (!dense || !dense.getElementType().isF32()) return false;
  if (!dense.isSplat() && dense.getNumElements() != 1) return false;
  return dense.getSplatValue<float>() == value;
}

}  // namespace llmopt
