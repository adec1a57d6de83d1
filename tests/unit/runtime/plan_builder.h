// Test helper: builds llmopt artifacts with the FlatBuffers builder and packArtifact, including
// deliberately broken ones (every field is reachable before build()).
#ifndef LLMOPT_TESTS_UNIT_RUNTIME_PLAN_BUILDER_H
#define LLMOPT_TESTS_UNIT_RUNTIME_PLAN_BUILDER_H

#include <cstdint>
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

struct OpSpec {
  std::string name;
  plan::OpParams params_type = plan::OpParams::NONE;
  int kind = 0;  // BinaryKind, UnaryKind or WeightLayout
  int64_t n = 0, k = 0;
  bool has_bias = false;
  int32_t axis = 0;
  std::vector<int32_t> perm;
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
  std::string producer = "llmopt tests";
  std::string target = "cpu";

 private:
  uint32_t addTensor(TensorSpec spec);
};

// Row-major [k][n] weights in the PackedN16 layout: ceil(n/16) panels of [k][16].
std::vector<float> packN16(const std::vector<float>& w_kn, int64_t k, int64_t n);

}  // namespace llmopt::testing

#endif  // LLMOPT_TESTS_UNIT_RUNTIME_PLAN_BUILDER_H
