#include "loader.h"

#include <cinttypes>
#include <cstring>
#include <string>

#include "format/artifact_container.h"
#include "llmopt/plan_generated.h"
#include "plan_import.h"
#include "symbolic_shape.h"

namespace llmopt::rt {
namespace {

static_assert(LLMOPT_FORMAT_VERSION == artifact::kFormatVersion,
              "runtime.h and artifact_format.h disagree on the format version");

Status checkHeader(Model* model) {
  std::string error;
  artifact::HeaderProblem problem;
  if (!artifact::parseHeader(model->data, model->size, &model->header, &error, &problem)) {
    const bool unsupported = problem == artifact::HeaderProblem::UnsupportedVersion ||
                             problem == artifact::HeaderProblem::UnknownTarget;
    return fail(unsupported ? LLMOPT_ERROR_UNSUPPORTED : LLMOPT_ERROR_INVALID_ARTIFACT, "%s",
                error.c_str());
  }
  return LLMOPT_OK;
}

Status checkChecksum(const Model& model) {
  const uint64_t actual = artifact::checksumOfFile(model.data, model.size);
  if (actual != model.header.checksum)
    return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
                "checksum mismatch: header says %016" PRIx64 ", contents hash to %016" PRIx64
                " (the file is corrupt or was modified)",
                model.header.checksum, actual);
  return LLMOPT_OK;
}

Status verifyPlan(const Model& model, const plan::Plan** out) {
  const uint8_t* bytes = model.data + model.header.plan_offset;
  const uint64_t size = model.header.plan_bytes;
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
                "plan is %" PRIu64 " bytes, over the FlatBuffers limit of 2 GiB", size);
  flatbuffers::Verifier verifier(bytes, static_cast<size_t>(size));
  if (!plan::VerifyPlanBuffer(verifier))
    return fail(LLMOPT_ERROR_INVALID_ARTIFACT,
                "plan fails FlatBuffers verification (corrupt, or not an llmopt plan)");
  *out = plan::GetPlan(bytes);
  return LLMOPT_OK;
}

llmopt_tensor_info describe(ModelDesc& desc, uint32_t index) {
  const TensorDesc& t = desc.tensors[index];
  llmopt_tensor_info info{};
  info.name = t.name;
  info.dtype = t.dtype;
  info.rank = t.rank;
  for (int d = 0; d < t.rank; ++d) {
    const DimExpr& dim = t.dims[d];
    if (dim.isStatic()) {
      info.dims[d] = dim.num / dim.den;
      info.dim_names[d] = nullptr;
    } else {
      info.dims[d] = -1;
      if (dim.isSymbol()) {
        info.dim_names[d] = desc.symbol_names[dim.syms[0]];
      } else {
        desc.strings.push_back(formatDim(dim, desc.symbol_names));
        info.dim_names[d] = desc.strings.back().c_str();
      }
    }
  }
  return info;
}

}  // namespace

Status loadModel(const llmopt_load_options* options, Model* model) {
  LLMOPT_TRY(checkHeader(model));
  if (!options || options->verify_checksum != 0) LLMOPT_TRY(checkChecksum(*model));
  const plan::Plan* plan;
  LLMOPT_TRY(verifyPlan(*model, &plan));
  LLMOPT_TRY(importPlan(*plan, model->data + model->header.weights_offset,
                        model->header.weights_bytes, &model->desc));
  const bool header_cuda = model->header.target == static_cast<uint32_t>(artifact::Target::Cuda);
  if (header_cuda != (std::strcmp(model->desc.target, "cuda") == 0))
    return fail(LLMOPT_ERROR_INVALID_ARTIFACT, "the header's target (%s) is not the plan's (%s)",
                header_cuda ? "cuda" : "cpu", model->desc.target);
  for (uint32_t t : model->desc.inputs) model->input_infos.push_back(describe(model->desc, t));
  for (uint32_t t : model->desc.outputs) model->output_infos.push_back(describe(model->desc, t));
  return LLMOPT_OK;
}

Status loadModelFile(const char* path, const llmopt_load_options* options, Model* model) {
  LLMOPT_TRY(model->file.open(path));  // its errors name the path
  model->data = model->file.data();
  model->size = model->file.size();
  const Status status = loadModel(options, model);
  if (status != LLMOPT_OK) prefixLastError(path);
  return status;
}

}  // namespace llmopt::rt
