//===- DefaultPipeline.cpp - the pipeline of a plain `llmopt compile` -----===//
#include "passes/Passes.h"

#include "mlir/Transforms/Passes.h"

namespace llmopt {

llvm::ArrayRef<llvm::StringRef> fusionNames() {
  static const llvm::StringRef names[] = {"gelu-erf",   "gelu-tanh",           "silu",
                                          "attention",  "rms-norm",            "layer-norm",
                                          "epilogue-activation", "epilogue-residual",
                                          "packed-qkv", "packed-gate-up"};
  return names;
}

namespace {

/// `pass`, with `{disable=a,b}` for those of its patterns `disabledFusions` names; a pattern's
/// name in the pass is its --disable-fusion name less `prefix`.
std::string withDisabled(llvm::ArrayRef<std::string> disabledFusions, std::string pass,
                         std::initializer_list<llvm::StringRef> names,
                         llvm::StringRef prefix = "") {
  std::string off;
  for (llvm::StringRef name : names)
    if (llvm::is_contained(disabledFusions, name.str()))
      off += (off.empty() ? "" : ",") + name.drop_front(prefix.size()).str();
  return off.empty() ? pass : pass + "{disable=" + off + "}";
}

}  // namespace

std::string defaultPipeline(llvm::ArrayRef<std::string> disabledFusions) {
  auto disabled = [&](llvm::StringRef name) {
    return llvm::is_contained(disabledFusions, name.str());
  };
  auto withDisabled = [&](std::string pass, std::initializer_list<llvm::StringRef> names,
                          llvm::StringRef prefix = "") {
    return llmopt::withDisabled(disabledFusions, std::move(pass), names, prefix);
  };
  std::string text = "func.func(canonicalize, llmopt-recognize-linear, " +
                     withDisabled("llmopt-fuse-activations", {"gelu-erf", "gelu-tanh", "silu"}) +
                     ", ";
  if (!disabled("attention")) text += "llmopt-fuse-attention, ";
  text += withDisabled("llmopt-fuse-norms", {"rms-norm", "layer-norm"}) + ", ";
  // Last: the activations and residual adds it folds must have been recognised first.
  text += withDisabled("llmopt-fuse-epilogues", {"epilogue-activation", "epilogue-residual"},
                       "epilogue-") +
          ", ";
  return text + "canonicalize, cse)";
}

std::string packingPipeline(llvm::ArrayRef<std::string> disabledFusions) {
  if (llvm::is_contained(disabledFusions, "packed-qkv") &&
      llvm::is_contained(disabledFusions, "packed-gate-up"))
    return "";
  return "func.func(" +
         withDisabled(disabledFusions, "llmopt-pack-projections", {"packed-qkv", "packed-gate-up"},
                      "packed-") +
         ", canonicalize, cse)";
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
