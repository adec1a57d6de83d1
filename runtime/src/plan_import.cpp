#include "plan_import.h"

#include <cinttypes>
#include <cstring>
#include <string>

#include "checked_math.h"
#include "dtype.h"
#include "op_import.h"
#include "slot_liveness.h"
#include "symbolic_shape.h"

namespace llmopt::rt {
namespace {

namespace fb = ::flatbuffers;

// Most refusals: the plan is malformed.
#define LLMOPT_INVALID(...) fail(LLMOPT_ERROR_INVALID_ARTIFACT, __VA_ARGS__)

class Importer {
 public:
  Importer(const plan::Plan& plan, const uint8_t* weights, uint64_t weights_bytes, ModelDesc* out)
      : plan_(plan), weights_(weights), weights_bytes_(weights_bytes), m_(*out) {}

  Status run() {
    LLMOPT_TRY(importTarget());
    m_.producer = plan_.producer() ? plan_.producer()->c_str() : "";
    m_.num_slots = plan_.num_slots();
    LLMOPT_TRY(importSymbols());
    LLMOPT_TRY(importTensors());
    LLMOPT_TRY(importInputs());
    LLMOPT_TRY(importOutputs());
    LLMOPT_TRY(importOps());
    LLMOPT_TRY(importKvCache());
    LLMOPT_TRY(checkEveryTensorWritten());
    LLMOPT_TRY(checkSlotLiveness(m_));
    return bindSymbols();
  }

 private:
  const char* madeUpName(const char* prefix, size_t index) {
    m_.strings.push_back(std::string(prefix) + "#" + std::to_string(index));
    return m_.strings.back().c_str();
  }

  // "cpu", or "cuda" with the GPU code inside the weights blob.
  Status importTarget() {
    const char* target = plan_.target() ? plan_.target()->c_str() : "cpu";
    const plan::CudaModule* cuda = plan_.cuda();
    if (std::strcmp(target, "cpu") == 0) {
      if (cuda) return LLMOPT_INVALID("a 'cpu' plan carries a cuda module");
      m_.target = "cpu";
      return LLMOPT_OK;
    }
    if (std::strcmp(target, "cuda") != 0)
      return fail(LLMOPT_ERROR_UNSUPPORTED,
                  "plan targets '%s'; this runtime executes 'cpu' and 'cuda' plans", target);
    if (!cuda) return LLMOPT_INVALID("a 'cuda' plan has no cuda module");
    const uint64_t offset = cuda->image_offset(), bytes = cuda->image_bytes();
    if (bytes == 0 || offset % artifact::kWeightAlignment != 0 || offset > weights_bytes_ ||
        bytes > weights_bytes_ - offset)
      return LLMOPT_INVALID("cuda module image [%" PRIu64 ", +%" PRIu64
                            ") is empty, misaligned or outside the %" PRIu64
                            "-byte weights blob",
                            offset, bytes, weights_bytes_);
    const auto* archs = cuda->archs();
    if (!archs || archs->size() == 0) return LLMOPT_INVALID("cuda module lists no architecture");
    for (const fb::String* arch : *archs) {
      if (!arch || arch->size() == 0) return LLMOPT_INVALID("cuda module has an empty architecture");
      m_.cuda_archs.push_back(arch->c_str());
    }
    // op_kernels: one per op, numbered in the order of first use (so no kernel is missing).
    const auto* op_kernels = cuda->op_kernels();
    const size_t num_ops = plan_.ops() ? plan_.ops()->size() : 0;
    if (!op_kernels || op_kernels->size() != num_ops)
      return LLMOPT_INVALID("cuda module names kernels for %zu ops, the plan has %zu",
                            op_kernels ? static_cast<size_t>(op_kernels->size()) : size_t{0},
                            num_ops);
    for (size_t i = 0; i < num_ops; ++i) {
      const uint32_t k = op_kernels->Get(static_cast<flatbuffers::uoffset_t>(i));
      if (k > m_.cuda_kernel_count)
        return LLMOPT_INVALID("cuda module: op %zu runs kernel %u before kernel %u is used", i, k,
                              m_.cuda_kernel_count);
      if (k == m_.cuda_kernel_count) ++m_.cuda_kernel_count;
      m_.cuda_op_kernels.push_back(k);
    }
    std::string list;
    for (const char* arch : m_.cuda_archs) list += (list.empty() ? "" : ",") + std::string(arch);
    m_.strings.push_back(std::move(list));
    m_.cuda_arch_list = m_.strings.back().c_str();
    m_.target = "cuda";
    m_.cuda_image = weights_ + offset;
    m_.cuda_image_bytes = bytes;
    return LLMOPT_OK;
  }

  Status importSymbols() {
    const auto* symbols = plan_.symbols();
    const size_t count = symbols ? symbols->size() : 0;
    for (size_t s = 0; s < count; ++s) {
      const plan::Symbol* symbol = symbols->Get(s);
      if (!symbol->name() || symbol->name()->size() == 0)
        return LLMOPT_INVALID("symbol %zu has no name", s);
      m_.symbol_names.push_back(symbol->name()->c_str());
    }
    return LLMOPT_OK;
  }

  Status importDim(const char* tensor, int d, const plan::Dim& in, DimExpr* out) {
    out->num = in.num();
    out->den = in.den();
    if (out->den <= 0 || out->num < 0)
      return LLMOPT_INVALID("tensor '%s': dim %d has num %" PRId64 ", den %" PRId64
                            " (need num >= 0, den > 0)",
                            tensor, d, out->num, out->den);
    const auto* syms = in.syms();
    const size_t count = syms ? syms->size() : 0;
    if (count > kMaxDimSymbols)
      return LLMOPT_INVALID("tensor '%s': dim %d multiplies %zu symbols (at most %d)", tensor, d,
                            count, kMaxDimSymbols);
    for (size_t i = 0; i < count; ++i) {
      uint32_t s = syms->Get(i);
      if (s >= m_.symbol_names.size())
        return LLMOPT_INVALID("tensor '%s': dim %d uses symbol %u, the plan has %zu", tensor, d,
                              s, m_.symbol_names.size());
      out->syms[out->num_syms++] = s;
    }
    if (out->isStatic() && out->num % out->den != 0)
      return LLMOPT_INVALID("tensor '%s': static dim %d = %" PRId64 "/%" PRId64
                            " is not a whole number",
                            tensor, d, out->num, out->den);
    return LLMOPT_OK;
  }

  Status importConstant(const plan::Tensor& in, TensorDesc* t) {
    uint64_t elements = 1;
    for (int d = 0; d < t->rank; ++d) {
      const DimExpr& dim = t->dims[d];
      if (!dim.isStatic())
        return LLMOPT_INVALID("constant '%s': dim %d is symbolic (constants need static shapes)",
                              t->name, d);
      if (!checkedMul(elements, static_cast<uint64_t>(dim.num / dim.den), &elements))
        return LLMOPT_INVALID("constant '%s': element count overflows", t->name);
    }
    uint64_t bytes;
    if (!checkedMul(elements, dtypeSize(t->dtype), &bytes) || bytes != in.weight_bytes())
      return LLMOPT_INVALID("constant '%s': weight_bytes is %" PRIu64
                            ", its shape and dtype need %" PRIu64 " elements x %zu bytes",
                            t->name, in.weight_bytes(), elements, dtypeSize(t->dtype));
    const uint64_t offset = in.weight_offset();
    if (offset > weights_bytes_ || bytes > weights_bytes_ - offset)
      return LLMOPT_INVALID("constant '%s': bytes [%" PRIu64 ", +%" PRIu64
                            ") run past the %" PRIu64 "-byte weights blob",
                            t->name, offset, bytes, weights_bytes_);
    if (offset % artifact::kWeightAlignment != 0)
      return LLMOPT_INVALID("constant '%s': weight_offset %" PRIu64 " is not 64-byte aligned",
                            t->name, offset);
    t->constant_data = weights_ + offset;
    return LLMOPT_OK;
  }

  Status importTensors() {
    const auto* tensors = plan_.tensors();
    const size_t count = tensors ? tensors->size() : 0;
    if (m_.num_slots > count)
      return LLMOPT_INVALID("plan declares %u arena slots for %zu tensors", m_.num_slots, count);
    m_.tensors.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const plan::Tensor& in = *tensors->Get(i);
      TensorDesc& t = m_.tensors[i];
      t.name = in.name() && in.name()->size() ? in.name()->c_str() : madeUpName("tensor", i);
      const int dtype = static_cast<int>(in.dtype());
      if (!isKnownDtype(dtype))
        return LLMOPT_INVALID("tensor '%s': unknown dtype %d", t.name, dtype);
      t.dtype = static_cast<llmopt_dtype>(dtype);
      switch (in.kind()) {
        case plan::TensorKind::Input: t.kind = TensorKind::Input; break;
        case plan::TensorKind::Constant: t.kind = TensorKind::Constant; break;
        case plan::TensorKind::Intermediate: t.kind = TensorKind::Intermediate; break;
        case plan::TensorKind::Output: t.kind = TensorKind::Output; break;
        default:
          return LLMOPT_INVALID("tensor '%s': unknown kind %d", t.name,
                                static_cast<int>(in.kind()));
      }
      const auto* shape = in.shape();
      const size_t rank = shape ? shape->size() : 0;
      if (rank > static_cast<size_t>(kMaxRank))
        return LLMOPT_INVALID("tensor '%s': rank %zu exceeds %d", t.name, rank, kMaxRank);
      t.rank = static_cast<int32_t>(rank);
      for (size_t d = 0; d < rank; ++d)
        LLMOPT_TRY(importDim(t.name, static_cast<int>(d), *shape->Get(d), &t.dims[d]));

      if (t.kind == TensorKind::Constant) {
        LLMOPT_TRY(importConstant(in, &t));
      } else if (t.kind == TensorKind::Intermediate || t.kind == TensorKind::Output) {
        if (in.slot() < 0 || static_cast<uint32_t>(in.slot()) >= m_.num_slots)
          return LLMOPT_INVALID("tensor '%s': slot %d is out of range (the plan has %u slots)",
                                t.name, in.slot(), m_.num_slots);
        t.slot = in.slot();
      }
    }
    return LLMOPT_OK;
  }

  // A list of tensor indices that must be exactly the tensors of `kind`, each once.
  Status importTensorList(const fb::Vector<uint32_t>* list, TensorKind kind, const char* what,
                          std::vector<uint32_t>* out) {
    const size_t count = list ? list->size() : 0;
    std::vector<bool> seen(m_.tensors.size(), false);
    for (size_t i = 0; i < count; ++i) {
      uint32_t t = list->Get(i);
      if (t >= m_.tensors.size())
        return LLMOPT_INVALID("plan %s %zu is tensor %u, the plan has %zu tensors", what, i, t,
                              m_.tensors.size());
      if (m_.tensors[t].kind != kind)
        return LLMOPT_INVALID("plan %s %zu, tensor '%s', is not of kind %s", what, i,
                              m_.tensors[t].name, kind == TensorKind::Input ? "Input" : "Output");
      if (seen[t])
        return LLMOPT_INVALID("tensor '%s' is listed twice in the plan's %ss", m_.tensors[t].name,
                              what);
      seen[t] = true;
      out->push_back(t);
    }
    for (size_t t = 0; t < m_.tensors.size(); ++t)
      if (m_.tensors[t].kind == kind && !seen[t])
        return LLMOPT_INVALID("tensor '%s' is of kind %s but not in the plan's %ss",
                              m_.tensors[t].name, kind == TensorKind::Input ? "Input" : "Output",
                              what);
    return LLMOPT_OK;
  }

  Status importInputs() {
    return importTensorList(plan_.inputs(), TensorKind::Input, "input", &m_.inputs);
  }
  Status importOutputs() {
    return importTensorList(plan_.outputs(), TensorKind::Output, "output", &m_.outputs);
  }

  // --- ops --------------------------------------------------------------------------------

  Status importOps() {
    const auto* ops = plan_.ops();
    const size_t count = ops ? ops->size() : 0;
    written_.assign(m_.tensors.size(), false);
    m_.ops.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const plan::Op& in = *ops->Get(i);
      OpDesc& op = m_.ops[i];
      op.name = in.name() && in.name()->size() ? in.name()->c_str() : madeUpName("op", i);
      LLMOPT_TRY(importOperands(in, &op));
      LLMOPT_TRY(importOpParams(in, m_, &op));
      written_[op.output] = true;
    }
    return LLMOPT_OK;
  }

  // The cache's layers are the ops with a kv_cache index, each index once, none missing; a plan
  // without a cache length has none.
  Status importKvCache() {
    m_.kv_cache_max_seq = plan_.kv_cache_max_seq();
    if (m_.kv_cache_max_seq < 0 || m_.kv_cache_max_seq > (int64_t{1} << 24))
      return LLMOPT_INVALID("kv_cache_max_seq %" PRId64 " is outside [0, 2^24]",
                            m_.kv_cache_max_seq);
    switch (plan_.kv_cache_type()) {
      case plan::KvCacheType::F32: m_.kv_cache_type = kernels::cpu::KvCacheType::F32; break;
      case plan::KvCacheType::F16: m_.kv_cache_type = kernels::cpu::KvCacheType::F16; break;
      case plan::KvCacheType::I8: m_.kv_cache_type = kernels::cpu::KvCacheType::I8; break;
      default:
        return LLMOPT_INVALID("kv_cache_type %d is not a known KV cache element type",
                              static_cast<int>(plan_.kv_cache_type()));
    }
    std::vector<const char*> layer_ops;
    for (const OpDesc& op : m_.ops) {
      if (op.kv_cache < 0) continue;
      if (m_.kv_cache_max_seq == 0)
        return LLMOPT_INVALID("op '%s' is KV cache layer %d, but the plan has no KV cache",
                              op.name, op.kv_cache);
      const size_t layer = static_cast<size_t>(op.kv_cache);
      if (layer >= m_.ops.size())
        return LLMOPT_INVALID("op '%s': KV cache layer %d is above the op count", op.name,
                              op.kv_cache);
      if (layer >= layer_ops.size()) layer_ops.resize(layer + 1, nullptr);
      if (layer_ops[layer])
        return LLMOPT_INVALID("ops '%s' and '%s' are both KV cache layer %d", layer_ops[layer],
                              op.name, op.kv_cache);
      layer_ops[layer] = op.name;
    }
    for (size_t layer = 0; layer < layer_ops.size(); ++layer)
      if (!layer_ops[layer]) return LLMOPT_INVALID("no op is KV cache layer %zu", layer);
    m_.kv_cache_layers = static_cast<uint32_t>(layer_ops.size());
    return LLMOPT_OK;
  }

  Status importOperands(const plan::Op& in, OpDesc* op) {
    const auto* inputs = in.inputs();
    const auto* outputs = in.outputs();
    const size_t num_inputs = inputs ? inputs->size() : 0;
    const size_t num_outputs = outputs ? outputs->size() : 0;
    if (num_outputs != 1)
      return LLMOPT_INVALID("op '%s': %zu outputs (every kernel has exactly 1)", op->name,
                            num_outputs);
    op->inputs.resize(num_inputs);
    for (size_t j = 0; j < num_inputs; ++j) {
      uint32_t t = inputs->Get(j);
      if (t >= m_.tensors.size())
        return LLMOPT_INVALID("op '%s': input %zu is tensor %u, the plan has %zu tensors",
                              op->name, j, t, m_.tensors.size());
      const TensorDesc& tensor = m_.tensors[t];
      const bool ready = tensor.kind == TensorKind::Input || tensor.kind == TensorKind::Constant ||
                         written_[t];
      if (!ready)
        return LLMOPT_INVALID("op '%s': input %zu, tensor '%s', is read before any op writes it",
                              op->name, j, tensor.name);
      op->inputs[j] = t;
    }
    uint32_t t = outputs->Get(0);
    if (t >= m_.tensors.size())
      return LLMOPT_INVALID("op '%s': output is tensor %u, the plan has %zu tensors", op->name, t,
                            m_.tensors.size());
    const TensorDesc& tensor = m_.tensors[t];
    if (tensor.kind != TensorKind::Intermediate && tensor.kind != TensorKind::Output)
      return LLMOPT_INVALID("op '%s': writes tensor '%s', which is %s", op->name, tensor.name,
                            tensor.kind == TensorKind::Input ? "an input" : "a constant");
    if (written_[t])
      return LLMOPT_INVALID("op '%s': writes tensor '%s', already written by an earlier op",
                            op->name, tensor.name);
    op->output = t;
    return LLMOPT_OK;
  }

  // --- whole-plan checks ----------------------------------------------------------------------

  Status checkEveryTensorWritten() {
    for (size_t t = 0; t < m_.tensors.size(); ++t) {
      const TensorKind kind = m_.tensors[t].kind;
      if ((kind == TensorKind::Intermediate || kind == TensorKind::Output) && !written_[t])
        return LLMOPT_INVALID("tensor '%s' is never written by any op", m_.tensors[t].name);
    }
    return LLMOPT_OK;
  }

  // Each symbol takes its value from an input dim that is exactly that symbol.
  Status bindSymbols() {
    const size_t count = m_.symbol_names.size();
    m_.symbol_sources.assign(count, SymbolSource{UINT32_MAX, -1});
    for (uint32_t i = 0; i < m_.inputs.size(); ++i) {
      const TensorDesc& t = m_.tensors[m_.inputs[i]];
      for (int d = 0; d < t.rank; ++d) {
        if (!t.dims[d].isSymbol()) continue;
        SymbolSource& source = m_.symbol_sources[t.dims[d].syms[0]];
        if (source.input == UINT32_MAX) source = {i, d};
      }
    }
    for (size_t s = 0; s < count; ++s)
      if (m_.symbol_sources[s].input == UINT32_MAX)
        return LLMOPT_INVALID("symbol '%s' is not bound: no model input has a dim that is "
                              "exactly '%s'",
                              m_.symbol_names[s], m_.symbol_names[s]);
    return LLMOPT_OK;
  }

  const plan::Plan& plan_;
  const uint8_t* weights_;
  uint64_t weights_bytes_;
  ModelDesc& m_;
  std::vector<bool> written_;
};

#undef LLMOPT_INVALID

}  // namespace

Status importPlan(const plan::Plan& plan, const uint8_t* weights, uint64_t weights_bytes,
                  ModelDesc* out) {
  return Importer(plan, weights, weights_bytes, out).run();
}

}  // namespace llmopt::rt
