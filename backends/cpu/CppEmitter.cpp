//===- CppEmitter.cpp - an artifact's plan as standalone C++ --------------===//
//
// The runtime does the work: its loader checks the artifact and imports the plan, a session
// resolves the shapes and lays out the arena for the given inputs, and the emitted code replays
// exactly that: the same descriptors, shapes and offsets, executed by the same kernels. So the
// emitted program computes what `llmopt run` computes on the artifact, bit for bit.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/CppEmitter.h"

#include "backends/artifact/AtomicFile.h"

#include "dtype.h"
#include "format/xxhash64.h"
#include "loader.h"
#include "session.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace llmopt {
namespace {

using rt::OpDesc;
using rt::OpKernel;
using rt::TensorKind;

const char* kernelId(OpKernel kernel) {
  static const char* const ids[] = {
#define LLMOPT_KERNEL_ID_TEXT(id, name) #id,
      LLMOPT_OP_KERNELS(LLMOPT_KERNEL_ID_TEXT)
#undef LLMOPT_KERNEL_ID_TEXT
  };
  return ids[static_cast<size_t>(kernel)];
}

const char* dtypeEnum(llmopt_dtype dtype) {
  switch (dtype) {
    case LLMOPT_DTYPE_F32: return "LLMOPT_DTYPE_F32";
    case LLMOPT_DTYPE_F16: return "LLMOPT_DTYPE_F16";
    case LLMOPT_DTYPE_BF16: return "LLMOPT_DTYPE_BF16";
    case LLMOPT_DTYPE_I8: return "LLMOPT_DTYPE_I8";
    case LLMOPT_DTYPE_U8: return "LLMOPT_DTYPE_U8";
    case LLMOPT_DTYPE_I32: return "LLMOPT_DTYPE_I32";
    case LLMOPT_DTYPE_I64: return "LLMOPT_DTYPE_I64";
    default: return "LLMOPT_DTYPE_BOOL";
  }
}

const char* kindEnum(TensorKind kind) {
  switch (kind) {
    case TensorKind::Input: return "TensorKind::Input";
    case TensorKind::Constant: return "TensorKind::Constant";
    case TensorKind::Output: return "TensorKind::Output";
    default: return "TensorKind::Intermediate";
  }
}

// The C element type an input or output is handed over as.
const char* cType(llmopt_dtype dtype) {
  switch (dtype) {
    case LLMOPT_DTYPE_F32: return "float";
    case LLMOPT_DTYPE_I8: return "int8_t";
    case LLMOPT_DTYPE_I32: return "int32_t";
    case LLMOPT_DTYPE_I64: return "int64_t";
    case LLMOPT_DTYPE_F16:
    case LLMOPT_DTYPE_BF16: return "uint16_t";
    default: return "uint8_t";  // u8, bool
  }
}

// A C++ string literal; octal escapes (always three digits) for anything but printable ASCII.
std::string quoted(const char* text) {
  std::string out = "\"";
  for (const char* p = text; *p; ++p) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c == '?') {  // '?': no trigraphs
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char escape[8];
      snprintf(escape, sizeof escape, "\\%03o", c);
      out += escape;
    }
  }
  return out + "\"";
}

// Exact literals: %.9g round-trips a float, %.17g a double.
std::string floatLiteral(float v) {
  if (std::isnan(v)) return "std::numeric_limits<float>::quiet_NaN()";
  if (std::isinf(v))
    return v > 0 ? "std::numeric_limits<float>::infinity()"
                 : "-std::numeric_limits<float>::infinity()";
  char text[32];
  snprintf(text, sizeof text, "%.9gf", static_cast<double>(v));
  std::string s = text;
  if (s.find_first_of(".e") == std::string::npos) s.insert(s.size() - 1, ".0");
  return s;
}

std::string doubleLiteral(double v) {
  if (std::isnan(v)) return "std::numeric_limits<double>::quiet_NaN()";
  if (std::isinf(v))
    return v > 0 ? "std::numeric_limits<double>::infinity()"
                 : "-std::numeric_limits<double>::infinity()";
  char text[40];
  snprintf(text, sizeof text, "%.17g", v);
  std::string s = text;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string shapeText(const rt::Shape& shape) {
  std::string s = "[";
  for (int d = 0; d < shape.rank; ++d) s += (d ? ", " : "") + std::to_string(shape.dims[d]);
  return s + "]";
}

std::string shapeInit(const rt::Shape& shape) {
  std::string s = "{";
  for (int d = 0; d < shape.rank; ++d) s += (d ? ", " : "") + std::to_string(shape.dims[d]);
  return s + "}";
}

std::string dimExprInit(const rt::DimExpr& e) {
  std::string s = "{" + std::to_string(e.num) + ", " + std::to_string(e.den) + ", " +
                  std::to_string(e.num_syms) + ", {";
  for (int i = 0; i < e.num_syms; ++i) s += (i ? ", " : "") + std::to_string(e.syms[i]);
  return s + "}}";
}

std::string symIntInit(const rt::SymIntExpr& e) {
  return "{" + std::to_string(e.offset) + ", " + (e.has_dim ? "true" : "false") + ", " +
         dimExprInit(e.dim) + "}";
}

// The statements that set op's fields that differ from a default OpDesc.
std::string opFields(const OpDesc& op) {
  const OpDesc d;
  std::ostringstream out;
  out << "op.name = " << quoted(op.name) << "; op.kernel = OpKernel::" << kernelId(op.kernel)
      << ";\n    op.inputs = {";
  for (size_t j = 0; j < op.inputs.size(); ++j) out << (j ? ", " : "") << op.inputs[j];
  out << "}; op.output = " << op.output << ";";
  std::string line;
  const auto field = [&](const std::string& text) {
    if (line.size() + text.size() > 90) {
      out << "\n   " << line;
      line.clear();
    }
    line += " " + text;
  };
  const auto flag = [&](const char* name, bool value, bool base) {
    if (value != base) field(std::string("op.") + name + " = " + (value ? "true;" : "false;"));
  };
  const auto integer = [&](const char* name, int64_t value, int64_t base) {
    if (value != base) field(std::string("op.") + name + " = " + std::to_string(value) + ";");
  };
  const auto real = [&](const char* name, float value, float base) {
    if (std::memcmp(&value, &base, sizeof value) != 0)
      field(std::string("op.") + name + " = " + floatLiteral(value) + ";");
  };
  integer("sub_op", op.sub_op, d.sub_op);
  integer("axis", op.axis, d.axis);
  if (std::memcmp(op.perm, d.perm, sizeof op.perm) != 0)
    for (int i = 0; i < rt::kMaxRank; ++i)
      field("op.perm[" + std::to_string(i) + "] = " + std::to_string(op.perm[i]) + ";");
  if (op.w_layout != d.w_layout)
    field("op.w_layout = static_cast<llmopt::kernels::cpu::BLayout>(" +
          std::to_string(static_cast<int>(op.w_layout)) + ");");
  integer("n", op.n, d.n);
  integer("k", op.k, d.k);
  integer("group_size", op.group_size, d.group_size);
  flag("has_bias", op.has_bias, d.has_bias);
  integer("reduce_axes", op.reduce_axes, d.reduce_axes);
  flag("keepdims", op.keepdims, d.keepdims);
  flag("upper", op.upper, d.upper);
  real("min", op.min, d.min);
  real("max", op.max, d.max);
  real("scale", op.scale, d.scale);
  flag("causal", op.causal, d.causal);
  flag("rope", op.rope, d.rope);
  flag("key_bias", op.key_bias, d.key_bias);
  integer("packed_kv_heads", op.packed_kv_heads, d.packed_kv_heads);
  integer("kv_cache", op.kv_cache, d.kv_cache);
  flag("offset_by_cache", op.offset_by_cache, d.offset_by_cache);
  flag("has_activation", op.has_activation, d.has_activation);
  if (op.activation != d.activation)
    field("op.activation = static_cast<llmopt::kernels::cpu::UnaryOp>(" +
          std::to_string(static_cast<int>(op.activation)) + ");");
  flag("swiglu", op.swiglu, d.swiglu);
  flag("residual", op.residual, d.residual);
  integer("zero_point", op.zero_point, d.zero_point);
  real("epsilon", op.epsilon, d.epsilon);
  if (std::memcmp(&op.value, &d.value, sizeof op.value) != 0)
    field("op.value = " + doubleLiteral(op.value) + ";");
  if (std::memcmp(&op.delta, &d.delta, sizeof op.delta) != 0)
    field("op.delta = " + doubleLiteral(op.delta) + ";");
  for (const rt::SliceAxis& axis : op.slice)
    field("op.slice.push_back({" + std::to_string(axis.axis) + ", " + symIntInit(axis.start) +
          ", " + std::to_string(axis.step) + "});");
  if (!line.empty()) out << "\n   " << line;
  return out.str();
}

std::string hex64(uint64_t v) {
  char text[24];
  snprintf(text, sizeof text, "0x%016" PRIx64 "u", v);
  return text;
}

std::string baseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct Emission {
  const rt::Model& model;
  const rt::Session& session;
  const CppEmitOptions& options;
  std::string ns, headerName;
  const uint8_t* weights;  // the artifact's blob
  uint64_t weightBytes, weightHash;

  const rt::ModelDesc& desc() const { return model.desc; }
  uint64_t workspaceBytes() const {
    return std::max<uint64_t>(session.layout().total_bytes, rt::kArenaAlignment);
  }

  std::string ioComment(const char* what, size_t index, uint32_t tensor) const {
    const rt::TensorDesc& t = desc().tensors[tensor];
    return "//   " + std::string(what) + " " + std::to_string(index) + " '" + t.name +
           "': " + rt::dtypeName(t.dtype) + " " + shapeText(session.shapes()[tensor]) + " (" +
           std::to_string(session.tensorByteCounts()[tensor]) + " bytes, " + cType(t.dtype) + ")\n";
  }

  std::string header() const {
    std::ostringstream h;
    const std::string guard = "LLMOPT_EMITTED_" + ns + "_H";
    h << "// Generated by llmopt compile --emit cpp from " << options.sourceName
      << ". Do not edit.\n"
      << "//\n// Runs the model on fixed shapes:\n";
    for (size_t i = 0; i < desc().inputs.size(); ++i) h << ioComment("input", i, desc().inputs[i]);
    for (size_t i = 0; i < desc().outputs.size(); ++i)
      h << ioComment("output", i, desc().outputs[i]);
    h << "//\n// Build " << baseName(options.outputBase) << ".cpp"
      << (options.embedWeights ? " and " + baseName(options.outputBase) + "_weights.cpp" : "")
      << " with the headers of the llmopt runtime that emitted it\n"
      << "// (runtime/include, runtime/src, runtime) and link its static libraries\n"
      << "// (libllmopt_runtime.a, libllmopt_artifact_format.a, -pthread).\n"
      << "#ifndef " << guard << "\n#define " << guard
      << "\n\n#include <cstddef>\n#include <cstdint>\n\n"
      << "#include \"llmopt/runtime.h\"  // llmopt_dtype\n\n"
      << "namespace " << ns << " {\n\n"
      << "struct TensorInfo {\n  const char* name;\n  llmopt_dtype dtype;\n  int32_t rank;\n"
      << "  int64_t dims[LLMOPT_MAX_RANK];\n  size_t bytes;\n};\n"
      << "constexpr int kNumInputs = " << desc().inputs.size() << ";\n"
      << "constexpr int kNumOutputs = " << desc().outputs.size() << ";\n"
      << "extern const TensorInfo kInputs[kNumInputs];\n"
      << "extern const TensorInfo kOutputs[kNumOutputs];\n\n"
      << "// The one block of working memory a run needs (64-byte aligned).\n"
      << "constexpr size_t kWorkspaceBytes = " << workspaceBytes() << ";\n"
      << "// The weights blob (" << baseName(options.outputBase)
      << (options.embedWeights ? "_weights.cpp" : ".weights")
      << ", 64-byte aligned) and its XXH64.\n"
      << "constexpr size_t kWeightsBytes = " << weightBytes << ";\n"
      << "constexpr uint64_t kWeightsHash = " << hex64(weightHash) << ";\n";
    if (options.embedWeights) h << "extern const unsigned char kEmbeddedWeights[];\n";
    h << "\n// Whether `bytes` bytes at `weights` are the blob this code was emitted for\n"
      << "// (call once after loading it: run() does not check).\n"
      << "bool weightsMatch(const void* weights, size_t bytes);\n\n"
      << "// Runs the model: inputs and outputs in the order above, each of its\n"
      << "// kInputs[i].bytes / kOutputs[i].bytes. weights: the blob"
      << (options.embedWeights ? ", or nullptr for kEmbeddedWeights" : "")
      << "; workspace: kWorkspaceBytes. num_threads: 0 means one per\n"
      << "// core. Returns 0, or an llmopt_status code with lastError() saying why. Calls with\n"
      << "// different workspaces may run at the same time.\n"
      << "int run(const void* weights, void* workspace, const void* const inputs[],\n"
      << "        void* const outputs[], int num_threads = 1);\n"
      << "const char* lastError();\n\n"
      << "}  // namespace " << ns << "\n\n#endif  // " << guard << "\n";
    return h.str();
  }

  std::string source() const {
    const rt::ModelDesc& m = desc();
    const std::vector<rt::Shape>& shapes = session.shapes();
    const rt::ArenaLayout& layout = session.layout();
    std::ostringstream s;
    s << "// Generated by llmopt compile --emit cpp from " << options.sourceName
      << ". Do not edit.\n"
      << "#include \"" << headerName
      << "\"\n\n#include <cstring>\n#include <limits>\n#include <vector>\n\n"
      << "#include \"emitted_support.h\"\n\n"
      << "namespace " << ns << " {\n\n";
    const auto infos = [&](const char* array, const std::vector<uint32_t>& tensors) {
      s << "const TensorInfo " << array << "[] = {\n";
      for (uint32_t t : tensors)
        s << "    {" << quoted(m.tensors[t].name) << ", " << dtypeEnum(m.tensors[t].dtype) << ", "
          << shapes[t].rank << ", " << shapeInit(shapes[t]) << ", " << session.tensorByteCounts()[t]
          << "},\n";
      s << "};\n";
    };
    infos("kInputs", m.inputs);
    infos("kOutputs", m.outputs);
    s << "\nnamespace {\n\nusing namespace llmopt::rt;\n\n"
      << "constexpr size_t kNumTensors = " << m.tensors.size() << ";\n"
      << "constexpr uint64_t kScratchOffset = " << layout.scratch_offset << ";\n"
      << "// The values of the model's symbols (";
    for (size_t i = 0; i < m.symbol_names.size(); ++i)
      s << (i ? ", " : "") << quoted(m.symbol_names[i]);
    s << ") the shapes are fixed for.\nconst int64_t kSymbols[] = {";
    for (size_t i = 0; i < session.symbols().size(); ++i)
      s << (i ? ", " : "") << session.symbols()[i];
    if (session.symbols().empty()) s << "0";
    s << "};\n\n// Per tensor, its shape.\nconst Shape kShapes[kNumTensors] = {\n";
    for (size_t t = 0; t < m.tensors.size(); ++t) s << "    Shape" << shapeInit(shapes[t]) << ",\n";
    s << "};\n\n// The plan's descriptors: tensors (name, dtype, kind), ops (their parameters).\n"
      << "ModelDesc buildModel() {\n  ModelDesc m;\n  m.tensors.resize(kNumTensors);\n";
    for (size_t t = 0; t < m.tensors.size(); ++t) {
      const rt::TensorDesc& d = m.tensors[t];
      s << "  m.tensors[" << t << "].name = " << quoted(d.name) << "; m.tensors[" << t
        << "].dtype = " << dtypeEnum(d.dtype) << "; m.tensors[" << t
        << "].kind = " << kindEnum(d.kind) << ";\n";
    }
    s << "  m.inputs = {";
    for (size_t i = 0; i < m.inputs.size(); ++i) s << (i ? ", " : "") << m.inputs[i];
    s << "};\n  m.outputs = {";
    for (size_t i = 0; i < m.outputs.size(); ++i) s << (i ? ", " : "") << m.outputs[i];
    s << "};\n  m.symbol_names = {";
    for (size_t i = 0; i < m.symbol_names.size(); ++i)
      s << (i ? ", " : "") << quoted(m.symbol_names[i]);
    s << "};\n  m.ops.resize(" << m.ops.size() << ");\n";
    for (size_t i = 0; i < m.ops.size(); ++i)
      s << "  {\n    OpDesc& op = m.ops[" << i << "];\n    " << opFields(m.ops[i]) << "\n  }\n";
    s << "  return m;\n}\n\n}  // namespace\n\n";

    s << "bool weightsMatch(const void* weights, size_t bytes) {\n"
      << "  return emitted::weightsMatch(weights, bytes, kWeightsBytes, kWeightsHash);\n}\n\n"
      << "const char* lastError() { return llmopt::rt::lastError(); }\n\n"
      << "int run(const void* weights, void* workspace, const void* const inputs[],\n"
      << "        void* const outputs[], int num_threads) {\n"
      << "  return emitted::guarded([&]() -> Status {\n";
    if (options.embedWeights) s << "    if (!weights) weights = kEmbeddedWeights;\n";
    s << "    LLMOPT_TRY(emitted::checkBuffers(weights, workspace, inputs, kNumInputs, outputs, "
         "kNumOutputs));\n"
      << "    static const ModelDesc model = buildModel();\n"
      << "    const uint8_t* w = static_cast<const uint8_t*>(weights);\n"
      << "    uint8_t* ws = static_cast<uint8_t*>(workspace);\n"
      << "    void* const data[kNumTensors] = {\n";
    const uint8_t* blob = weights;
    for (size_t t = 0; t < m.tensors.size(); ++t) {
      const rt::TensorDesc& d = m.tensors[t];
      s << "        ";
      switch (d.kind) {
        case TensorKind::Input: {
          const size_t index =
              std::find(m.inputs.begin(), m.inputs.end(), static_cast<uint32_t>(t)) -
              m.inputs.begin();
          s << "const_cast<void*>(inputs[" << index << "]),";
          break;
        }
        case TensorKind::Constant:
          s << "const_cast<uint8_t*>(w + " << (d.constant_data - blob) << "),";
          break;
        default: s << "ws + " << layout.slot_offsets[d.slot] << ","; break;
      }
      s << "  // " << t << " " << d.name << "\n";
    }
    s << "    };\n"
      << "    ExecContext c{&model, kShapes, kSymbols, data,\n"
      << "                  reinterpret_cast<float*>(ws + kScratchOffset), "
         "emitted::threadPool(num_threads)};\n";
    for (size_t i = 0; i < m.ops.size(); ++i) {
      const OpDesc& op = m.ops[i];
      s << "    LLMOPT_TRY(emitted::runOp(" << i << ", c));  // " << rt::opKernelName(op.kernel)
        << " " << op.name << " -> " << shapeText(shapes[op.output]) << "\n";
    }
    s << "    for (int i = 0; i < kNumOutputs; ++i)\n"
      << "      std::memcpy(outputs[i], data[model.outputs[i]], kOutputs[i].bytes);\n"
      << "    return LLMOPT_OK;\n  });\n}\n\n}  // namespace " << ns << "\n";
    return s.str();
  }

  std::string embeddedWeights() const {
    std::string s = "// Generated by llmopt compile --emit cpp --embed-weights from " +
                    options.sourceName + ". Do not edit.\n#include \"" + headerName +
                    "\"\n\nnamespace " + ns +
                    " {\n\nalignas(64) const unsigned char "
                    "kEmbeddedWeights[] = {\n";
    s.reserve(s.size() + weightBytes * 4 + weightBytes / 20 * 5);
    char number[8];
    for (uint64_t i = 0; i < weightBytes; ++i) {
      snprintf(number, sizeof number, "%u,", weights[i]);
      s += number;
      if (i % 24 == 23) s += '\n';
    }
    if (weightBytes == 0) s += "0";  // no empty array
    return s + "\n};\n\n}  // namespace " + ns + "\n";
  }
};

bool writeWhole(const std::string& path, const void* data, size_t size, std::string& error) {
  AtomicFile file(path);
  return file.open(error) && file.write(data, size, error) && file.commit(error);
}

}  // namespace

std::string cppNamespaceFor(const std::string& outputBase) {
  std::string ns = baseName(outputBase);
  for (char& c : ns)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) c = '_';
  if (ns.empty() || std::isdigit(static_cast<unsigned char>(ns[0]))) ns = "model_" + ns;
  return ns;
}

bool emitCpp(const CppEmitOptions& options, CppEmitStats* stats, std::string& error) {
  const auto runtimeError = [&](const std::string& what) {
    error = what + ": " + rt::lastError();
    return false;
  };
  rt::Model model;
  if (rt::loadModelFile(options.artifactPath.c_str(), nullptr, &model) != LLMOPT_OK)
    return runtimeError("the compiled model does not load");
  const rt::ModelDesc& desc = model.desc;
  if (desc.inputs.empty()) {
    error = "--emit cpp: the model has no inputs";
    return false;
  }
  if (options.inputDims.size() != desc.inputs.size()) {
    error = "internal: " + std::to_string(options.inputDims.size()) + " input shapes for " +
            std::to_string(desc.inputs.size()) + " inputs";
    return false;
  }

  rt::Session session(model, 1);
  alignas(64) static const uint8_t kNoData[64] = {};  // plan() reads shapes only
  for (size_t i = 0; i < desc.inputs.size(); ++i) {
    const rt::TensorDesc& t = desc.tensors[desc.inputs[i]];
    const std::vector<int64_t>& dims = options.inputDims[i];
    uint64_t bytes = rt::dtypeSize(t.dtype);
    for (int64_t d : dims) bytes *= static_cast<uint64_t>(d);
    if (session.setInput(i, t.dtype, static_cast<int32_t>(dims.size()), dims.data(), kNoData,
                         bytes) != LLMOPT_OK)
      return runtimeError("input shapes");
  }
  if (session.plan() != LLMOPT_OK) return runtimeError("the shapes do not fit the model");

  Emission emission{model,
                    session,
                    options,
                    cppNamespaceFor(options.outputBase),
                    baseName(options.outputBase) + ".h",
                    model.data + model.header.weights_offset,
                    model.header.weights_bytes,
                    0};
  emission.weightHash = artifact::xxhash64(emission.weights, emission.weightBytes);

  // Everything in memory first, then the files: an error leaves none of them half-written.
  std::vector<std::pair<std::string, std::string>> files;
  if (options.embedWeights)
    files.emplace_back(options.outputBase + "_weights.cpp", emission.embeddedWeights());
  else
    files.emplace_back(options.outputBase + ".weights", "");  // written from the mapping
  files.emplace_back(options.outputBase + ".cpp", emission.source());
  files.emplace_back(options.outputBase + ".h", emission.header());
  for (const auto& [path, text] : files) {
    const bool blob = !options.embedWeights && &path == &files.front().first;
    if (!(blob ? writeWhole(path, emission.weights, emission.weightBytes, error)
               : writeWhole(path, text.data(), text.size(), error)))
      return false;
    if (stats) stats->files.push_back(path);
  }
  if (stats) {
    stats->numOps = desc.ops.size();
    stats->workspaceBytes = emission.workspaceBytes();
    stats->weightBytes = emission.weightBytes;
  }
  return true;
}

}  // namespace llmopt
