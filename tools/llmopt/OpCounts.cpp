//===- OpCounts.cpp - how many ops of each kind, before and after the pipeline ===//
#include "tools/llmopt/OpCounts.h"

#include "llvm/ADT/StringRef.h"

namespace llmopt {
namespace {

bool counted(llvm::StringRef name) {
  return name != "builtin.module" && name != "func.func" && name != "func.return" &&
         name != "llmopt.constant";
}

int64_t total(const OpCounts& counts) {
  int64_t sum = 0;
  for (const auto& [name, count] : counts) sum += count;
  return sum;
}

int64_t countOf(const OpCounts& counts, const std::string& name) {
  auto it = counts.find(name);
  return it == counts.end() ? 0 : it->second;
}

llvm::json::Object toJson(const OpCounts& counts) {
  llvm::json::Object object;
  for (const auto& [name, count] : counts) object[name] = count;
  return object;
}

}  // namespace

OpCounts countOps(mlir::ModuleOp module) {
  OpCounts counts;
  module.walk([&](mlir::Operation* op) {
    llvm::StringRef name = op->getName().getStringRef();
    if (counted(name)) ++counts[name.str()];
  });
  return counts;
}

std::string formatOpCountChange(const OpCounts& before, const OpCounts& after) {
  // By the name shown, so that kinds of other dialects sort in among llmopt's.
  std::map<std::string, std::string> shown;
  for (const OpCounts* counts : {&before, &after})
    for (const auto& entry : *counts) {
      llvm::StringRef name(entry.first);
      name.consume_front("llmopt.");
      shown[name.str()] = entry.first;
    }
  std::string changes;
  for (const auto& [label, name] : shown) {
    int64_t from = countOf(before, name), to = countOf(after, name);
    if (from == to) continue;
    changes += (changes.empty() ? "" : ", ") + label + " " + std::to_string(from) + " → " + std::to_string(to);
  }
  return "ops: " + std::to_string(total(before)) + " → " + std::to_string(total(after)) +
         " after the pipeline (" + (changes.empty() ? "no change" : changes) + ")";
}

llvm::json::Object opCountsJson(const OpCounts& before, const OpCounts& after) {
  return llvm::json::Object{{"before", toJson(before)}, {"after", toJson(after)}};
}

}  // namespace llmopt
