//===- ArtifactWriter.h - llmopt dialect → .llmo artifact -----------------===//
#ifndef LLMOPT_BACKENDS_ARTIFACT_ARTIFACTWRITER_H
#define LLMOPT_BACKENDS_ARTIFACT_ARTIFACTWRITER_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace llmopt {

struct ArtifactStats {
  uint64_t fileBytes = 0;
  uint64_t planBytes = 0;
  uint64_t weightBytes = 0;
  size_t numOps = 0;
  size_t numTensors = 0;
  size_t numSlots = 0;
};

/// The GPU code of a `--target cuda` artifact (backends/cuda): a fatbin with the kernels of the
/// plan this module lowers to (op i runs kernel llmopt_k<opKernels[i]>), and the architectures
/// it holds code for.
struct CudaCode {
  std::vector<std::string> archs;  // "sm_80", ...
  std::vector<char> image;
  std::vector<uint32_t> opKernels;
};

/// Lowers @main to a plan for the runtime (kernel per op, packed weights, arena slots, symbolic
/// shapes) and writes the artifact to `path` atomically: a "cpu" artifact, or with `cuda` a
/// "cuda" one, the same plan with that code in its weights blob. The same module always gives the
/// same plan. Errors are emitted as diagnostics (at the op when there is one).
mlir::LogicalResult writeArtifact(mlir::ModuleOp module, const std::string& path,
                                  ArtifactStats* stats = nullptr, const CudaCode* cuda = nullptr);

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_ARTIFACT_ARTIFACTWRITER_H
