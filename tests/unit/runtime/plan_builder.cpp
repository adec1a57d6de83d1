#include "plan_builder.h"

#include <algorithm>
#include <cstring>

#include "format/artifact_container.h"

namespace llmopt::testing {

DimSpec dimOf(int64_t value) { return DimSpec{value, 1, {}}; }

DimSpec dimOfSymbol(uint32_t symbol, int64_t num, int64_t den) {
  return DimSpec{num, den, {symbol}};
}

uint32_t PlanBuilder::symbol(const std::string& name) {
  symbols.push_back(name);
  return static_cast<uint32_t>(symbols.size() - 1);
}

uint32_t PlanBuilder::addTensor(TensorSpec spec) {
  tensors.push_back(std::move(spec));
  return static_cast<uint32_t>(tensors.size() - 1);
}

uint32_t PlanBuilder::input(const std::string& name, std::vector<DimSpec> shape,
                            plan::DType dtype) {
  return addTensor({name, dtype, std::move(shape), plan::TensorKind::Input, 0, 0, -1});
}

uint32_t PlanBuilder::constant(const std::string& name, std::vector<int64_t> shape,
                               const std::vector<float>& data) {
  const uint64_t offset = (weights.size() + 63) / 64 * 64;
  const uint64_t bytes = data.size() * sizeof(float);
  weights.resize(offset + bytes, 0);
  if (bytes) std::memcpy(weights.data() + offset, data.data(), bytes);
  std::vector<DimSpec> dims;
  for (int64_t d : shape) dims.push_back(dimOf(d));
  return addTensor(
      {name, plan::DType::F32, std::move(dims), plan::TensorKind::Constant, offset, bytes, -1});
}

uint32_t PlanBuilder::intermediate(const std::string& name, std::vector<DimSpec> shape,
                                   int32_t slot, plan::DType dtype) {
  return addTensor({name, dtype, std::move(shape), plan::TensorKind::Intermediate, 0, 0, slot});
}

uint32_t PlanBuilder::output(const std::string& name, std::vector<DimSpec> shape, int32_t slot,
                             plan::DType dtype) {
  return addTensor({name, dtype, std::move(shape), plan::TensorKind::Output, 0, 0, slot});
}

void PlanBuilder::binary(const std::string& name, plan::BinaryKind kind, uint32_t a, uint32_t b,
                         uint32_t y) {
  OpSpec op;
  op.name = name;
  op.params_type = plan::OpParams::BinaryParams;
  op.kind = static_cast<int>(kind);
  op.inputs = {a, b};
  op.outputs = {y};
  ops.push_back(op);
}

void PlanBuilder::unary(const std::string& name, plan::UnaryKind kind, uint32_t x, uint32_t y) {
  OpSpec op;
  op.name = name;
  op.params_type = plan::OpParams::UnaryParams;
  op.kind = static_cast<int>(kind);
  op.inputs = {x};
  op.outputs = {y};
  ops.push_back(op);
}

void PlanBuilder::linear(const std::string& name, plan::WeightLayout layout, int64_t n,
                         int64_t k, uint32_t x, uint32_t w, int64_t bias, uint32_t y) {
  OpSpec op;
  op.name = name;
  op.params_type = plan::OpParams::LinearParams;
  op.kind = static_cast<int>(layout);
  op.n = n;
  op.k = k;
  op.has_bias = bias >= 0;
  op.inputs = {x, w};
  if (bias >= 0) op.inputs.push_back(static_cast<uint32_t>(bias));
  op.outputs = {y};
  ops.push_back(op);
}

void PlanBuilder::matmul(const std::string& name, uint32_t a, uint32_t b, uint32_t y) {
  OpSpec op;
  op.name = name;
  op.params_type = plan::OpParams::MatMulParams;
  op.inputs = {a, b};
  op.outputs = {y};
  ops.push_back(op);
}

void PlanBuilder::softmax(const std::string& name, int32_t axis, uint32_t x, uint32_t y) {
  OpSpec op;
  op.name = name;
  op.params_type = plan::OpParams::SoftmaxParams;
  op.axis = axis;
  op.inputs = {x};
  op.outputs = {y};
  ops.push_back(op);
}

void PlanBuilder::transpose(const std::string& name, std::vector<int32_t> perm, uint32_t x,
                            uint32_t y) {
  OpSpec op;
  op.name = name;
  op.params_type = plan::OpParams::TransposeParams;
  op.perm = std::move(perm);
  op.inputs = {x};
  op.outputs = {y};
  ops.push_back(op);
}

void PlanBuilder::copy(const std::string& name, uint32_t x, uint32_t y) {
  OpSpec op;
  op.name = name;
  op.params_type = plan::OpParams::CopyParams;
  op.inputs = {x};
  op.outputs = {y};
  ops.push_back(op);
}

namespace {

flatbuffers::Offset<void> buildParams(flatbuffers::FlatBufferBuilder& fbb, const OpSpec& op) {
  using P = plan::OpParams;
  switch (op.params_type) {
    case P::BinaryParams:
      return plan::CreateBinaryParams(fbb, static_cast<plan::BinaryKind>(op.kind)).Union();
    case P::UnaryParams:
      return plan::CreateUnaryParams(fbb, static_cast<plan::UnaryKind>(op.kind)).Union();
    case P::LinearParams:
      return plan::CreateLinearParams(fbb, static_cast<plan::WeightLayout>(op.kind), op.n, op.k,
                                      op.has_bias)
          .Union();
    case P::MatMulParams: return plan::CreateMatMulParams(fbb).Union();
    case P::SoftmaxParams: return plan::CreateSoftmaxParams(fbb, op.axis).Union();
    case P::TransposeParams: return plan::CreateTransposeParamsDirect(fbb, &op.perm).Union();
    case P::CopyParams: return plan::CreateCopyParams(fbb).Union();
    default: return 0;
  }
}

}  // namespace

std::vector<uint8_t> PlanBuilder::planBytes() const {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<plan::Symbol>> symbol_offsets;
  for (const std::string& s : symbols)
    symbol_offsets.push_back(plan::CreateSymbolDirect(fbb, s.c_str()));

  std::vector<flatbuffers::Offset<plan::Tensor>> tensor_offsets;
  std::vector<uint32_t> default_inputs, default_outputs;
  int64_t max_slot = -1;
  for (uint32_t i = 0; i < tensors.size(); ++i) {
    const TensorSpec& t = tensors[i];
    std::vector<flatbuffers::Offset<plan::Dim>> dims;
    for (const DimSpec& d : t.shape) dims.push_back(plan::CreateDimDirect(fbb, d.num, d.den, &d.syms));
    tensor_offsets.push_back(plan::CreateTensorDirect(fbb, t.name.c_str(), t.dtype, &dims, t.kind,
                                                      t.weight_offset, t.weight_bytes, t.slot));
    if (t.kind == plan::TensorKind::Input) default_inputs.push_back(i);
    if (t.kind == plan::TensorKind::Output) default_outputs.push_back(i);
    max_slot = std::max<int64_t>(max_slot, t.slot);
  }

  std::vector<flatbuffers::Offset<plan::Op>> op_offsets;
  for (const OpSpec& op : ops) {
    auto params = buildParams(fbb, op);
    op_offsets.push_back(plan::CreateOpDirect(fbb, op.name.c_str(), &op.inputs, &op.outputs,
                                              op.params_type, params));
  }

  const auto& plan_inputs = inputs.empty() ? default_inputs : inputs;
  const auto& plan_outputs = outputs.empty() ? default_outputs : outputs;
  const uint32_t slots = static_cast<uint32_t>(num_slots >= 0 ? num_slots : max_slot + 1);
  auto root = plan::CreatePlanDirect(fbb, producer.c_str(), target.c_str(), &symbol_offsets,
                                     &tensor_offsets, &plan_inputs, &plan_outputs, &op_offsets,
                                     slots);
  plan::FinishPlanBuffer(fbb, root);
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

std::vector<uint8_t> PlanBuilder::build() const {
  const std::vector<uint8_t> plan = planBytes();
  return artifact::packArtifact(artifact::Target::Cpu, plan.data(), plan.size(), weights.data(),
                                weights.size());
}

std::vector<float> packN16(const std::vector<float>& w_kn, int64_t k, int64_t n) {
  const int64_t panels = (n + 15) / 16;
  std::vector<float> packed(panels * k * 16, 0.0f);
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t r = 0; r < k; ++r)
      for (int64_t j = 0; j < 16 && p * 16 + j < n; ++j)
        packed[(p * k + r) * 16 + j] = w_kn[r * n + p * 16 + j];
  return packed;
}

}  // namespace llmopt::testing
