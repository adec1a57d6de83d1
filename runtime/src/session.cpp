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
  output0_last_row_ = false;
  ++round_;  // inputs set from now on are compared with each other only
  LLMOPT_TRY(plan());
  return runOps(nullptr, nullptr);
}

Status Session::runOps(const KvCacheView* cache, const OpDesc* last_row_only) {
  if (!arena_bound_) LLMOPT_TRY(bindArena());
  for (size_t i = 0; i < inputs_.size(); ++i)
    data_[desc_.inputs[i]] = const_cast<void*>(inputs_[i].data);  // kernels only read inputs

  ExecContext context{&desc_,       shapes_.data(),
                      symbols_.data(), data_.data(),
                      reinterpret_cast<float*>(arena_.data() + layout_.scratch_offset), pool_.get(),
                      cache, last_row_only};
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
  outputs_valid_ = true;
  return LLMOPT_OK;
}

Status Session::requireCache() const {
  if (desc_.kv_cache_max_seq == 0)
    return fail(LLMOPT_ERROR_STATE, "the model has no KV cache (see llmopt compile --max-seq)");
  return LLMOPT_OK;
}

Status Session::resetCache() {
  LLMOPT_TRY(requireCache());
  cache_length_ = 0;
  return LLMOPT_OK;
}

// Checks that the planned shapes continue the cache and lays its memory out for their batch
// (allocating only when it grows); *new_tokens is the count the run appends. A step with the
// cache's batch does no more than the checks.
Status Session::bindCache(int64_t* new_tokens) {
  int64_t batch = -1, len = -1;
  for (const OpDesc& op : desc_.ops) {
    if (op.kv_cache < 0) continue;
    const Shape& q = shapes_[op.inputs[0]];
    if (op.packed_kv_heads == 0 && shapes_[op.inputs[1]].dims[1] != q.dims[1])
      return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                  "op '%s': KV cache layer %d has %" PRId64 " keys for %" PRId64 " queries",
                  op.name, op.kv_cache, shapes_[op.inputs[1]].dims[1], q.dims[1]);
    if (batch >= 0 && (q.dims[0] != batch || q.dims[1] != len))
      return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                  "op '%s': KV cache layers disagree on batch and length", op.name);
    batch = q.dims[0];
    len = q.dims[1];
  }
  if (len < 1)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "a cached run needs at least one new position");
  if (cache_length_ > 0 && batch != cache_batch_)
    return fail(LLMOPT_ERROR_STATE,
                "the KV cache holds a sequence of batch %" PRId64 ", the inputs have batch %" PRId64
                ": reset the cache (prefill) to change it",
                cache_batch_, batch);
  if (len > desc_.kv_cache_max_seq - cache_length_)
    return fail(LLMOPT_ERROR_STATE,
                "the KV cache holds %" PRId64 " positions (llmopt compile --max-seq): %" PRId64
                " cached, %" PRId64 " more do not fit",
                desc_.kv_cache_max_seq, cache_length_, len);
  *new_tokens = len;
  return batch == cache_batch_ ? LLMOPT_OK : layOutCache(batch);
}

// Per layer, keys then values of batch x kv_heads x kvCachePositions(max_seq) positions of dim
// elements (and an int8 cache's scales: kv_cache.h), every block 64-byte aligned, in one
// allocation of cache_memory_.
Status Session::layOutCache(int64_t batch) {
  std::vector<uint64_t> layer_bytes(desc_.kv_cache_layers, 0);
  const uint64_t element_bytes = kernels::cpu::kvCacheElementBytes(desc_.kv_cache_type);
  uint64_t total = 0;
  for (const OpDesc& op : desc_.ops) {
    if (op.kv_cache < 0) continue;
    kernels::cpu::KvCacheLayer layer;
    layer.type = desc_.kv_cache_type;
    layer.kv_heads = op.packed_kv_heads > 0 ? op.packed_kv_heads : shapes_[op.inputs[1]].dims[2];
    layer.dim = shapes_[op.inputs[0]].dims[3];
    layer.positions = kernels::cpu::kvCachePositions(desc_.kv_cache_max_seq);
    uint64_t& bytes = layer_bytes[op.kv_cache];
    // kvCacheBlockBytes(layer, batch), checked: batch is the inputs'.
    if (!checkedMul(static_cast<uint64_t>(layer.batchElements()) * element_bytes,
                    static_cast<uint64_t>(batch), &bytes) ||
        !checkedAlignUp(bytes, kArenaAlignment, &bytes) ||
        !checkedAdd(total, 2 * bytes, &total) || total > kMaxBytes)
      return fail(LLMOPT_ERROR_OUT_OF_MEMORY, "the KV cache would exceed 1 TiB: refusing");
  }
  cache_batch_ = 0;
  LLMOPT_TRY(cache_memory_.reserve(total));
  cache_keys_.assign(layer_bytes.size(), nullptr);
  cache_values_.assign(layer_bytes.size(), nullptr);
  uint8_t* next = cache_memory_.data();
  for (size_t l = 0; l < layer_bytes.size(); ++l) {
    cache_keys_[l] = next;
    cache_values_[l] = next + layer_bytes[l];
    next += 2 * layer_bytes[l];
  }
  cache_batch_ = batch;
  return LLMOPT_OK;
}

// The op that writes output 0 when it is a linear layer without epilogue whose output nothing
// else reads: its rows are independent, so a prefill may compute only the last.
const OpDesc* Session::lastRowOp() const {
  if (desc_.outputs.empty()) return nullptr;
  const uint32_t out = desc_.outputs[0];
  const OpDesc* writer = nullptr;
  for (const OpDesc& op : desc_.ops) {
    if (op.output == out) writer = &op;
    for (uint32_t in : op.inputs)
      if (in == out) return nullptr;
  }
  if (!writer || writer->residual || writer->swiglu || writer->has_activation) return nullptr;
  switch (writer->kernel) {
    case OpKernel::LinearF32: case OpKernel::LinearInt8: case OpKernel::LinearInt8Weight:
    case OpKernel::LinearInt4: case OpKernel::LinearF16: case OpKernel::LinearBF16:
      // One row per position: [batch, seq, n] or [seq, n] (batch 1).
      return desc_.tensors[out].rank == 2 || desc_.tensors[out].rank == 3 ? writer : nullptr;
    default: return nullptr;
  }
}

Status Session::runCached(bool last_row_only) {
  outputs_valid_ = false;
  output0_last_row_ = false;
  ++round_;
  LLMOPT_TRY(requireCache());
  LLMOPT_TRY(plan());
  int64_t new_tokens = 0;
  LLMOPT_TRY(bindCache(&new_tokens));
  KvCacheView view;
  view.keys = cache_keys_.data();
  view.values = cache_values_.data();
  view.length = cache_length_;
  view.positions = kernels::cpu::kvCachePositions(desc_.kv_cache_max_seq);
  view.type = desc_.kv_cache_type;
  const OpDesc* last_row_op = last_row_only && cache_batch_ == 1 ? lastRowOp() : nullptr;
  LLMOPT_TRY(runOps(&view, last_row_op));
  output0_last_row_ = last_row_op != nullptr;
  cache_length_ += new_tokens;
  return LLMOPT_OK;
}

Status Session::bindTokens(const int64_t* tokens, size_t count) {
  if (desc_.inputs.size() != 1 || desc_.tensors[desc_.inputs[0]].dtype != LLMOPT_DTYPE_I64 ||
      desc_.tensors[desc_.inputs[0]].rank != 2)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                "prefill and step take models whose one input is int64 token ids [batch, seq]");
  if (!tokens && count) return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "tokens is NULL");
  if (tokens_.capacity() < static_cast<size_t>(desc_.kv_cache_max_seq))
    tokens_.reserve(static_cast<size_t>(desc_.kv_cache_max_seq));  // once: steps do not allocate
  tokens_.assign(tokens, tokens + count);
  const int64_t dims[2] = {1, static_cast<int64_t>(count)};
  return setInput(0, LLMOPT_DTYPE_I64, 2, dims, tokens_.data(), count * sizeof(int64_t));
}

Status Session::prefill(const int64_t* tokens, size_t count) {
  LLMOPT_TRY(resetCache());
  if (count == 0) return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "prefill of no tokens");
  LLMOPT_TRY(bindTokens(tokens, count));
  return runCached(/*last_row_only=*/true);
}

Status Session::step(int64_t token) {
  LLMOPT_TRY(requireCache());
  if (cache_length_ == 0)
    return fail(LLMOPT_ERROR_STATE, "step before prefill: the KV cache is empty");
  LLMOPT_TRY(bindTokens(&token, 1));
  return runCached();
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
  if (index == 0 && output0_last_row_) {  // one row, [1, .., 1, n]: batch 1
    for (int d = 0; d + 1 < out->rank; ++d) out->dims[d] = 1;
    out->size_bytes = static_cast<size_t>(out->dims[out->rank - 1]) * dtypeSize(out->dtype);
  }
  return LLMOPT_OK;
}

}  // namespace llmopt::rt
