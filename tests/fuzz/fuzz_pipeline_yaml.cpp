//===- fuzz_pipeline_yaml.cpp - fuzz the YAML pipeline loader --------------===//
//
// Bytes → llmopt::loadPipelineText. A refused file must say where and why; an accepted one must
// give a pass pipeline whose textual form (what `llmopt-opt --pass-pipeline` takes) parses back
// to the same pipeline: the README promises that YAML and the command line never diverge.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/pipeline/PipelineConfig.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::string textualPipeline(mlir::OpPassManager& pm) {
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  return os.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  llmopt::registerAllPipelinePasses();
  const std::string text(reinterpret_cast<const char*>(data), size);
  mlir::OpPassManager pm("builtin.module", mlir::OpPassManager::Nesting::Implicit);
  llmopt::PipelineError error;
  if (!llmopt::loadPipelineText(text, "fuzz.yaml", pm, error)) {
    if (error.message.empty() || error.file != "fuzz.yaml" || error.line < 0 || error.column < 0) {
      std::fprintf(stderr, "fuzz_pipeline_yaml: bad error: %s\n", error.format().c_str());
      std::abort();
    }
    return 0;
  }
  // The textual form is anchored ("builtin.module(...)"): parse it back as a whole pipeline.
  const std::string printed = textualPipeline(pm);
  std::string parseErrors;
  llvm::raw_string_ostream errorStream(parseErrors);
  mlir::FailureOr<mlir::OpPassManager> reparsed = mlir::parsePassPipeline(printed, errorStream);
  const std::string reprinted = mlir::succeeded(reparsed) ? textualPipeline(*reparsed) : "";
  if (reprinted != printed) {
    std::fprintf(stderr,
                 "fuzz_pipeline_yaml: the loaded pipeline does not round-trip\n  printed: %s\n"
                 "  reparsed: %s\n  errors: %s\n",
                 printed.c_str(), reprinted.c_str(), errorStream.str().c_str());
    std::abort();
  }
  return 0;
}
