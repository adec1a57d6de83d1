//===- PipelineConfig.h - YAML pass pipelines -----------------------------===//
//
// A pipeline file names passes and their options:
//
//   passes:
//     - canonicalize
//     - name: llmopt-recognize-linear
//       options:
//         fold-bias: true
//
// It is turned into an MLIR pass pipeline: each pass is looked up in MLIR's pass registry and
// configured through its own pass options, so YAML, `llmopt-opt` and the CLI share one set.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_PASSES_PIPELINE_PIPELINECONFIG_H
#define LLMOPT_PASSES_PIPELINE_PIPELINECONFIG_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace llmopt {

/// An error in a pipeline file, at a 1-based line and column (0 when it concerns the file).
struct PipelineError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  /// "file:line:col: error: message"
  std::string format() const;
};

/// Why `value` (one scalar, or one item of a list) cannot be passed in a pass option's text, or
/// an empty string when it can. MLIR 16's option lexer reads braces, brackets and quotes as
/// nesting (an unbalanced one makes it loop or crash), spaces as the end of the option and commas
/// as list separators, so values holding any of them are refused before they reach it.
std::string unsafeOptionValue(const std::string& value);

/// Parses `path` and adds its passes to `pm` (anchored on builtin.module, implicit nesting).
/// Returns false and fills `error` on the first problem.
bool loadPipelineFile(const std::string& path, mlir::OpPassManager& pm, PipelineError& error);
/// The same for YAML text; `file` names it in errors.
bool loadPipelineText(const std::string& text, const std::string& file, mlir::OpPassManager& pm,
                      PipelineError& error);

}  // namespace llmopt

#endif  // LLMOPT_PASSES_PIPELINE_PIPELINECONFIG_H
