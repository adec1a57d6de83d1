// A loaded model: the artifact's bytes (mapped or borrowed) and the plan, checked and turned into
// plain descriptors the session executes without touching the FlatBuffer again.
#ifndef LLMOPT_RUNTIME_MODEL_H
#define LLMOPT_RUNTIME_MODEL_H

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "artifact_format.h"
#include "kernels/cpu/generic/gemm.h"
#include "kernels/cpu/shape.h"
#include "llmopt/runtime.h"
#include "mapped_file.h"
#include "op_kernel.h"

namespace llmopt::rt {

using kernels::kMaxRank;
using kernels::Shape;
static_assert(kMaxRank == artifact::kMaxRank && kMaxRank == LLMOPT_MAX_RANK,
              "the kernels, the artifact format and the C API disagree on the maximum rank");

constexpr int kMaxDimSymbols = artifact::kMaxDimSymbols;  // symbols in one dim's monomial

// value = num * product(symbol values of syms) / den, with den > 0 and num >= 0.
struct DimExpr {
  int64_t num = 1;
  int64_t den = 1;
  int32_t num_syms = 0;
  uint32_t syms[kMaxDimSymbols] = {};

  bool isStatic() const { return num_syms == 0; }
  // Exactly one symbol, as a model input's dynamic dim binds it.
  bool isSymbol() const { return num == 1 && den == 1 && num_syms == 1; }
};

enum class TensorKind : uint8_t { Input, Constant, Intermediate, Output };

struct TensorDesc {
  const char* name = "";  // never null ("#<index>" style names are made at import)
  llmopt_dtype dtype = LLMOPT_DTYPE_F32;
  TensorKind kind = TensorKind::Intermediate;
  int32_t rank = 0;
  DimExpr dims[kMaxRank];
  const uint8_t* constant_data = nullptr;  // Constant: inside the weights blob
  int32_t slot = -1;                       // Intermediate, Output: arena slot
};

struct OpDesc {
  const char* name = "";  // the ONNX node name, never null
  OpKernel kernel = OpKernel::Copy;
  int32_t num_inputs = 0;
  uint32_t inputs[3] = {};
  uint32_t output = 0;  // every format-v1 op has one output
  // Parameters, by kernel.
  int32_t axis = 0;              // softmax
  int32_t perm[kMaxRank] = {};   // transpose
  kernels::cpu::BLayout w_layout = kernels::cpu::BLayout::PackedN16;  // linear
  int64_t n = 0, k = 0;          // linear
  bool has_bias = false;         // linear
};

// Where a symbol gets its value: dim `dim` of model input `input` is exactly that symbol.
struct SymbolSource {
  uint32_t input;
  int32_t dim;
};

struct ModelDesc {
  const char* producer = "";
  const char* target = "cpu";
  std::vector<const char*> symbol_names;
  std::vector<SymbolSource> symbol_sources;  // one per symbol
  std::vector<TensorDesc> tensors;
  std::vector<uint32_t> inputs;   // tensor indices, model order
  std::vector<uint32_t> outputs;  // tensor indices, model order
  std::vector<OpDesc> ops;
  uint32_t num_slots = 0;
  std::deque<std::string> strings;  // made-up names; a deque keeps c_str() pointers stable
};

struct Model {
  MappedFile file;  // empty when loaded from caller memory
  const uint8_t* data = nullptr;
  size_t size = 0;
  artifact::ArtifactHeader header{};
  ModelDesc desc;
  std::vector<llmopt_tensor_info> input_infos, output_infos;
};

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_MODEL_H
