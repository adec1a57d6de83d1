//===- DefaultPipeline.cpp - the pipeline of a plain `llmopt compile` -----===//
#include "passes/Passes.h"

#include "mlir/Transforms/Passes.h"

namespace llmopt {

llvm::StringRef defaultPipeline() {
  return "func.func(canonicalize, llmopt-recognize-linear, llmopt-fuse-activations, canonicalize, cse)";
}

void registerAllPipelinePasses() {
  static bool registered = [] {
    registerLLMOptPasses();
    mlir::registerCanonicalizerPass();
    mlir::registerCSEPass();
    return true;
  }();
  (void)registered;
}

}  // namespace llmopt
