//===- OpCounts.h - how many ops of each kind, before and after the pipeline ===//
//
// `llmopt compile` counts the ops after import and after the pipeline, prints what changed (the
// fusions' effect) on stderr and writes both counts into the --report JSON.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_OPCOUNTS_H
#define LLMOPT_TOOLS_LLMOPT_OPCOUNTS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <map>
#include <string>

namespace llmopt {

/// Op name ("llmopt.linear") -> count, over every function of the module. Constants (weights),
/// returns and the functions themselves are left out: they compute nothing.
using OpCounts = std::map<std::string, int64_t>;
OpCounts countOps(mlir::ModuleOp module);

/// "ops: 149 → 97 after the pipeline (add 17 → 5, attention 0 → 2, ...)": the totals, then only
/// the kinds whose count changed, by name without the "llmopt." prefix.
std::string formatOpCountChange(const OpCounts& before, const OpCounts& after);

/// {"before": {"llmopt.add": 17, ...}, "after": {...}}.
llvm::json::Object opCountsJson(const OpCounts& before, const OpCounts& after);

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_OPCOUNTS_H
