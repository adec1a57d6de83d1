#include "plan_import.h"

#include <cinttypes>
#include <cstring>
#include <string>

#include "checked_math.h"
#include "dtype.h"
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
    if (plan_.target() && std::strcmp(plan_.target()->c_str(), "cpu") != 0)
      return fail(LLMOPT_ERROR_UNSUPPORTED,
                  "plan targets '%s'; this runtime executes 'cpu' plans", plan_.target()->c_str());
    m_.producer = plan_.producer() ? plan_.producer()->c_str() : "";
    m_.num_slots = plan_.num_slots();
    LLMOPT_TRY(importSymbols());
    LLMOPT_TRY(importTensors());
    LLMOPT_TRY(importInputs());
    LLMOPT_TRY(importOutputs());
    LLMOPT_TRY(importOps());
    LLMOPT_TRY(checkEveryTensorWritten());
    LLMOPT_TRY(checkSlotLiveness(m_));
    return bindSymbols();
  }

 private:
  const char* madeUpName(const char* prefix, size_t index) {
    m_.strings.push_back(std::string(prefix) + "#" + std::to_string(index));
    return m_.strings.back().c_str();
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
      LLMOPT_TRY(importParams(in, &op));
      written_[op.output] = true;
    }
    return LLMOPT_OK;
  }

  Status importOperands(const plan::Op& in, OpDesc* op) {
    const auto* inputs = in.inputs();
    const auto* outputs = in.outputs();
    const size_t num_inputs = inputs ? inputs->size() : 0;
    const size_t num_outputs = outputs ? outputs->size() : 0;
    if (num_inputs > 3)
      return LLMOPT_INVALID("op '%s': %zu inputs (no kernel takes more than 3)", op->name,
                            num_inputs);
    if (num_outputs != 1)
      return LLMOPT_INVALID("op '%s': %zu outputs (every kernel has exactly 1)", op->name,
                            num_outputs);
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
    op->num_inputs = static_cast<int32_t>(num_inputs);
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

  const TensorDesc& in(const OpDesc& op, int j) const { return m_.tensors[op.inputs[j]]; }
  const TensorDesc& out(const OpDesc& op) const { return m_.tensors[op.output]; }

  Status expectInputs(const OpDesc& op, int count) {
    if (op.num_inputs != count)
      return LLMOPT_INVALID("op '%s' (%s): %d inputs, the kernel takes %d", op.name,
                            opKernelName(op.kernel), op.num_inputs, count);
    return LLMOPT_OK;
  }

  // Every operand, inputs and output, has `dtype`.
  Status expectAll(const OpDesc& op, llmopt_dtype dtype) {
    for (int j = 0; j < op.num_inputs; ++j)
      if (in(op, j).dtype != dtype)
        return LLMOPT_INVALID("op '%s' (%s): input '%s' is %s, the kernel takes %s", op.name,
                              opKernelName(op.kernel), in(op, j).name, dtypeName(in(op, j).dtype),
                              dtypeName(dtype));
    if (out(op).dtype != dtype)
      return LLMOPT_INVALID("op '%s' (%s): output '%s' is %s, the kernel writes %s", op.name,
                            opKernelName(op.kernel), out(op).name, dtypeName(out(op).dtype),
                            dtypeName(dtype));
    return LLMOPT_OK;
  }

  // The output has the input's dtype and, for elementwise ops, its rank.
  Status expectSameDtype(const OpDesc& op) { return expectAll(op, in(op, 0).dtype); }

  Status expectMinRank(const OpDesc& op, const TensorDesc& t, int rank) {
    if (t.rank < rank)
      return LLMOPT_INVALID("op '%s' (%s): '%s' has rank %d, the kernel needs at least %d",
                            op.name, opKernelName(op.kernel), t.name, t.rank, rank);
    return LLMOPT_OK;
  }

  Status missingParams(const OpDesc& op, const char* expected) {
    return LLMOPT_INVALID("op '%s': has no %s", op.name, expected);
  }

  Status importParams(const plan::Op& op_in, OpDesc* op) {
    using P = plan::OpParams;
    switch (op_in.params_type()) {
      case P::BinaryParams: {
        const auto* p = op_in.params_as_BinaryParams();
        if (!p) return missingParams(*op, "BinaryParams");
        switch (p->kind()) {
          case plan::BinaryKind::Add: op->kernel = OpKernel::AddF32; break;
          case plan::BinaryKind::Sub: op->kernel = OpKernel::SubF32; break;
          case plan::BinaryKind::Mul: op->kernel = OpKernel::MulF32; break;
          case plan::BinaryKind::Div: op->kernel = OpKernel::DivF32; break;
          default:
            return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s': unknown binary kind %d", op->name,
                        static_cast<int>(p->kind()));
        }
        LLMOPT_TRY(expectInputs(*op, 2));
        return expectAll(*op, LLMOPT_DTYPE_F32);
      }
      case P::UnaryParams: {
        const auto* p = op_in.params_as_UnaryParams();
        if (!p) return missingParams(*op, "UnaryParams");
        switch (p->kind()) {
          case plan::UnaryKind::Relu: op->kernel = OpKernel::ReluF32; break;
          case plan::UnaryKind::Gelu: op->kernel = OpKernel::GeluF32; break;
          case plan::UnaryKind::GeluTanh: op->kernel = OpKernel::GeluTanhF32; break;
          case plan::UnaryKind::Tanh: op->kernel = OpKernel::TanhF32; break;
          case plan::UnaryKind::Sigmoid: op->kernel = OpKernel::SigmoidF32; break;
          default:
            return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s': unknown unary kind %d", op->name,
                        static_cast<int>(p->kind()));
        }
        LLMOPT_TRY(expectInputs(*op, 1));
        return expectAll(*op, LLMOPT_DTYPE_F32);
      }
      case P::LinearParams: {
        const auto* p = op_in.params_as_LinearParams();
        if (!p) return missingParams(*op, "LinearParams");
        op->kernel = OpKernel::LinearF32;
        return importLinear(*p, op);
      }
      case P::MatMulParams: {
        if (!op_in.params_as_MatMulParams()) return missingParams(*op, "MatMulParams");
        op->kernel = OpKernel::MatMulF32;
        LLMOPT_TRY(expectInputs(*op, 2));
        LLMOPT_TRY(expectAll(*op, LLMOPT_DTYPE_F32));
        LLMOPT_TRY(expectMinRank(*op, in(*op, 0), 1));
        return expectMinRank(*op, in(*op, 1), 1);
      }
      case P::SoftmaxParams: {
        const auto* p = op_in.params_as_SoftmaxParams();
        if (!p) return missingParams(*op, "SoftmaxParams");
        op->kernel = OpKernel::SoftmaxF32;
        LLMOPT_TRY(expectInputs(*op, 1));
        LLMOPT_TRY(expectAll(*op, LLMOPT_DTYPE_F32));
        const int rank = in(*op, 0).rank;
        if (p->axis() < 0 || p->axis() >= rank)
          return LLMOPT_INVALID("op '%s' (softmax_f32): axis %d is outside [0, %d)", op->name,
                                p->axis(), rank);
        op->axis = p->axis();
        return LLMOPT_OK;
      }
      case P::TransposeParams: {
        const auto* p = op_in.params_as_TransposeParams();
        if (!p) return missingParams(*op, "TransposeParams");
        op->kernel = OpKernel::Transpose;
        LLMOPT_TRY(expectInputs(*op, 1));
        LLMOPT_TRY(expectSameDtype(*op));
        return importPerm(p->perm(), op);
      }
      case P::CopyParams: {
        if (!op_in.params_as_CopyParams()) return missingParams(*op, "CopyParams");
        op->kernel = OpKernel::Copy;
        LLMOPT_TRY(expectInputs(*op, 1));
        return expectSameDtype(*op);
      }
      case P::NONE:
        return LLMOPT_INVALID("op '%s': has no params", op->name);
      default:
        return fail(LLMOPT_ERROR_UNSUPPORTED,
                    "op '%s': params type %d is unknown to this runtime (newer compiler?)",
                    op->name, static_cast<int>(op_in.params_type()));
    }
  }

  Status importLinear(const plan::LinearParams& p, OpDesc* op) {
    op->n = p.n();
    op->k = p.k();
    op->has_bias = p.has_bias();
    switch (p.weight_layout()) {
      case plan::WeightLayout::KN: op->w_layout = kernels::cpu::BLayout::KN; break;
      case plan::WeightLayout::PackedN16: op->w_layout = kernels::cpu::BLayout::PackedN16; break;
      default:
        return fail(LLMOPT_ERROR_UNSUPPORTED, "op '%s' (linear_f32): unknown weight layout %d",
                    op->name, static_cast<int>(p.weight_layout()));
    }
    LLMOPT_TRY(expectInputs(*op, op->has_bias ? 3 : 2));
    LLMOPT_TRY(expectAll(*op, LLMOPT_DTYPE_F32));
    if (op->n < 1 || op->k < 1 || op->n > (int64_t(1) << 40) || op->k > (int64_t(1) << 40))
      return LLMOPT_INVALID("op '%s' (linear_f32): n = %" PRId64 ", k = %" PRId64
                            " (each must be in [1, 2^40])",
                            op->name, op->n, op->k);
    LLMOPT_TRY(expectMinRank(*op, in(*op, 0), 1));

    const TensorDesc& w = in(*op, 1);
    if (w.kind != TensorKind::Constant)
      return LLMOPT_INVALID("op '%s' (linear_f32): weight '%s' is not a constant", op->name,
                            w.name);
    Shape expected;
    if (op->w_layout == kernels::cpu::BLayout::KN) {
      expected = Shape{op->k, op->n};
    } else {
      expected = Shape{(op->n + 15) / 16, op->k, 16};
    }
    bool matches = w.rank == expected.rank;
    for (int d = 0; matches && d < w.rank; ++d)
      matches = w.dims[d].num / w.dims[d].den == expected.dims[d];  // constants are static
    if (!matches)
      return LLMOPT_INVALID("op '%s' (linear_f32): weight '%s' must have shape %s for n = %" PRId64
                            ", k = %" PRId64,
                            op->name, w.name,
                            op->w_layout == kernels::cpu::BLayout::KN ? "[k, n]"
                                                                      : "[ceil(n/16), k, 16]",
                            op->n, op->k);
    if (op->has_bias && in(*op, 2).rank != 1)
      return LLMOPT_INVALID("op '%s' (linear_f32): bias '%s' must have rank 1", op->name,
                            in(*op, 2).name);
    return LLMOPT_OK;
  }

  Status importPerm(const fb::Vector<int32_t>* perm, OpDesc* op) {
    const int rank = in(*op, 0).rank;
    const size_t size = perm ? perm->size() : 0;
    if (size != static_cast<size_t>(rank) || out(*op).rank != rank)
      return LLMOPT_INVALID("op '%s' (transpose): perm has %zu entries for input rank %d and "
                            "output rank %d",
                            op->name, size, rank, out(*op).rank);
    bool used[kMaxRank] = {};
    for (int d = 0; d < rank; ++d) {
      int32_t axis = perm->Get(d);
      if (axis < 0 || axis >= rank || used[axis])
        return LLMOPT_INVALID("op '%s' (transpose): perm is not a permutation of [0, %d)",
                              op->name, rank);
      used[axis] = true;
      op->perm[d] = axis;
    }
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
