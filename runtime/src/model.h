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
#include "kernels/cpu/generic/kv_cache.h"
#include "kernels/cpu/generic/unary.h"
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

// An integer known up to the model's symbols: offset + (dim's value, when has_dim).
struct SymIntExpr {
  int64_t offset = 0;
  bool has_dim = false;
  DimExpr dim;
};

// One sliced axis of a Slice op.
struct SliceAxis {
  int32_t axis = 0;
  SymIntExpr start;
  int64_t step = 1;  // never 0
};

struct OpDesc {
  const char* name = "";  // the ONNX node name, never null
  OpKernel kernel = OpKernel::Copy;
  std::vector<uint32_t> inputs;  // tensor indices (Fill and Range have none)
  uint32_t output = 0;           // every op has one output
  // Parameters, by kernel.
  uint8_t sub_op = 0;            // binary, unary: kernels::cpu::BinaryOp / UnaryOp
  int32_t axis = 0;              // softmax, layer_norm, gather, concat (normalised)
  int32_t perm[kMaxRank] = {};   // transpose
  kernels::cpu::BLayout w_layout = kernels::cpu::BLayout::PackedN16;  // linear
  int64_t n = 0, k = 0;          // linear; quantized gather: rows, dim; k: trilu's diagonal
  int64_t group_size = 0;        // int4 linear and gather
  bool has_bias = false;         // linear, layer_norm
  uint32_t reduce_axes = 0;      // reduce: bit d set when axis d is reduced
  bool keepdims = false;         // reduce
  bool upper = false;            // trilu
  float min = 0.0f, max = 0.0f;  // clip; fake_quant: qmin, qmax
  float scale = 0.0f;            // fake_quant, attention
  bool causal = false;           // attention
  bool rope = false;             // attention: inputs 3, 4 are the cos, sin tables
  bool key_bias = false;         // attention: the last input is a per-key bias
  int32_t packed_kv_heads = 0;   // attention: > 0 when input 0 is packed q, k, v (plan.fbs)
  int32_t kv_cache = -1;         // attention: its layer of the KV cache, or -1
  bool offset_by_cache = false;  // range: the positions, moved by the cached length
  // Linear epilogues (fp32 and quantized): y = act(y) + residual, the residual the last input.
  bool has_activation = false;
  kernels::cpu::UnaryOp activation = kernels::cpu::UnaryOp::Relu;
  bool swiglu = false;  // the product is [m, n] (gate, up) and y = silu(gate) * up is [m, n/2]
  bool residual = false;
  int32_t zero_point = 0;        // fake_quant
  float epsilon = 0.0f;          // layer_norm
  double value = 0.0;            // fill; range's start
  double delta = 0.0;            // range
  std::vector<SliceAxis> slice;  // slice: the listed axes
};

// Where a symbol gets its value: dim `dim` of model input `input` is exactly that symbol.
struct SymbolSource {
  uint32_t input;
  int32_t dim;
};

struct ModelDesc {
  const char* producer = "";
  const char* target = "cpu";  // "cpu" or "cuda"
  std::vector<const char*> symbol_names;
  std::vector<SymbolSource> symbol_sources;  // one per symbol
  std::vector<TensorDesc> tensors;
  std::vector<uint32_t> inputs;   // tensor indices, model order
  std::vector<uint32_t> outputs;  // tensor indices, model order
  std::vector<OpDesc> ops;
  uint32_t num_slots = 0;
  int64_t kv_cache_max_seq = 0;   // positions of the KV cache; 0: the model has none
  kernels::cpu::KvCacheType kv_cache_type = kernels::cpu::KvCacheType::F32;
  uint32_t kv_cache_layers = 0;   // attention ops with a kv_cache index (0 .. layers - 1)
  // target "cuda": the fatbin holding kernels llmopt_k<j>, j < cuda_kernel_count (inside the
  // artifact, checked in bounds at load), the kernel of each op, and the GPU architectures it has
  // code for ("sm_80", ...).
  const uint8_t* cuda_image = nullptr;
  uint64_t cuda_image_bytes = 0;
  std::vector<uint32_t> cuda_op_kernels;  // per op
  uint32_t cuda_kernel_count = 0;
  std::vector<const char*> cuda_archs;
  const char* cuda_arch_list = "";  // cuda_archs joined with commas
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
