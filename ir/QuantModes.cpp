//===- QuantModes.cpp - the precisions llmopt stores weights in -----------===//
#include "ir/QuantModes.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSwitch.h"

namespace llmopt {

llvm::StringRef quantModeName(QuantMode mode) {
  switch (mode) {
    case QuantMode::Int8: return "int8";
    case QuantMode::Int8Weight: return "int8-weight";
    case QuantMode::Int4: return "int4";
    case QuantMode::F16: return "fp16";
    case QuantMode::BF16: return "bf16";
  }
  return "?";
}

std::optional<QuantMode> parseQuantMode(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<QuantMode>>(name)
      .Case("int8", QuantMode::Int8)
      .Case("int8-weight", QuantMode::Int8Weight)
      .Case("int4", QuantMode::Int4)
      .Case("fp16", QuantMode::F16)
      .Case("bf16", QuantMode::BF16)
      .Default(std::nullopt);
}

llvm::StringRef quantModeList() { return "int8, int8-weight, int4, fp16, bf16"; }

mlir::Type quantWeightElementType(QuantMode mode, mlir::MLIRContext* context) {
  switch (mode) {
    case QuantMode::Int8:
    case QuantMode::Int8Weight: return mlir::IntegerType::get(context, 8);
    case QuantMode::Int4:
      return mlir::IntegerType::get(context, 4, mlir::IntegerType::Unsigned);
    case QuantMode::F16: return mlir::FloatType::getF16(context);
    case QuantMode::BF16: return mlir::FloatType::getBF16(context);
  }
  return {};
}

int quantWeightBits(QuantMode mode) {
  switch (mode) {
    case QuantMode::Int8:
    case QuantMode::Int8Weight: return 8;
    case QuantMode::Int4: return 4;
    case QuantMode::F16:
    case QuantMode::BF16: return 16;
  }
  return 32;
}

}  // namespace llmopt
