//===- ModelLoader.cpp - reading ONNX files -------------------------------===//
#include "frontends/onnx/ModelLoader.h"

#include "onnx/checker.h"
#include "onnx/defs/parser.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace llmopt::onnx_import {

MappedFile::~MappedFile() {
  if (address && bytes) munmap(address, bytes);
}

bool MappedFile::open(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    error = "'" + path + "' is not a regular file";
    ::close(fd);
    return false;
  }
  bytes = static_cast<size_t>(info.st_size);
  if (bytes > 0) {
    address = mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    if (address == MAP_FAILED) {
      address = nullptr;
      error = "cannot map '" + path + "': " + std::strerror(errno);
      ::close(fd);
      return false;
    }
  }
  ::close(fd);
  return true;
}

bool ModelStorage::externalBytes(const std::string& location, uint64_t offset, uint64_t length,
                                 const char*& data, std::string& error) {
  // A model loaded from memory has no folder: "" + "/" + location would be a path from the root.
  if (directory.empty()) {
    error = "external data '" + location +
            "' needs the model's folder (the model was loaded from memory)";
    return false;
  }
  if (location.empty() || location[0] == '/' || location.find("..") != std::string::npos) {
    error = "external data location '" + location + "' must be a relative path inside the model's folder";
    return false;
  }
  auto& file = externalFiles[location];
  if (!file) {
    auto mapped = std::make_unique<MappedFile>();
    if (!mapped->open(directory + "/" + location, error)) {
      externalFiles.erase(location);
      error = "external data: " + error;
      return false;
    }
    file = std::move(mapped);
  }
  if (offset > file->size() || length > file->size() - offset) {
    error = "external data '" + location + "' has " + std::to_string(file->size()) +
            " bytes, the tensor needs [" + std::to_string(offset) + ", " +
            std::to_string(offset + length) + ")";
    return false;
  }
  data = file->data() + offset;
  return true;
}

namespace {
bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool parseBinary(const void* data, size_t size, onnx::ModelProto& model) {
  google::protobuf::io::ArrayInputStream input(data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
  google::protobuf::io::CodedInputStream coded(&input);
  coded.SetTotalBytesLimit(INT_MAX);
  return model.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
}
}  // namespace

bool loadModelBytes(const void* data, size_t size, ModelStorage& storage, std::string& error) {
  if (size > static_cast<size_t>(INT_MAX)) {
    error = "model is larger than 2 GB: store the weights as ONNX external data";
    return false;
  }
  if (!parseBinary(data, size, storage.model)) {
    error = "not a valid ONNX model (protobuf parse failed)";
    return false;
  }
  return true;
}

bool loadModelFile(const std::string& path, ModelStorage& storage, std::string& error) {
  storage.path = path;
  size_t slash = path.find_last_of('/');
  storage.directory = slash == std::string::npos ? "." : path.substr(0, slash);
  MappedFile file;
  if (!file.open(path, error)) return false;
  if (endsWith(path, ".onnxtxt") || endsWith(path, ".onnxtext")) {
    std::string text(file.data(), file.size());
    auto status = onnx::OnnxParser::Parse(storage.model, text.c_str());
    if (!status.IsOK()) {
      error = "'" + path + "': ONNX text parse error: " + status.ErrorMessage();
      return false;
    }
    return true;
  }
  if (file.size() == 0) {
    error = "'" + path + "' is empty, not an ONNX model";
    return false;
  }
  if (!loadModelBytes(file.data(), file.size(), storage, error)) {
    error = "'" + path + "' is " + error;
    return false;
  }
  return true;
}

bool checkModel(const ModelStorage& storage, std::string& error) {
  try {
    // The path form resolves external data relative to the model's folder.
    bool hasExternalData = false;
    for (const auto& tensor : storage.model.graph().initializer())
      hasExternalData |= tensor.data_location() == onnx::TensorProto::EXTERNAL;
    if (hasExternalData && !storage.path.empty())
      onnx::checker::check_model(storage.path);
    else
      onnx::checker::check_model(storage.model);
  } catch (const std::exception& e) {
    // Checker messages span lines (the node of a topological-order error is on the next line,
    // the context dump after a blank line): join them into one line rather than cut them.
    error = "ONNX checker:";
    bool space = true;
    for (const char* c = e.what(); *c; ++c) {
      if (std::isspace(static_cast<unsigned char>(*c))) {
        space = true;
        continue;
      }
      if (space) error += ' ';
      error += *c;
      space = false;
    }
    return false;
  }
  return true;
}

}  // namespace llmopt::onnx_import
