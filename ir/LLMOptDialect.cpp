//===- LLMOptDialect.cpp - the llmopt dialect -----------------------------===//
#include "ir/LLMOptDialect.h"

#include "ir/LLMOptOps.h"

using namespace mlir;
using namespace llmopt;

#include "ir/LLMOptDialect.cpp.inc"

void LLMOptDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/LLMOptOps.cpp.inc"
      >();
}

Operation* LLMOptDialect::materializeConstant(OpBuilder& builder, Attribute value, Type type,
                                              Location loc) {
  auto elements = value.dyn_cast<ElementsAttr>();
  if (!elements || elements.getType() != type) return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}
