//===- ArtifactWriter.h - llmopt dialect → .llmo artifact -----------------===//
#ifndef LLMOPT_BACKENDS_ARTIFACT_ARTIFACTWRITER_H
#define LLMOPT_BACKENDS_ARTIFACT_ARTIFACTWRITER_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace llmopt {

struct ArtifactStats {
  uint64_t fileBytes = 0;
  uint64_t planBytes = 0;
  uint64_t weightBytes = 0;
  size_t numOps = 0;
  size_t numTensors = 0;
  size_t numSlots = 0;
};

/// Lowers @main to a plan for the CPU runtime (kernel per op, packed weights, arena slots,
/// symbolic shapes) and writes the artifact to `path` atomically. The same module always gives
/// the same bytes. Errors are emitted as diagnostics (at the op when there is one).
mlir::LogicalResult writeArtifact(mlir::ModuleOp module, const std::string& path,
                                  ArtifactStats* stats = nullptr);

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_ARTIFACT_ARTIFACTWRITER_H
