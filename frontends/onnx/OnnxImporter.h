//===- OnnxImporter.h - ONNX model → llmopt dialect -----------------------===//
//
// Imports an ONNX model (binary `.onnx`, with external data files, or ONNX text `.onnxtxt`) into
// a module with one `func.func @main` of llmopt ops. Weights stay where they are (the protobuf's
// bytes or the mmapped external data file): `ImportedModel` owns them, so keep it alive as long
// as the module. Problems are reported as MLIR diagnostics on the context, located at the ONNX
// node (a NameLoc with the node name).
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_FRONTENDS_ONNX_ONNXIMPORTER_H
#define LLMOPT_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LogicalResult.h"

#include <memory>
#include <string>

namespace llmopt {

struct ImportedModel {
  /// The loaded model and mapped external data the module's weights point into (declared first
  /// so that it outlives the module).
  std::shared_ptr<void> storage;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

struct ImportOptions {
  /// Run onnx::checker on the model first (on by default; off only for fuzzing the importer).
  bool runChecker = true;
};

/// `path` ending in .onnxtxt or .onnxtext is parsed as ONNX text, anything else as binary.
mlir::FailureOr<ImportedModel> importOnnxFile(mlir::MLIRContext& context, const std::string& path,
                                              const ImportOptions& options = {});

/// Imports a binary model held in memory (no external data). `name` is used in diagnostics.
mlir::FailureOr<ImportedModel> importOnnxBytes(mlir::MLIRContext& context, const void* data,
                                               size_t size, const std::string& name,
                                               const ImportOptions& options = {});

}  // namespace llmopt

#endif  // LLMOPT_FRONTENDS_ONNX_ONNXIMPORTER_H
