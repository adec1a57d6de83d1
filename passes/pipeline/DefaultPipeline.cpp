//===- DefaultPipeline.cpp - the pipeline of a plain `llmopt compile` -----===//
#include "passes/Passes.h"

#include "mlir/Transforms/Passes.h"

namespace llmopt {

llvm::ArrayRef<llvm::StringRef> fusionNames() {
  static const llvm::StringRef names[] = {"gelu-erf", "gelu-tanh", "silu", "attention", "rms-norm"};
  return names;
}

std::string defaultPipeline(llvm::ArrayRef<std::string> disabledFusions) {
  auto disabled = [&](llvm::StringRef name) {
    return llvm::is_contained(disabledFusions, name.str());
  };
  std::string activations = "llmopt-fuse-activations";
  std::string off;
  for (llvm::StringRef name : {"gelu-erf", "gelu-tanh", "silu"})
    if (disabled(name)) off += (off.empty() ? "" : ",") + name.str();
  if (!off.empty()) activations += "{disable=" + off + "}";
  std::string text = "func.func(canonicalize, llmopt-recognize-linear, " + activations + ", ";
  if (!disabled("attention")) text += "llmopt-fuse-attention, ";
  if (!disabled("rms-norm")) text += "llmopt-fuse-norms, ";
  return text + "canonicalize, cse)";
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
