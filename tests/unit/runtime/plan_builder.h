// Test helper: builds llmopt artifacts with the FlatBuffers builder and packArtifact, including
// deliberately broken ones (every field is reachable before build()).
#ifndef LLMOPT_TESTS_UNIT_RUNTIME_PLAN_BUILDER_H
#define LLMOPT_TESTS_UNIT_RUNTIME_PLAN_BUILDER_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llmopt/plan_generated.h"

namespace llmopt::testing {

struct DimSpec {
  int64_t num = 1;
  int64_t den = 1;
  std::vector<uint32_t> syms;
};
DimSpec dimOf(int64_t value);                                           // static
DimSpec dimOfSymbol(uint32_t symbol, int64_t num = 1, int64_t den = 1);  // num*symbol/den

struct TensorSpec {
  std::string name;
  plan::DType dtype = plan::DType::F32;
  std::vector<DimSpec> shape;
  plan::TensorKind kind = plan::TensorKind::Intermediate;
  uint64_t weight_offset = 0;
  uint64_t weight_bytes = 0;
  int32_t slot = -1;
};

// A slice start: offset + dim (when has_dim).
struct SymIntSpec {
  int64_t offset = 0;
  bool has_dim = false;
  DimSpec dim;
};

struct OpSpec {
  std::string name;
  plan::OpParams params_type = plan::OpParams::NONE;
  bool omit_params = false;  // the union's type set, its table left out
  int kind = 0;  // BinaryKind, UnaryKind, ReduceKind, WeightLayout or QuantFormat
  int64_t n = 0, k = 0;  // linear, quantized linear; quantized gather: rows, dim; k: trilu
  int64_t group_size = 0;  // quantized linear and gather
  bool has_bias = false;
  int32_t axis = 0;
  std::vector<int32_t> perm;
  std::vector<int32_t> axes;      // reduce, slice
  bool keepdims = false;          // reduce
  std::vector<SymIntSpec> starts; // slice
  std::vector<int64_t> steps;     // slice
  float min = 0, max = 0;         // clip
  float scale = 0;                // fake_quant, attention
  bool causal = false;            // attention
  bool rope = false;              // attention: inputs 3, 4 are cos, sin
  bool key_bias = false;          // attention: the last input is a per-key bias
  int32_t packed_kv_heads = 0;    // attention: > 0 when input 0 packs q, k and v
  int32_t kv_cache = -1;          // attention: its KV cache layer
  bool offset_by_cache = false;   // range
  plan::Activation activation = plan::Activation::None;  // linear epilogue
  bool residual = false;          // linear epilogue: the last input is the residual
  int32_t zero_point = 0, qmin = 0, qmax = 0;  // fake_quant
  float epsilon = 0;              // layer norm
  double value = 0, delta = 0;    // fill; range (start = value)
  bool upper = false;             // trilu
  std::vector<uint32_t> inputs, outputs;
};

class PlanBuilder {
 public:
  uint32_t symbol(const std::string& name);
  uint32_t input(const std::string& name, std::vector<DimSpec> shape,
                 plan::DType dtype = plan::DType::F32);
  // Appends `data` to the weights blob at the next 64-byte aligned offset.
  uint32_t constant(const std::string& name, std::vector<int64_t> shape,
                    const std::vector<float>& data);
  // A constant of any dtype from raw little-endian bytes.
  uint32_t constantBytes(const std::string& name, plan::DType dtype, std::vector<int64_t> shape,
                         const void* data, size_t bytes);
  uint32_t constantI64(const std::string& name, std::vector<int64_t> shape,
                       const std::vector<int64_t>& data);
  uint32_t intermediate(const std::string& name, std::vector<DimSpec> shape, int32_t slot,
                        plan::DType dtype = plan::DType::F32);
  uint32_t output(const std::string& name, std::vector<DimSpec> shape, int32_t slot,
                  plan::DType dtype = plan::DType::F32);

  void binary(const std::string& name, plan::BinaryKind kind, uint32_t a, uint32_t b, uint32_t y);
  void unary(const std::string& name, plan::UnaryKind kind, uint32_t x, uint32_t y);
  void linear(const std::string& name, plan::WeightLayout layout, int64_t n, int64_t k,
              uint32_t x, uint32_t w, int64_t bias /* -1: none */, uint32_t y);
  void matmul(const std::string& name, uint32_t a, uint32_t b, uint32_t y);
  void softmax(const std::string& name, int32_t axis, uint32_t x, uint32_t y);
  void transpose(const std::string& name, std::vector<int32_t> perm, uint32_t x, uint32_t y);
  void copy(const std::string& name, uint32_t x, uint32_t y);

  // Any op: params_type with default params, to be filled in through the returned reference
  // (valid until the next op is added).
  OpSpec& op(const std::string& name, plan::OpParams type, std::vector<uint32_t> inputs,
             uint32_t y);
  OpSpec& clip(const std::string& name, float min, float max, uint32_t x, uint32_t y);
  OpSpec& where(const std::string& name, uint32_t cond, uint32_t x, uint32_t other, uint32_t y);
  OpSpec& reduce(const std::string& name, plan::ReduceKind kind, std::vector<int32_t> axes,
                 bool keepdims, uint32_t x, uint32_t y);
  OpSpec& layerNorm(const std::string& name, int32_t axis, float epsilon, uint32_t x,
                    uint32_t scale, int64_t bias /* -1: none */, uint32_t y);
  OpSpec& gather(const std::string& name, int32_t axis, uint32_t data, uint32_t indices,
                 uint32_t y);
  OpSpec& concat(const std::string& name, int32_t axis, std::vector<uint32_t> inputs, uint32_t y);
  OpSpec& slice(const std::string& name, std::vector<int32_t> axes, std::vector<SymIntSpec> starts,
                std::vector<int64_t> steps, uint32_t x, uint32_t y);
  OpSpec& expand(const std::string& name, uint32_t x, uint32_t y);
  OpSpec& fill(const std::string& name, double value, uint32_t y);
  OpSpec& range(const std::string& name, double start, double delta, uint32_t y);
  OpSpec& trilu(const std::string& name, bool upper, int64_t k, uint32_t x, uint32_t y);
  OpSpec& cast(const std::string& name, uint32_t x, uint32_t y);
  // inputs as the op takes them (plan.fbs: QuantLinearParams, QuantGatherParams).
  OpSpec& quantLinear(const std::string& name, plan::QuantFormat format, int64_t n, int64_t k,
                      int64_t group_size, bool has_bias, std::vector<uint32_t> inputs,
                      uint32_t y);
  OpSpec& quantGather(const std::string& name, plan::QuantFormat format, int64_t rows,
                      int64_t dim, int64_t group_size, std::vector<uint32_t> inputs, uint32_t y);
  OpSpec& fakeQuant(const std::string& name, float scale, int32_t zero_point, int32_t qmin,
                    int32_t qmax, uint32_t x, uint32_t y);
  OpSpec& attention(const std::string& name, float scale, bool causal, uint32_t q, uint32_t k,
                    uint32_t v, uint32_t y);

  // The FlatBuffer alone, and the whole artifact (plan + weights, checksum filled in).
  std::vector<uint8_t> planBytes() const;
  std::vector<uint8_t> build() const;

  // Editable before build(). inputs/outputs default to every Input/Output tensor in creation
  // order; num_slots defaults to the largest slot + 1.
  std::vector<std::string> symbols;
  std::vector<TensorSpec> tensors;
  std::vector<OpSpec> ops;
  std::vector<uint8_t> weights;
  std::vector<uint32_t> inputs, outputs;
  int64_t num_slots = -1;
  int64_t kv_cache_max_seq = 0;
  int kv_cache_type = 0;  // plan::KvCacheType's value (any byte, for rejection tests)
  std::string producer = "llmopt tests";
  std::string target = "cpu";
  // A cuda module (target "cuda"): the architectures and where its image lies in `weights`. The
  // header's target is cuda exactly when `cuda_archs` is non-empty.
  std::vector<std::string> cuda_archs;
  uint64_t cuda_image_offset = 0, cuda_image_bytes = 0;
  // The kernel of each op; unset: op i runs kernel i.
  std::optional<std::vector<uint32_t>> cuda_op_kernels;

 private:
  uint32_t addTensor(TensorSpec spec);
};

SymIntSpec symInt(int64_t offset);                                       // a constant
SymIntSpec symInt(int64_t offset, DimSpec dim);                          // offset + dim

// Row-major [k][n] weights in the PackedN16 layout: ceil(n/16) panels of [k][16].
std::vector<float> packN16(const std::vector<float>& w_kn, int64_t k, int64_t n);

}  // namespace llmopt::testing

#endif  // LLMOPT_TESTS_UNIT_RUNTIME_PLAN_BUILDER_H
