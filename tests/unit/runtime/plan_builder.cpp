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

SymIntSpec symInt(int64_t offset) { return SymIntSpec{offset, false, {}}; }
SymIntSpec symInt(int64_t offset, DimSpec dim) { return SymIntSpec{offset, true, std::move(dim)}; }

uint32_t PlanBuilder::constantBytes(const std::string& name, plan::DType dtype,
                                    std::vector<int64_t> shape, const void* data, size_t bytes) {
  const uint64_t offset = (weights.size() + 63) / 64 * 64;
  weights.resize(offset + bytes, 0);
  if (bytes) std::memcpy(weights.data() + offset, data, bytes);
  std::vector<DimSpec> dims;
  for (int64_t d : shape) dims.push_back(dimOf(d));
  return addTensor({name, dtype, std::move(dims), plan::TensorKind::Constant, offset, bytes, -1});
}

uint32_t PlanBuilder::constant(const std::string& name, std::vector<int64_t> shape,
                               const std::vector<float>& data) {
  return constantBytes(name, plan::DType::F32, std::move(shape), data.data(),
                       data.size() * sizeof(float));
}

uint32_t PlanBuilder::constantI64(const std::string& name, std::vector<int64_t> shape,
                                  const std::vector<int64_t>& data) {
  return constantBytes(name, plan::DType::I64, std::move(shape), data.data(),
                       data.size() * sizeof(int64_t));
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

OpSpec& PlanBuilder::op(const std::string& name, plan::OpParams type,
                        std::vector<uint32_t> inputs, uint32_t y) {
  OpSpec op;
  op.name = name;
  op.params_type = type;
  op.inputs = std::move(inputs);
  op.outputs = {y};
  ops.push_back(op);
  return ops.back();
}

OpSpec& PlanBuilder::clip(const std::string& name, float min, float max, uint32_t x, uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::ClipParams, {x}, y);
  o.min = min;
  o.max = max;
  return o;
}

OpSpec& PlanBuilder::quantLinear(const std::string& name, plan::QuantFormat format, int64_t n,
                                 int64_t k, int64_t group_size, bool has_bias,
                                 std::vector<uint32_t> inputs, uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::QuantLinearParams, std::move(inputs), y);
  o.kind = static_cast<int>(format);
  o.n = n;
  o.k = k;
  o.group_size = group_size;
  o.has_bias = has_bias;
  return o;
}

OpSpec& PlanBuilder::quantGather(const std::string& name, plan::QuantFormat format, int64_t rows,
                                 int64_t dim, int64_t group_size, std::vector<uint32_t> inputs,
                                 uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::QuantGatherParams, std::move(inputs), y);
  o.kind = static_cast<int>(format);
  o.n = rows;
  o.k = dim;
  o.group_size = group_size;
  return o;
}

OpSpec& PlanBuilder::fakeQuant(const std::string& name, float scale, int32_t zero_point,
                               int32_t qmin, int32_t qmax, uint32_t x, uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::FakeQuantParams, {x}, y);
  o.scale = scale;
  o.zero_point = zero_point;
  o.qmin = qmin;
  o.qmax = qmax;
  return o;
}

OpSpec& PlanBuilder::attention(const std::string& name, float scale, bool causal, uint32_t q,
                               uint32_t k, uint32_t v, uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::AttentionParams, {q, k, v}, y);
  o.scale = scale;
  o.causal = causal;
  return o;
}

OpSpec& PlanBuilder::where(const std::string& name, uint32_t cond, uint32_t x, uint32_t other,
                           uint32_t y) {
  return op(name, plan::OpParams::WhereParams, {cond, x, other}, y);
}

OpSpec& PlanBuilder::reduce(const std::string& name, plan::ReduceKind kind,
                            std::vector<int32_t> axes, bool keepdims, uint32_t x, uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::ReduceParams, {x}, y);
  o.kind = static_cast<int>(kind);
  o.axes = std::move(axes);
  o.keepdims = keepdims;
  return o;
}

OpSpec& PlanBuilder::layerNorm(const std::string& name, int32_t axis, float epsilon, uint32_t x,
                               uint32_t scale, int64_t bias, uint32_t y) {
  std::vector<uint32_t> inputs = {x, scale};
  if (bias >= 0) inputs.push_back(static_cast<uint32_t>(bias));
  OpSpec& o = op(name, plan::OpParams::LayerNormParams, std::move(inputs), y);
  o.axis = axis;
  o.epsilon = epsilon;
  o.has_bias = bias >= 0;
  return o;
}

OpSpec& PlanBuilder::gather(const std::string& name, int32_t axis, uint32_t data,
                            uint32_t indices, uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::GatherParams, {data, indices}, y);
  o.axis = axis;
  return o;
}

OpSpec& PlanBuilder::concat(const std::string& name, int32_t axis, std::vector<uint32_t> inputs,
                            uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::ConcatParams, std::move(inputs), y);
  o.axis = axis;
  return o;
}

OpSpec& PlanBuilder::slice(const std::string& name, std::vector<int32_t> axes,
                           std::vector<SymIntSpec> starts, std::vector<int64_t> steps, uint32_t x,
                           uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::SliceParams, {x}, y);
  o.axes = std::move(axes);
  o.starts = std::move(starts);
  o.steps = std::move(steps);
  return o;
}

OpSpec& PlanBuilder::expand(const std::string& name, uint32_t x, uint32_t y) {
  return op(name, plan::OpParams::ExpandParams, {x}, y);
}

OpSpec& PlanBuilder::fill(const std::string& name, double value, uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::FillParams, {}, y);
  o.value = value;
  return o;
}

OpSpec& PlanBuilder::range(const std::string& name, double start, double delta, uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::RangeParams, {}, y);
  o.value = start;
  o.delta = delta;
  return o;
}

OpSpec& PlanBuilder::trilu(const std::string& name, bool upper, int64_t k, uint32_t x,
                           uint32_t y) {
  OpSpec& o = op(name, plan::OpParams::TriluParams, {x}, y);
  o.upper = upper;
  o.k = k;
  return o;
}

OpSpec& PlanBuilder::cast(const std::string& name, uint32_t x, uint32_t y) {
  return op(name, plan::OpParams::CastParams, {x}, y);
}

namespace {

flatbuffers::Offset<plan::Dim> buildDim(flatbuffers::FlatBufferBuilder& fbb, const DimSpec& d) {
  return plan::CreateDimDirect(fbb, d.num, d.den, &d.syms);
}

flatbuffers::Offset<void> buildParams(flatbuffers::FlatBufferBuilder& fbb, const OpSpec& op) {
  using P = plan::OpParams;
  switch (op.params_type) {
    case P::BinaryParams:
      return plan::CreateBinaryParams(fbb, static_cast<plan::BinaryKind>(op.kind)).Union();
    case P::UnaryParams:
      return plan::CreateUnaryParams(fbb, static_cast<plan::UnaryKind>(op.kind)).Union();
    case P::LinearParams:
      return plan::CreateLinearParams(fbb, static_cast<plan::WeightLayout>(op.kind), op.n, op.k,
                                      op.has_bias, op.activation, op.residual)
          .Union();
    case P::MatMulParams: return plan::CreateMatMulParams(fbb).Union();
    case P::SoftmaxParams: return plan::CreateSoftmaxParams(fbb, op.axis).Union();
    case P::TransposeParams: return plan::CreateTransposeParamsDirect(fbb, &op.perm).Union();
    case P::CopyParams: return plan::CreateCopyParams(fbb).Union();
    case P::ClipParams: return plan::CreateClipParams(fbb, op.min, op.max).Union();
    case P::WhereParams: return plan::CreateWhereParams(fbb).Union();
    case P::QuantLinearParams:
      return plan::CreateQuantLinearParams(fbb, static_cast<plan::QuantFormat>(op.kind), op.n,
                                           op.k, op.group_size, op.has_bias)
          .Union();
    case P::QuantGatherParams:
      return plan::CreateQuantGatherParams(fbb, static_cast<plan::QuantFormat>(op.kind), op.n,
                                           op.k, op.group_size)
          .Union();
    case P::FakeQuantParams:
      return plan::CreateFakeQuantParams(fbb, op.scale, op.zero_point, op.qmin, op.qmax).Union();
    case P::AttentionParams:
      return plan::CreateAttentionParams(fbb, op.scale, op.causal, op.rope, op.key_bias,
                                         op.packed_kv_heads, op.kv_cache)
          .Union();
    case P::ReduceParams:
      return plan::CreateReduceParamsDirect(fbb, static_cast<plan::ReduceKind>(op.kind), &op.axes,
                                            op.keepdims)
          .Union();
    case P::LayerNormParams:
      return plan::CreateLayerNormParams(fbb, op.axis, op.epsilon, op.has_bias).Union();
    case P::GatherParams: return plan::CreateGatherParams(fbb, op.axis).Union();
    case P::ConcatParams: return plan::CreateConcatParams(fbb, op.axis).Union();
    case P::SliceParams: {
      std::vector<flatbuffers::Offset<plan::SymInt>> starts;
      for (const SymIntSpec& s : op.starts)
        starts.push_back(plan::CreateSymInt(fbb, s.offset, s.has_dim ? buildDim(fbb, s.dim) : 0));
      return plan::CreateSliceParamsDirect(fbb, &op.axes, &starts, &op.steps).Union();
    }
    case P::ExpandParams: return plan::CreateExpandParams(fbb).Union();
    case P::FillParams: return plan::CreateFillParams(fbb, op.value).Union();
    case P::RangeParams:
      return plan::CreateRangeParams(fbb, op.value, op.delta, op.offset_by_cache).Union();
    case P::TriluParams: return plan::CreateTriluParams(fbb, op.upper, op.k).Union();
    case P::CastParams: return plan::CreateCastParams(fbb).Union();
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
    for (const DimSpec& d : t.shape) dims.push_back(buildDim(fbb, d));
    tensor_offsets.push_back(plan::CreateTensorDirect(fbb, t.name.c_str(), t.dtype, &dims, t.kind,
                                                      t.weight_offset, t.weight_bytes, t.slot));
    if (t.kind == plan::TensorKind::Input) default_inputs.push_back(i);
    if (t.kind == plan::TensorKind::Output) default_outputs.push_back(i);
    max_slot = std::max<int64_t>(max_slot, t.slot);
  }

  std::vector<flatbuffers::Offset<plan::Op>> op_offsets;
  for (const OpSpec& op : ops) {
    auto params = op.omit_params ? flatbuffers::Offset<void>() : buildParams(fbb, op);
    op_offsets.push_back(plan::CreateOpDirect(fbb, op.name.c_str(), &op.inputs, &op.outputs,
                                              op.params_type, params));
  }

  const auto& plan_inputs = inputs.empty() ? default_inputs : inputs;
  const auto& plan_outputs = outputs.empty() ? default_outputs : outputs;
  const uint32_t slots = static_cast<uint32_t>(num_slots >= 0 ? num_slots : max_slot + 1);
  flatbuffers::Offset<plan::CudaModule> cuda;
  if (!cuda_archs.empty()) {
    std::vector<flatbuffers::Offset<flatbuffers::String>> archs;
    for (const std::string& arch : cuda_archs) archs.push_back(fbb.CreateString(arch));
    std::vector<uint32_t> op_kernels(op_offsets.size());
    for (size_t i = 0; i < op_kernels.size(); ++i) op_kernels[i] = static_cast<uint32_t>(i);
    cuda = plan::CreateCudaModuleDirect(fbb, &archs, cuda_image_offset, cuda_image_bytes,
                                        cuda_op_kernels ? &*cuda_op_kernels : &op_kernels);
  }
  auto root = plan::CreatePlanDirect(fbb, producer.c_str(), target.c_str(), &symbol_offsets,
                                     &tensor_offsets, &plan_inputs, &plan_outputs, &op_offsets,
                                     slots, kv_cache_max_seq,
                                     static_cast<plan::KvCacheType>(kv_cache_type), cuda);
  plan::FinishPlanBuffer(fbb, root);
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

std::vector<uint8_t> PlanBuilder::build() const {
  const std::vector<uint8_t> plan = planBytes();
  return artifact::packArtifact(cuda_archs.empty() ? artifact::Target::Cpu : artifact::Target::Cuda,
                                plan.data(), plan.size(), weights.data(), weights.size());
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
