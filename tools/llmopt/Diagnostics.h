//===- Diagnostics.h - MLIR diagnostics as one clear line each ------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_DIAGNOSTICS_H
#define LLMOPT_TOOLS_LLMOPT_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"

namespace llmopt {

/// Prints errors and warnings as "error: node 'fc1' (Gemm): ..." on stderr: the ONNX node
/// (from the op's NameLoc) instead of an MLIR location, which means nothing to a user.
class CliDiagnostics {
 public:
  explicit CliDiagnostics(mlir::MLIRContext& context);
  int errorCount() const { return errors; }

 private:
  mlir::ScopedDiagnosticHandler handler;
  int errors = 0;
};

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_DIAGNOSTICS_H
