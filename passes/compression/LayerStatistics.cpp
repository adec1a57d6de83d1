//===- LayerStatistics.cpp - calibration statistics passes keep consistent ===//
#include "passes/compression/LayerStatistics.h"

#include "ir/LLMOptDialect.h"
#include "passes/compression/LinearWeights.h"

#include "mlir/IR/BuiltinTypes.h"

#include <vector>

using namespace mlir;

namespace llmopt {
namespace {

DenseFPElementsAttr sized(const NamedAttrList& list, StringRef layer, int64_t elements) {
  auto dense = list.get(layer).dyn_cast_or_null<DenseFPElementsAttr>();
  return dense && dense.getNumElements() == elements ? dense : nullptr;
}

DenseElementsAttr floats(MLIRContext* context, ArrayRef<int64_t> shape, ArrayRef<float> values) {
  return DenseElementsAttr::get(RankedTensorType::get(shape, Float32Type::get(context)), values);
}

}  // namespace

LayerStatistics::LayerStatistics(ModuleOp module)
    : absMax(readModuleDictionary(module, kCalibrationAttr)),
      rmsValues(readModuleDictionary(module, kCalibrationRmsAttr)),
      gramValues(readModuleDictionary(module, kCalibrationGramAttr)) {}

void LayerStatistics::write(ModuleOp module) const {
  writeModuleDictionary(module, kCalibrationAttr, absMax);
  writeModuleDictionary(module, kCalibrationRmsAttr, rmsValues);
  writeModuleDictionary(module, kCalibrationGramAttr, gramValues);
}

DenseFPElementsAttr LayerStatistics::rms(StringRef layer, int64_t k) const {
  return sized(rmsValues, layer, k);
}

DenseFPElementsAttr LayerStatistics::gram(StringRef layer, int64_t k) const {
  return sized(gramValues, layer, k * k);
}

void LayerStatistics::keepChannels(StringRef layer, int64_t k, ArrayRef<int64_t> channels) {
  const int64_t kept = static_cast<int64_t>(channels.size());
  for (NamedAttrList* list : {&absMax, &rmsValues}) {
    DenseFPElementsAttr dense = sized(*list, layer, k);
    if (!dense) continue;
    std::vector<float> all(dense.getValues<float>().begin(), dense.getValues<float>().end());
    std::vector<float> narrow;
    for (int64_t c : channels) narrow.push_back(all[c]);
    list->set(layer, floats(dense.getContext(), {kept}, narrow));
  }
  if (DenseFPElementsAttr dense = gram(layer, k)) {
    std::vector<float> all(dense.getValues<float>().begin(), dense.getValues<float>().end());
    std::vector<float> narrow;
    narrow.reserve(kept * kept);
    for (int64_t i : channels)
      for (int64_t j : channels) narrow.push_back(all[i * k + j]);
    gramValues.set(layer, floats(dense.getContext(), {kept, kept}, narrow));
  }
}

void LayerStatistics::copy(StringRef from, StringRef to) {
  for (NamedAttrList* list : {&absMax, &rmsValues, &gramValues})
    if (Attribute attr = list->get(from)) list->set(to, attr);
}

}  // namespace llmopt
