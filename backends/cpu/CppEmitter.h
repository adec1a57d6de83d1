//===- CppEmitter.h - an artifact's plan as standalone C++ ----------------===//
//
// `llmopt compile --emit cpp`: the plan of a compiled artifact, for one set of input shapes, as
// a C++ source and header that run it without the artifact, its loader or an arena: the ops as
// one call each into the runtime's kernels (executeOp) with their parameters, shapes fixed, every
// intermediate tensor at an offset in one workspace whose size is a constant, the constants at
// offsets in a weights blob (written beside the source, or embedded in it).
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_BACKENDS_CPU_CPPEMITTER_H
#define LLMOPT_BACKENDS_CPU_CPPEMITTER_H

#include <cstdint>
#include <string>
#include <vector>

namespace llmopt {

struct CppEmitOptions {
  std::string artifactPath;  // the compiled model
  std::string sourceName;    // what it was compiled from, for the generated comments
  // Per model input, in order: the dims it is emitted for (static inputs: their own dims).
  std::vector<std::vector<int64_t>> inputDims;
  // Writes base.h and base.cpp, and base.weights, or with embedWeights base_weights.cpp. The
  // code's namespace is base's file name made an identifier.
  std::string outputBase;
  bool embedWeights = false;
};

struct CppEmitStats {
  size_t numOps = 0;
  uint64_t workspaceBytes = 0;
  uint64_t weightBytes = 0;
  std::vector<std::string> files;  // written, in order
};

/// Writes the files (each whole or not at all). False with a one-line `error` when the artifact
/// does not load, the shapes do not fit it, or a file cannot be written.
bool emitCpp(const CppEmitOptions& options, CppEmitStats* stats, std::string& error);

/// The C++ identifier the code for `outputBase` lives in: its file name, [A-Za-z0-9_] kept and
/// everything else '_', prefixed with "model_" when it would start with a digit.
std::string cppNamespaceFor(const std::string& outputBase);

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_CPU_CPPEMITTER_H
