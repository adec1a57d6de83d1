#include "session.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>

#include "checked_math.h"
#include "dtype.h"
#include "executor.h"
#include "op_shapes.h"
#include "symbolic_shape.h"

namespace llmopt::rt {
namespace {

// Bytes of `shape` elements of `dtype`, refusing overflow and sizes over 1 TiB.
bool tensorBytes(const Shape& shape, llmopt_dtype dtype, uint64_t* out) {
  uint64_t bytes = dtypeSize(dtype);
  for (int d = 0; d < shape.rank; ++d)
    if (!checkedMul(bytes, static_cast<uint64_t>(shape.dims[d]), &bytes)) return false;
  *out = bytes;
  return bytes <= kMaxBytes;
}

}  // namespace

Session::Session(const Model& model, int num_threads)
    : desc_(model.desc),
      pool_(ThreadPool::shared(num_threads)),
      inputs_(model.desc.inputs.size()),
      shapes_(model.desc.tensors.size()),
      tensor_bytes_(model.desc.tensors.size(), 0),
      data_(model.desc.tensors.size(), nullptr) {
  for (size_t t = 0; t < desc_.tensors.size(); ++t)
    if (desc_.tensors[t].kind == TensorKind::Constant)
      data_[t] = const_cast<uint8_t*>(desc_.tensors[t].constant_data);  // kernels only read
}

Status Session::checkSymbolAgainstOtherInputs(size_t index, int dim, int64_t value) const {
  const TensorDesc& t = desc_.tensors[desc_.inputs[index]];
  const uint32_t symbol = t.dims[dim].syms[0];
  const char* symbol_name = desc_.symbol_names[symbol];
  for (size_t j = 0; j < inputs_.size(); ++j) {
    const Binding& other = inputs_[j];
    if (j == index || !other.set || other.round != round_) continue;
    const TensorDesc& u = desc_.tensors[desc_.inputs[j]];
    for (int e = 0; e < u.rank; ++e) {
      if (!u.dims[e].isSymbol() || u.dims[e].syms[0] != symbol) continue;
      if (other.shape.dims[e] != value)
        return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                    "input '%s': dim %d is %" PRId64 ", but symbol '%s' is %" PRId64
                    " from input '%s' dim %d",
                    t.name, dim, value, symbol_name, other.shape.dims[e], u.name, e);
    }
  }
  return LLMOPT_OK;
}

Status Session::setInput(size_t index, llmopt_dtype dtype, int32_t rank, const int64_t* dims,
                         const void* data, size_t size_bytes) {
  if (index >= inputs_.size())
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "input index %zu is out of range (%zu inputs)",
                index, inputs_.size());
  const TensorDesc& t = desc_.tensors[desc_.inputs[index]];
  if (dtype != t.dtype)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "input '%s': dtype is %s, the model expects %s",
                t.name, dtypeName(dtype), dtypeName(t.dtype));
  if (rank != t.rank)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "input '%s': rank is %d, the model expects %d",
                t.name, rank, t.rank);
  if (rank > 0 && !dims)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "input '%s': dims is NULL", t.name);

  Shape shape;
  shape.rank = rank;
  for (int d = 0; d < rank; ++d) {
    const int64_t value = dims[d];
    const DimExpr& expected = t.dims[d];
    shape.dims[d] = value;
    if (value < 0)
      return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "input '%s': dim %d is %" PRId64 " (negative)",
                  t.name, d, value);
    if (expected.isStatic() && value != expected.num / expected.den)
      return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                  "input '%s': dim %d is %" PRId64 ", the model expects %" PRId64, t.name, d,
                  value, expected.num / expected.den);
    if (!expected.isSymbol()) continue;
    for (int e = 0; e < d; ++e)  // the same symbol twice in this input
      if (t.dims[e].isSymbol() && t.dims[e].syms[0] == expected.syms[0] && dims[e] != value)
        return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                    "input '%s': dims %d and %d are both symbol '%s' but are %" PRId64
                    " and %" PRId64,
                    t.name, e, d, desc_.symbol_names[expected.syms[0]], dims[e], value);
    LLMOPT_TRY(checkSymbolAgainstOtherInputs(index, d, value));
  }

  uint64_t bytes;
  if (!tensorBytes(shape, dtype, &bytes))
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "input '%s': shape %s is over 1 TiB", t.name,
                formatShape(shape).c_str());
  if (bytes != size_bytes)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                "input '%s': size_bytes is %zu, shape %s of %s needs %" PRIu64, t.name,
                size_bytes, formatShape(shape).c_str(), dtypeName(dtype), bytes);
  if (bytes > 0 && !data)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "input '%s': data is NULL", t.name);
  if (reinterpret_cast<uintptr_t>(data) % dtypeSize(dtype) != 0)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "input '%s': data is not aligned to %zu bytes",
                t.name, dtypeSize(dtype));

  Binding& binding = inputs_[index];
  binding.set = true;
  binding.round = round_;
  binding.shape = shape;
  binding.data = data;
  return LLMOPT_OK;
}

Status Session::bindSymbols() {
  symbols_.resize(desc_.symbol_names.size());
  for (size_t s = 0; s < symbols_.size(); ++s) {
    const SymbolSource& source = desc_.symbol_sources[s];
    symbols_[s] = inputs_[source.input].shape.dims[source.dim];
  }
  return checkInputDims();
}

// Every dynamic input dim agrees with the symbol values (inputs bound in different rounds may
// disagree, and compound dims such as 2*seq are only checkable now).
Status Session::checkInputDims() const {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const TensorDesc& t = desc_.tensors[desc_.inputs[i]];
    for (int d = 0; d < t.rank; ++d) {
      const DimExpr& dim = t.dims[d];
      if (dim.isStatic()) continue;
      const int64_t actual = inputs_[i].shape.dims[d];
      int64_t expected;
      DimProblem problem;
      const bool ok = evalDim(dim, symbols_.data(), &expected, &problem);
      if (ok && expected == actual) continue;
      if (dim.isSymbol()) {
        const SymbolSource& source = desc_.symbol_sources[dim.syms[0]];
        return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                    "input '%s': dim %d is %" PRId64 ", but symbol '%s' is %" PRId64
                    " from input '%s' dim %d",
                    t.name, d, actual, desc_.symbol_names[dim.syms[0]], expected,
                    desc_.tensors[desc_.inputs[source.input]].name, source.dim);
      }
      const std::string formula = formatDim(dim, desc_.symbol_names);
      if (!ok)
        return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                    "input '%s': dim %d = %s cannot be evaluated for the bound symbols (not a "
                    "whole number, or too large)",
                    t.name, d, formula.c_str());
      return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                  "input '%s': dim %d is %" PRId64 ", the model expects %s = %" PRId64, t.name, d,
                  actual, formula.c_str(), expected);
    }
  }
  return LLMOPT_OK;
}

// Shapes, per-op shape checks and the arena layout for the current symbol values.
Status Session::planLayout() {
  planned_ = false;
  arena_bound_ = false;
  for (size_t t = 0; t < desc_.tensors.size(); ++t) {
    const TensorDesc& tensor = desc_.tensors[t];
    LLMOPT_TRY(resolveShape(tensor, desc_, symbols_.data(), &shapes_[t]));
    if (!tensorBytes(shapes_[t], tensor.dtype, &tensor_bytes_[t]))
      return fail(LLMOPT_ERROR_OUT_OF_MEMORY, "tensor '%s': shape %s of %s is over 1 TiB",
                  tensor.name, formatShape(shapes_[t]).c_str(), dtypeName(tensor.dtype));
  }
  scratch_bytes_ = 0;
  for (const OpDesc& op : desc_.ops) {
    LLMOPT_TRY(checkOpShapes(desc_, op, shapes_.data(), symbols_.data()));
    scratch_bytes_ = std::max(scratch_bytes_, opScratchBytes(op, shapes_.data()));
  }

  std::vector<uint64_t> slot_bytes(desc_.num_slots, 0);
  for (size_t t = 0; t < desc_.tensors.size(); ++t) {
    const int32_t slot = desc_.tensors[t].slot;
    if (slot >= 0) slot_bytes[slot] = std::max(slot_bytes[slot], tensor_bytes_[t]);
  }
  LLMOPT_TRY(layoutArena(slot_bytes, scratch_bytes_, &layout_));
  planned_symbols_ = symbols_;
  planned_ = true;
  return LLMOPT_OK;
}

// Allocates the arena for layout_ and points the intermediate tensors into it.
Status Session::bindArena() {
  LLMOPT_TRY(arena_.reserve(std::max<uint64_t>(layout_.total_bytes, kArenaAlignment)));
  for (size_t t = 0; t < desc_.tensors.size(); ++t) {
    const int32_t slot = desc_.tensors[t].slot;
    if (slot >= 0) data_[t] = arena_.data() + layout_.slot_offsets[slot];
  }
  arena_bound_ = true;
  return LLMOPT_OK;
}

Status Session::plan() {
  for (size_t i = 0; i < inputs_.size(); ++i)
    if (!inputs_[i].set)
      return fail(LLMOPT_ERROR_STATE, "input '%s' is not set",
                  desc_.tensors[desc_.inputs[i]].name);
  LLMOPT_TRY(bindSymbols());
  if (planned_ && symbols_ == planned_symbols_) return LLMOPT_OK;
  outputs_valid_ = false;  // a new layout changes the outputs' shapes and places
  return planLayout();
}

Status Session::run() {
  outputs_valid_ = false;
  LLMOPT_TRY(plan());
  if (!arena_bound_) LLMOPT_TRY(bindArena());
  for (size_t i = 0; i < inputs_.size(); ++i)
    data_[desc_.inputs[i]] = const_cast<void*>(inputs_[i].data);  // kernels only read inputs

  ExecContext context{&desc_,       shapes_.data(),
                      symbols_.data(), data_.data(),
                      reinterpret_cast<float*>(arena_.data() + layout_.scratch_offset), pool_.get()};
  if (!profiling_) {
    for (const OpDesc& op : desc_.ops) LLMOPT_TRY(executeOp(op, context));
  } else {
    // Each op's wall time: the ops run one after the other, each on every thread.
    std::vector<double> seconds(desc_.ops.size());
    for (size_t i = 0; i < desc_.ops.size(); ++i) {
      const auto start = std::chrono::steady_clock::now();
      LLMOPT_TRY(executeOp(desc_.ops[i], context));
      seconds[i] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    for (size_t i = 0; i < seconds.size(); ++i) op_seconds_[i] += seconds[i];
    ++profiled_runs_;
  }
  ++round_;
  outputs_valid_ = true;
  return LLMOPT_OK;
}

void Session::setProfiling(bool enable) {
  profiling_ = enable;
  if (!enable) return;
  op_seconds_.assign(desc_.ops.size(), 0.0);
  profiled_runs_ = 0;
}

Status Session::output(size_t index, llmopt_tensor* out) const {
  if (index >= desc_.outputs.size())
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "output index %zu is out of range (%zu outputs)",
                index, desc_.outputs.size());
  if (!outputs_valid_)
    return fail(LLMOPT_ERROR_STATE, "output '%s' is not available: no successful run yet",
                desc_.tensors[desc_.outputs[index]].name);
  const uint32_t t = desc_.outputs[index];
  out->dtype = desc_.tensors[t].dtype;
  out->rank = shapes_[t].rank;
  for (int d = 0; d < kMaxRank; ++d) out->dims[d] = d < shapes_[t].rank ? shapes_[t].dims[d] : 0;
  out->data = data_[t];
  out->size_bytes = static_cast<size_t>(tensor_bytes_[t]);
  return LLMOPT_OK;
}

}  // namespace llmopt::rt
