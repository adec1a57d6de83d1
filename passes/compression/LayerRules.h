//===- LayerRules.h - which precision each layer gets ---------------------===//
//
// The per-layer choices of llmopt-quantize: a default mode, then `SELECTOR=MODE` rules in
// order (the last match wins), then keep-fp32 globs. A selector is a glob over the layer name,
// `op:linear` / `op:gather`, or `lm-head`.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_PASSES_COMPRESSION_LAYERRULES_H
#define LLMOPT_PASSES_COMPRESSION_LAYERRULES_H

#include "ir/QuantModes.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/GlobPattern.h"

#include <optional>
#include <string>
#include <vector>

namespace llmopt {

/// A layer as the rules see it.
struct LayerInfo {
  std::string name;    // the ONNX node name
  std::string opKind;  // "linear" or "gather"
  bool isLmHead = false;
};

class LayerRules {
 public:
  /// Parses the options; on a bad mode, rule or glob returns nothing and sets `error`.
  static std::optional<LayerRules> parse(llvm::StringRef mode, llvm::ArrayRef<std::string> rules,
                                         llvm::ArrayRef<std::string> keepFp32,
                                         llvm::StringRef lmHead, std::string& error);

  /// The precision of `layer`; nothing means fp32 (left alone).
  std::optional<QuantMode> modeFor(const LayerInfo& layer) const;

 private:
  struct Rule {
    enum class Kind { Glob, OpKind, LmHead } kind;
    std::optional<llvm::GlobPattern> glob;
    std::string opKind;
    std::optional<QuantMode> mode;  // nothing: fp32
  };

  bool matches(const Rule& rule, const LayerInfo& layer) const;

  std::optional<QuantMode> defaultMode;
  std::optional<QuantMode> lmHeadMode;
  std::vector<Rule> rules;
};

/// `GLOB=VALUE` rules over layer names, the last match winning: llmopt-prune's per-block
/// fractions, llmopt-lowrank's per-layer ratios or energies.
class GlobValueRules {
 public:
  /// Parses `rules`; a value must satisfy `inRange`. On a bad rule returns nothing and sets
  /// `error` ("rule 'R' must be GLOB=<valueSyntax>", or the glob's own error).
  static std::optional<GlobValueRules> parse(llvm::ArrayRef<std::string> rules,
                                             llvm::function_ref<bool(double)> inRange,
                                             llvm::StringRef valueSyntax, std::string& error);

  /// The value of the last rule matching `name`, else `fallback`.
  double valueFor(llvm::StringRef name, double fallback) const;

 private:
  std::vector<std::pair<llvm::GlobPattern, double>> rules;
};

}  // namespace llmopt

#endif  // LLMOPT_PASSES_COMPRESSION_LAYERRULES_H
