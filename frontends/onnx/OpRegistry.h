//===- OpRegistry.h - one table of op importers ---------------------------===//
//
// Importers are keyed by (op type, since-version): the ONNX schema table says which version of
// an op a model's opset means (e.g. Softmax at opset 12 is Softmax-11), and that exact version
// must be registered. So opset differences live in one place, and a model using a version we
// have not implemented is refused by name instead of being imported with the wrong semantics.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_FRONTENDS_ONNX_OPREGISTRY_H
#define LLMOPT_FRONTENDS_ONNX_OPREGISTRY_H

#include "mlir/Support/LogicalResult.h"

#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>

namespace llmopt::onnx_import {

class NodeContext;
using OpImporter = std::function<mlir::LogicalResult(NodeContext&)>;

class OpRegistry {
 public:
  /// The registry with every importer of this build.
  static const OpRegistry& get();

  /// Registers `importer` for `opType` at each of `sinceVersions`.
  void add(const std::string& opType, std::initializer_list<int> sinceVersions, OpImporter importer);

  /// The importer for `opType` in a model of default-domain opset `opset`, or null; `why` says
  /// what is missing when there is none.
  const OpImporter* lookup(const std::string& opType, int opset, std::string& why) const;

  /// The newest default-domain opset this build's ONNX library knows. A newer model could use op
  /// versions whose semantics nobody here has seen, so it is refused.
  static int newestKnownOpset();

  /// "Add-7, Add-13, ..." (for docs and --help).
  std::string describe() const;
  /// "Softmax-1, Softmax-11, Softmax-13".
  std::string versionsOf(const std::string& opType) const;

 private:
  std::map<std::pair<std::string, int>, OpImporter> importers;
};

// One function per op family (ops/*.cpp) adds its importers.
void registerElementwiseImporters(OpRegistry& registry);
void registerLinearImporters(OpRegistry& registry);
void registerQuantizationImporters(OpRegistry& registry);
void registerSoftmaxImporters(OpRegistry& registry);
void registerShapeImporters(OpRegistry& registry);
void registerConstantImporters(OpRegistry& registry);
void registerIndexImporters(OpRegistry& registry);
void registerNormalizationImporters(OpRegistry& registry);

}  // namespace llmopt::onnx_import

#endif  // LLMOPT_FRONTENDS_ONNX_OPREGISTRY_H
