//===- OnnxImporter.cpp - ONNX model → llmopt dialect ---------------------===//
#include "frontends/onnx/OnnxImporter.h"

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/ModelLoader.h"
#include "ir/LLMOptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"

namespace llmopt {

using namespace mlir;
using onnx_import::ModelStorage;

namespace {

FailureOr<ImportedModel> importLoaded(MLIRContext& context, std::shared_ptr<ModelStorage> storage,
                                      const std::string& name, const ImportOptions& options) {
  context.loadDialect<LLMOptDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(&context, name, 0, 0);
  std::string error;
  if (options.runChecker && !onnx_import::checkModel(*storage, error)) {
    emitError(fileLoc) << error;
    return failure();
  }
  ImportedModel imported;
  imported.module = ModuleOp::create(fileLoc);
  onnx_import::GraphImporter importer(&context, *storage, name);
  if (failed(importer.importGraph(*imported.module))) return failure();
  if (failed(verify(*imported.module))) return failure();
  imported.storage = std::move(storage);
  return imported;
}

}  // namespace

FailureOr<ImportedModel> importOnnxFile(MLIRContext& context, const std::string& path,
                                        const ImportOptions& options) {
  auto storage = std::make_shared<ModelStorage>();
  std::string error;
  if (!onnx_import::loadModelFile(path, *storage, error)) {
    emitError(UnknownLoc::get(&context)) << error;  // the message names the file
    return failure();
  }
  return importLoaded(context, std::move(storage), path, options);
}

FailureOr<ImportedModel> importOnnxBytes(MLIRContext& context, const void* data, size_t size,
                                         const std::string& name, const ImportOptions& options) {
  auto storage = std::make_shared<ModelStorage>();
  std::string error;
  if (!onnx_import::loadModelBytes(data, size, *storage, error)) {
    emitError(FileLineColLoc::get(&context, name, 0, 0)) << name << " is " << error;
    return failure();
  }
  return importLoaded(context, std::move(storage), name, options);
}

}  // namespace llmopt
