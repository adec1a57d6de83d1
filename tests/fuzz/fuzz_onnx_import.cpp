//===- fuzz_onnx_import.cpp - fuzz the ONNX importer and the default pipeline ===//
//
// Bytes → llmopt::importOnnxBytes (with the ONNX checker, as `llmopt compile` runs it) → the
// default pass pipeline → the backend's symbolic shape inference, i.e. `llmopt compile` up to
// writing the artifact.
//
// Refusing a model is fine (diagnostics are collected, not printed). A module that imported
// and verified but that the default pipeline then fails on is a bug: the passes must keep valid
// IR valid. It aborts with the diagnostics.
//
// With LLMOPT_FUZZ_ARTIFACT_DIR set (a tmpfs such as /dev/shm: the writer fsyncs), the artifact
// is also written there (one file per process, removed after each input) and loaded by the
// runtime: the compiler must never write an artifact that the runtime refuses. Off by default
// (and in the ctest replay), as it writes files.
//
//===----------------------------------------------------------------------===//
#include "backends/artifact/ArtifactWriter.h"
#include "ir/SymbolicShapes.h"
#include "frontends/onnx/OnnxImporter.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include "llmopt/runtime.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

/// Writes the artifact to `dir` and loads it back; aborts if the runtime refuses what the
/// compiler wrote.
void writeAndLoad(mlir::ModuleOp module, const char* dir, llvm::raw_string_ostream& diagnostics) {
  const std::string path =
      std::string(dir) + "/fuzz_onnx_import-" + std::to_string(getpid()) + ".llmo";
  if (mlir::failed(llmopt::writeArtifact(module, path))) return;  // refused, with a diagnostic
  llmopt_model* model = nullptr;
  llmopt_status status = llmopt_model_load_file(path.c_str(), nullptr, &model);
  if (status != LLMOPT_OK) {
    std::fprintf(stderr, "fuzz_onnx_import: the runtime refuses the artifact: %s\n%s",
                 llmopt_last_error(), diagnostics.str().c_str());
    std::abort();
  }
  llmopt_model_free(model);
  unlink(path.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  llmopt::registerAllPipelinePasses();
  // One context per input: the importer's weight blobs belong to the context and point into
  // this input. Single-threaded: no thread pool started per input.
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  std::string diagnostics;
  llvm::raw_string_ostream diagnosticStream(diagnostics);
  mlir::ScopedDiagnosticHandler collect(&context, [&](mlir::Diagnostic& diagnostic) {
    diagnosticStream << diagnostic << "\n";
    return mlir::success();
  });

  llmopt::ImportOptions options;
  // The checker is part of the real path (its exceptions are caught by the importer), so it runs;
  // LLMOPT_FUZZ_ONNX_CHECKER=0 leaves it out, to reach what it happens to refuse today.
  static const bool runChecker = [] {
    const char* value = std::getenv("LLMOPT_FUZZ_ONNX_CHECKER");
    return !value || std::string(value) != "0";
  }();
  options.runChecker = runChecker;
  mlir::FailureOr<llmopt::ImportedModel> imported =
      llmopt::importOnnxBytes(context, data, size, "fuzz.onnx", options);
  if (mlir::failed(imported)) return 0;

  mlir::PassManager pm(&context, mlir::OpPassManager::Nesting::Implicit);
  if (mlir::failed(mlir::parsePassPipeline(llmopt::defaultPipeline(), pm))) {
    std::fprintf(stderr, "fuzz_onnx_import: the default pipeline does not parse\n");
    std::abort();
  }
  if (mlir::failed(pm.run(*imported->module))) {
    std::fprintf(stderr, "fuzz_onnx_import: the default pipeline failed on an imported module:\n%s",
                 diagnosticStream.str().c_str());
    std::abort();
  }
  auto main = imported->module->lookupSymbol<mlir::func::FuncOp>("main");
  if (!main) {
    std::fprintf(stderr, "fuzz_onnx_import: no @main after the pipeline\n");
    std::abort();
  }
  (void)llmopt::inferSymbolicShapes(main);  // may refuse a shape it cannot express
  static const char* artifactDir = std::getenv("LLMOPT_FUZZ_ARTIFACT_DIR");
  if (artifactDir && *artifactDir) writeAndLoad(*imported->module, artifactDir, diagnosticStream);
  return 0;
}
