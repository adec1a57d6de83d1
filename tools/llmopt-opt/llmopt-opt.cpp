//===- llmopt-opt.cpp - mlir-opt with llmopt's dialect and passes ---------===//
//
//   llmopt-opt in.mlir --llmopt-recognize-linear
//   llmopt-opt in.mlir --pass-pipeline='builtin.module(func.func(llmopt-recognize-linear))'
//
//===----------------------------------------------------------------------===//
#include "ir/LLMOptDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char** argv) {
  llmopt::registerAllPipelinePasses();
  mlir::DialectRegistry registry;
  registry.insert<llmopt::LLMOptDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "llmopt pass driver\n", registry));
}
