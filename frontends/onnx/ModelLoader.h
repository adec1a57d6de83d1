//===- ModelLoader.h - reading ONNX files ---------------------------------===//
#ifndef LLMOPT_FRONTENDS_ONNX_MODELLOADER_H
#define LLMOPT_FRONTENDS_ONNX_MODELLOADER_H

#include "onnx/onnx_pb.h"

#include <map>
#include <memory>
#include <string>

namespace llmopt::onnx_import {

/// A read-only memory map of a whole file.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
  /// Maps `path`; on failure returns false and says why in `error`.
  bool open(const std::string& path, std::string& error);
  const char* data() const { return static_cast<const char*>(address); }
  size_t size() const { return bytes; }

 private:
  void* address = nullptr;
  size_t bytes = 0;
};

/// Everything the imported module's weights point into; lives as long as the module.
struct ModelStorage {
  onnx::ModelProto model;
  std::string path;       // the model file ("" when loaded from memory)
  std::string directory;  // where external data locations are resolved
  std::map<std::string, std::unique_ptr<MappedFile>> externalFiles;

  /// The bytes of external data `location`[offset, offset+length), mapping the file once.
  bool externalBytes(const std::string& location, uint64_t offset, uint64_t length,
                     const char*& data, std::string& error);
};

/// Parses a binary (.onnx) or text (.onnxtxt) model file into `storage`.
bool loadModelFile(const std::string& path, ModelStorage& storage, std::string& error);
/// Parses a binary model from memory.
bool loadModelBytes(const void* data, size_t size, ModelStorage& storage, std::string& error);
/// Runs onnx::checker on the loaded model.
bool checkModel(const ModelStorage& storage, std::string& error);

}  // namespace llmopt::onnx_import

#endif  // LLMOPT_FRONTENDS_ONNX_MODELLOADER_H
