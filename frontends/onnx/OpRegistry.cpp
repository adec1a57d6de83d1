//===- OpRegistry.cpp - one table of op importers -------------------------===//
#include "frontends/onnx/OpRegistry.h"

#include "onnx/defs/schema.h"

namespace llmopt::onnx_import {

const OpRegistry& OpRegistry::get() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerElementwiseImporters(r);
    registerLinearImporters(r);
    registerQuantizationImporters(r);
    registerSoftmaxImporters(r);
    registerShapeImporters(r);
    registerConstantImporters(r);
    registerIndexImporters(r);
    registerNormalizationImporters(r);
    return r;
  }();
  return registry;
}

int OpRegistry::newestKnownOpset() {
  const auto& ranges = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = ranges.find("");
  return it == ranges.end() ? 0 : it->second.second;
}

void OpRegistry::add(const std::string& opType, std::initializer_list<int> sinceVersions,
                     OpImporter importer) {
  for (int since : sinceVersions) importers[{opType, since}] = importer;
}

const OpImporter* OpRegistry::lookup(const std::string& opType, int opset,
                                     std::string& why) const {
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(opType, opset, "");
  if (!schema) {
    why = "not an ONNX op at opset " + std::to_string(opset);
    return nullptr;
  }
  int since = schema->SinceVersion();
  auto it = importers.find({opType, since});
  if (it != importers.end()) return &it->second;
  bool anyVersion = importers.lower_bound({opType, 0}) != importers.end() &&
                    importers.lower_bound({opType, 0})->first.first == opType;
  why = anyVersion ? opType + "-" + std::to_string(since) + " (opset " + std::to_string(opset) +
                         ") is not supported; supported versions: " + versionsOf(opType)
                   : "op is not supported";
  return nullptr;
}

std::string OpRegistry::versionsOf(const std::string& opType) const {
  std::string text;
  for (auto it = importers.lower_bound({opType, 0});
       it != importers.end() && it->first.first == opType; ++it)
    text += (text.empty() ? "" : ", ") + opType + "-" + std::to_string(it->first.second);
  return text;
}

std::string OpRegistry::describe() const {
  std::string text;
  for (const auto& [key, importer] : importers)
    text += (text.empty() ? "" : ", ") + key.first + "-" + std::to_string(key.second);
  return text;
}

}  // namespace llmopt::onnx_import
