//===- DefaultPipeline.cpp - the pipeline of a plain `llmopt compile` -----===//
#include "passes/Passes.h"

#include "mlir/Transforms/Passes.h"

namespace llmopt {

llvm::ArrayRef<llvm::StringRef> fusionNames() {
  static const llvm::StringRef names[] = {"gelu-erf",   "gelu-tanh",           "silu",
                                          "attention",  "rms-norm",            "layer-norm",
                                          "epilogue-activation", "epilogue-residual"};
  return names;
}

std::string defaultPipeline(llvm::ArrayRef<std::string> disabledFusions) {
  auto disabled = [&](llvm::StringRef name) {
    return llvm::is_contained(disabledFusions, name.str());
  };
  // `pass`, with `{disable=a,b}` for those of its patterns that are disabled.
  auto withDisabled = [&](std::string pass, std::initializer_list<llvm::StringRef> names) {
    std::string off;
    for (llvm::StringRef name : names)
      if (disabled(name)) off += (off.empty() ? "" : ",") + name.str();
    return off.empty() ? pass : pass + "{disable=" + off + "}";
  };
  std::string text = "func.func(canonicalize, llmopt-recognize-linear, " +
                     withDisabled("llmopt-fuse-activations", {"gelu-erf", "gelu-tanh", "silu"}) +
                     ", ";
  if (!disabled("attention")) text += "llmopt-fuse-attention, ";
  text += withDisabled("llmopt-fuse-norms", {"rms-norm", "layer-norm"}) + ", ";
  // Last: the activations and residual adds it folds must have been recognised first.
  if (!disabled("epilogue-activation") || !disabled("epilogue-residual")) {
    std::string off;
    if (disabled("epilogue-activation")) off = "{disable=activation}";
    if (disabled("epilogue-residual")) off = "{disable=residual}";
    text += "llmopt-fuse-epilogues" + off + ", ";
  }
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
