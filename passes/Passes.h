//===- Passes.h - llmopt passes -------------------------------------------===//
#ifndef LLMOPT_PASSES_PASSES_H
#define LLMOPT_PASSES_PASSES_H

#include "ir/LLMOptDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <string>

namespace llmopt {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// The fusions the default pipeline runs, by the names `--disable-fusion` takes.
llvm::ArrayRef<llvm::StringRef> fusionNames();

/// The pipeline `llmopt compile` runs when no --config is given, without the fusions named in
/// `disabledFusions` (names from fusionNames()): MLIR textual pipeline syntax, nested under
/// builtin.module (as `parsePassPipeline(text, modulePassManager)` takes it).
std::string defaultPipeline(llvm::ArrayRef<std::string> disabledFusions = {});

/// The packing `llmopt compile` runs after the default pipeline and after --quant (so that
/// quantization rules and its report still see separate layers), without the packings named in
/// `disabledFusions` (packed-qkv, packed-gate-up); empty when both are disabled.
std::string packingPipeline(llvm::ArrayRef<std::string> disabledFusions = {});

/// Every pass a pipeline may name: llmopt's own plus the MLIR passes we document (canonicalize,
/// cse). Call once per process before parsing pipelines.
void registerAllPipelinePasses();

}  // namespace llmopt

#endif  // LLMOPT_PASSES_PASSES_H
