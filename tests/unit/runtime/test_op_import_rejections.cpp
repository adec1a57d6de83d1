// The loader refuses malformed ops of every kind: wrong operand counts, dtypes, axes, ranks,
// missing params. Each case builds a small plan with one bad op.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "api_test_util.h"

namespace llmopt::testing {
namespace {

using plan::DType;

llmopt_status loadBytes(const std::vector<uint8_t>& bytes) {
  llmopt_model* model = nullptr;
  const llmopt_status status =
      llmopt_model_load_memory(bytes.data(), bytes.size(), nullptr, &model);
  EXPECT_EQ(status == LLMOPT_OK, model != nullptr);
  llmopt_model_free(model);
  return status;
}

std::vector<DimSpec> dims(std::initializer_list<int64_t> values) {
  std::vector<DimSpec> out;
  for (int64_t v : values) out.push_back(dimOf(v));
  return out;
}

struct OpCase {
  const char* what;
  std::function<void(PlanBuilder&)> build;
  const char* message;
  llmopt_status status = LLMOPT_ERROR_INVALID_ARTIFACT;
};

void PrintTo(const OpCase& c, std::ostream* os) { *os << c.what; }

class OpRejection : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpRejection, RefusedWithMessage) {
  PlanBuilder b;
  GetParam().build(b);
  EXPECT_TRUE(failsWith(loadBytes(b.build()), GetParam().status, GetParam().message));
}

// y = op(x [2, 3] of dtype) with one output of out_dtype / out_shape.
struct Unary {
  uint32_t x, y;
};
Unary unaryPlan(PlanBuilder& b, DType in = DType::F32, DType out = DType::F32,
                std::vector<DimSpec> x_shape = dims({2, 3}),
                std::vector<DimSpec> y_shape = dims({2, 3})) {
  return {b.input("x", std::move(x_shape), in), b.output("y", std::move(y_shape), 0, out)};
}

const OpCase kCases[] = {
    // --- binary ---
    {"binary with 3 inputs",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.op("add", plan::OpParams::BinaryParams, {x, x, x}, y);
     },
     "op 'add' (add_f32): 3 inputs, the kernel takes 2"},
    {"binary on i32",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::I32, DType::I32);
       b.binary("add", plan::BinaryKind::Add, x, x, y);
     },
     "op 'add' (add_f32): input 'x' is i32, the kernel takes f32 or i64"},
    {"binary mixing f32 and i64",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::I64, DType::I64);
       const uint32_t f = b.input("f", dims({2, 3}));
       b.binary("mul", plan::BinaryKind::Mul, x, f, y);
     },
     "op 'mul' (mul_i64): input 'f' is f32, the kernel takes i64"},
    {"comparison writing f32",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.binary("less", plan::BinaryKind::Less, x, x, y);
     },
     "op 'less' (less_f32): output 'y' is f32, the kernel writes bool"},
    {"logic on f32",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::F32, DType::BOOL);
       b.binary("and", plan::BinaryKind::And, x, x, y);
     },
     "op 'and' (and_bool): input 'x' is f32, the kernel takes bool"},
    {"unknown binary kind",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.binary("b", static_cast<plan::BinaryKind>(15), x, x, y);
     },
     "op 'b': unknown binary kind 15", LLMOPT_ERROR_UNSUPPORTED},
    // --- unary, clip ---
    {"neg of bool",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::BOOL, DType::BOOL);
       b.unary("neg", plan::UnaryKind::Neg, x, y);
     },
     "op 'neg' (neg_f32): input 'x' is bool, the kernel takes f32"},
    {"exp of i64",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::I64, DType::I64);
       b.unary("exp", plan::UnaryKind::Exp, x, y);
     },
     "op 'exp' (exp_f32): input 'x' is i64, the kernel takes f32"},
    {"not of f32",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.unary("not", plan::UnaryKind::Not, x, y);
     },
     "op 'not' (not_bool): input 'x' is f32, the kernel takes bool"},
    {"abs i64 writing f32",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::I64, DType::F32);
       b.unary("abs", plan::UnaryKind::Abs, x, y);
     },
     "op 'abs' (abs_i64): output 'y' is f32, the kernel writes i64"},
    {"clip of i64",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::I64, DType::I64);
       b.clip("clip", 0, 1, x, y);
     },
     "op 'clip' (clip_f32): input 'x' is i64, the kernel takes f32"},
    {"clip without params",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.clip("clip", 0, 1, x, y).omit_params = true;
     },
     "op 'clip': has no ClipParams"},
    // --- quantized linear and gather: packed constants as the compiler writes them ---
    {"W8A8 linear whose packed weight has one element too few",
     [](PlanBuilder& b) {
       // n 20, k 8: 2 panels x 2 quads x 64 bytes.
       const uint32_t x = b.input("x", dims({3, 8}));
       const std::vector<int8_t> w(255), zeros(128);
       const std::vector<int32_t> sums(32);
       const std::vector<float> scale(32, 1.0f);
       const uint32_t wt = b.constantBytes("w", DType::I8, {255}, w.data(), w.size());
       const uint32_t st = b.constantBytes("sums", DType::I32, {32}, sums.data(), 128);
       const uint32_t sc = b.constant("scale", {32}, scale);
       const uint32_t y = b.output("y", dims({3, 20}), 0);
       b.quantLinear("ql", plan::QuantFormat::Int8W8A8, 20, 8, 0, false, {x, wt, st, sc}, y);
     },
     "op 'ql' (linear_int8): weight 'w' must be 1-D with 256 elements"},
    {"int8 linear whose scale is a run-time input",
     [](PlanBuilder& b) {
       const uint32_t x = b.input("x", dims({3, 8}));
       const uint32_t s = b.input("s", dims({16}));
       const std::vector<int8_t> w(128);
       const uint32_t wt = b.constantBytes("w", DType::I8, {128}, w.data(), w.size());
       const uint32_t y = b.output("y", dims({3, 16}), 0);
       b.quantLinear("ql", plan::QuantFormat::Int8, 16, 8, 0, false, {x, wt, s}, y);
     },
     "op 'ql' (linear_int8_weight): scale 's' is not a constant"},
    {"int4 linear with group size 0",
     [](PlanBuilder& b) {
       const uint32_t x = b.input("x", dims({3, 8}));
       const std::vector<uint8_t> w(64);
       const uint32_t wt = b.constantBytes("w", DType::U8, {64}, w.data(), w.size());
       const uint32_t y = b.output("y", dims({3, 16}), 0);
       b.quantLinear("ql", plan::QuantFormat::Int4, 16, 8, 0, false, {x, wt, wt, wt}, y);
     },
     "op 'ql' (linear_int4): group_size = 0 (must be in [1, 2^40])"},
    {"quantized linear of an unknown format",
     [](PlanBuilder& b) {
       const uint32_t x = b.input("x", dims({3, 8}));
       const uint32_t y = b.output("y", dims({3, 16}), 0);
       b.quantLinear("ql", static_cast<plan::QuantFormat>(9), 16, 8, 0, false, {x, x}, y);
     },
     "op 'ql': unknown quantized format 9", LLMOPT_ERROR_UNSUPPORTED},
    {"quantized gather in the W8A8 format",
     [](PlanBuilder& b) {
       const uint32_t ids = b.input("ids", dims({4}), DType::I64);
       const uint32_t y = b.output("y", dims({4, 8}), 0);
       b.quantGather("qg", plan::QuantFormat::Int8W8A8, 10, 8, 0, {ids, ids}, y);
     },
     "op 'qg': format 0 is not a table format", LLMOPT_ERROR_UNSUPPORTED},
    {"int8 gather whose row scales are one short",
     [](PlanBuilder& b) {
       const uint32_t ids = b.input("ids", dims({4}), DType::I64);
       const std::vector<int8_t> table(80);
       const uint32_t t = b.constantBytes("table", DType::I8, {80}, table.data(), table.size());
       const uint32_t s = b.constant("scale", {9}, std::vector<float>(9, 1.0f));
       const uint32_t y = b.output("y", dims({4, 8}), 0);
       b.quantGather("qg", plan::QuantFormat::Int8, 10, 8, 0, {t, ids, s}, y);
     },
     "op 'qg' (gather_int8): scale 'scale' must be 1-D with 10 elements"},
    {"fp16 gather with f32 indices",
     [](PlanBuilder& b) {
       const uint32_t ids = b.input("ids", dims({4}));
       const std::vector<uint16_t> table(80);
       const uint32_t t = b.constantBytes("table", DType::F16, {80}, table.data(), 160);
       const uint32_t y = b.output("y", dims({4, 8}), 0);
       b.quantGather("qg", plan::QuantFormat::F16, 10, 8, 0, {t, ids}, y);
     },
     "op 'qg' (gather_fp16): indices 'ids' is f32, the kernel takes i64 or i32"},
    // --- fake_quant ---
    {"fake_quant with a zero scale",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.fakeQuant("fq", 0.0f, 0, -128, 127, x, y);
     },
     "op 'fq': fake_quant needs a positive finite scale and qmin <= zero_point <= qmax within "
     "8-bit range"},
    {"fake_quant with the zero point outside [qmin, qmax]",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.fakeQuant("fq", 0.5f, 200, -128, 127, x, y);
     },
     "op 'fq': fake_quant needs a positive finite scale"},
    {"fake_quant of i64",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::I64, DType::I64);
       b.fakeQuant("fq", 0.5f, 0, -128, 127, x, y);
     },
     "op 'fq' (fake_quant_f32): input 'x' is i64, the kernel takes f32"},
    // --- attention: q [1, 4, 2, 8], k and v [1, 6, 1, 8] ---
    {"attention with 2 inputs",
     [](PlanBuilder& b) {
       const uint32_t q = b.input("q", dims({1, 4, 2, 8}));
       const uint32_t k = b.input("k", dims({1, 6, 1, 8}));
       const uint32_t y = b.output("y", dims({1, 4, 2, 8}), 0);
       b.op("attn", plan::OpParams::AttentionParams, {q, k}, y);
     },
     "op 'attn' (attention_f32): 2 inputs, the kernel takes 3"},
    {"attention with an i64 value",
     [](PlanBuilder& b) {
       const uint32_t q = b.input("q", dims({1, 4, 2, 8}));
       const uint32_t k = b.input("k", dims({1, 6, 1, 8}));
       const uint32_t v = b.input("v", dims({1, 6, 1, 8}), DType::I64);
       const uint32_t y = b.output("y", dims({1, 4, 2, 8}), 0);
       b.attention("attn", 0.5f, true, q, k, v, y);
     },
     "op 'attn' (attention_f32): input 'v' is i64, the kernel takes f32"},
    {"attention with a rank-3 query",
     [](PlanBuilder& b) {
       const uint32_t q = b.input("q", dims({4, 2, 8}));
       const uint32_t k = b.input("k", dims({1, 6, 1, 8}));
       const uint32_t v = b.input("v", dims({1, 6, 1, 8}));
       const uint32_t y = b.output("y", dims({1, 4, 2, 8}), 0);
       b.attention("attn", 0.5f, false, q, k, v, y);
     },
     "op 'attn' (attention_f32): 'q' has rank 3, expected 4"},
    {"attention with a head size above 256",
     [](PlanBuilder& b) {
       const uint32_t q = b.input("q", dims({1, 4, 2, 300}));
       const uint32_t k = b.input("k", dims({1, 6, 1, 300}));
       const uint32_t v = b.input("v", dims({1, 6, 1, 300}));
       const uint32_t y = b.output("y", dims({1, 4, 2, 300}), 0);
       b.attention("attn", 0.5f, true, q, k, v, y);
     },
     "op 'attn' (attention_f32): 'q' has head size 300, above the kernel's 256"},
    {"attention with a NaN scale",
     [](PlanBuilder& b) {
       const uint32_t q = b.input("q", dims({1, 4, 2, 8}));
       const uint32_t k = b.input("k", dims({1, 6, 1, 8}));
       const uint32_t v = b.input("v", dims({1, 6, 1, 8}));
       const uint32_t y = b.output("y", dims({1, 4, 2, 8}), 0);
       b.attention("attn", NAN, true, q, k, v, y);
     },
     "op 'attn' (attention_f32): scale nan is not finite"},
    {"attention with rope but no tables",
     [](PlanBuilder& b) {
       const uint32_t q = b.input("q", dims({1, 4, 2, 8}));
       const uint32_t k = b.input("k", dims({1, 6, 1, 8}));
       const uint32_t v = b.input("v", dims({1, 6, 1, 8}));
       const uint32_t y = b.output("y", dims({1, 4, 2, 8}), 0);
       b.attention("attn", 0.5f, true, q, k, v, y).rope = true;
     },
     "op 'attn' (attention_f32): 3 inputs, the kernel takes 5"},
    {"attention with a rank-3 key bias",
     [](PlanBuilder& b) {
       const uint32_t q = b.input("q", dims({1, 4, 2, 8}));
       const uint32_t k = b.input("k", dims({1, 6, 1, 8}));
       const uint32_t v = b.input("v", dims({1, 6, 1, 8}));
       const uint32_t bias = b.input("bias", dims({1, 1, 6}));
       const uint32_t y = b.output("y", dims({1, 4, 2, 8}), 0);
       OpSpec& o = b.op("attn", plan::OpParams::AttentionParams, {q, k, v, bias}, y);
       o.scale = 0.5f;
       o.key_bias = true;
     },
     "op 'attn' (attention_f32): 'bias' has rank 3, expected 2"},
    {"packed attention with a negative key/value head count",
     [](PlanBuilder& b) {
       const uint32_t qkv = b.input("qkv", dims({1, 4, 4, 8}));
       const uint32_t y = b.output("y", dims({1, 4, 2, 8}), 0);
       OpSpec& o = b.op("attn", plan::OpParams::AttentionParams, {qkv}, y);
       o.scale = 0.5f;
       o.packed_kv_heads = -1;
     },
     "op 'attn' (attention_f32): packed_kv_heads -1 is negative"},
    {"packed attention given separate q, k, v",
     [](PlanBuilder& b) {
       const uint32_t q = b.input("q", dims({1, 4, 2, 8}));
       const uint32_t k = b.input("k", dims({1, 4, 1, 8}));
       const uint32_t v = b.input("v", dims({1, 4, 1, 8}));
       const uint32_t y = b.output("y", dims({1, 4, 2, 8}), 0);
       b.attention("attn", 0.5f, true, q, k, v, y).packed_kv_heads = 1;
     },
     "op 'attn' (attention_f32): 3 inputs, the kernel takes 1"},
    {"attention without params",
     [](PlanBuilder& b) {
       const uint32_t q = b.input("q", dims({1, 4, 2, 8}));
       const uint32_t k = b.input("k", dims({1, 6, 1, 8}));
       const uint32_t v = b.input("v", dims({1, 6, 1, 8}));
       const uint32_t y = b.output("y", dims({1, 4, 2, 8}), 0);
       b.attention("attn", 0.5f, true, q, k, v, y).omit_params = true;
     },
     "op 'attn': has no AttentionParams"},
    // --- where ---
    {"where with f32 condition",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.where("where", x, x, x, y);
     },
     "op 'where' (where): input 'x' is f32, the kernel takes bool"},
    {"where branches of two dtypes",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       const uint32_t c = b.input("c", dims({2, 3}), DType::BOOL);
       const uint32_t i = b.input("i", dims({2, 3}), DType::I64);
       b.where("where", c, x, i, y);
     },
     "op 'where' (where): input 'i' is i64, the kernel takes f32"},
    {"where with 2 inputs",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       const uint32_t c = b.input("c", dims({2, 3}), DType::BOOL);
       b.op("where", plan::OpParams::WhereParams, {c, x}, y);
     },
     "op 'where' (where): 2 inputs, the kernel takes 3"},
    // --- reduce ---
    {"reduce without axes",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.reduce("sum", plan::ReduceKind::Sum, {}, true, x, y);
     },
     "op 'sum' (reduce_sum_f32): no axes to reduce"},
    {"reduce axes unsorted",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::F32, DType::F32, dims({2, 3}), dims({1, 1}));
       b.reduce("mean", plan::ReduceKind::Mean, {1, 0}, true, x, y);
     },
     "op 'mean' (reduce_mean_f32): axes are not sorted and distinct"},
    {"reduce axis out of range",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.reduce("max", plan::ReduceKind::Max, {2}, true, x, y);
     },
     "op 'max' (reduce_max_f32): axis 2 is outside [0, 2)"},
    {"reduce negative axis",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.reduce("max", plan::ReduceKind::Max, {-1}, true, x, y);
     },
     "op 'max' (reduce_max_f32): axis -1 is outside [0, 2)"},
    {"reduce output rank",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.reduce("min", plan::ReduceKind::Min, {1}, false, x, y);
     },
     "op 'min' (reduce_min_f32): 'y' has rank 2, expected 1"},
    {"reduce unknown kind",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.reduce("r", static_cast<plan::ReduceKind>(9), {1}, true, x, y);
     },
     "op 'r': unknown reduce kind 9", LLMOPT_ERROR_UNSUPPORTED},
    {"reduce without params",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.reduce("r", plan::ReduceKind::Sum, {1}, true, x, y).omit_params = true;
     },
     "op 'r': has no ReduceParams"},
    // --- layer norm ---
    {"layer norm bias missing",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       const uint32_t s = b.constant("s", {3}, {1, 1, 1});
       b.layerNorm("ln", 1, 1e-5f, x, s, -1, y).has_bias = true;
     },
     "op 'ln' (layer_norm_f32): 2 inputs, the kernel takes 3"},
    {"layer norm axis",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       const uint32_t s = b.constant("s", {3}, {1, 1, 1});
       b.layerNorm("ln", 2, 1e-5f, x, s, -1, y);
     },
     "op 'ln' (layer_norm_f32): axis 2 is outside [0, 2)"},
    {"layer norm scale rank",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       const uint32_t s = b.constant("s", {3}, {1, 1, 1});
       b.layerNorm("ln", 0, 1e-5f, x, s, -1, y);
     },
     "op 'ln' (layer_norm_f32): 's' has rank 1, expected 2"},
    {"layer norm negative epsilon",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       const uint32_t s = b.constant("s", {3}, {1, 1, 1});
       b.layerNorm("ln", 1, -1.0f, x, s, -1, y);
     },
     "op 'ln' (layer_norm_f32): epsilon -1 is negative or NaN"},
    {"layer norm of i64",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::I64, DType::I64);
       const uint32_t s = b.constant("s", {3}, {1, 1, 1});
       b.layerNorm("ln", 1, 1e-5f, x, s, -1, y);
     },
     "op 'ln' (layer_norm_f32): input 'x' is i64, the kernel takes f32"},
    // --- gather ---
    {"gather with f32 indices",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.gather("g", 0, x, x, y);
     },
     "op 'g' (gather): indices 'x' is f32, the kernel takes i64 or i32"},
    {"gather axis",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       const uint32_t i = b.input("i", dims({2}), DType::I64);
       b.gather("g", 2, x, i, y);
     },
     "op 'g' (gather): axis 2 is outside [0, 2)"},
    {"gather output rank",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       const uint32_t i = b.input("i", dims({2, 2}), DType::I64);
       b.gather("g", 0, x, i, y);
     },
     "op 'g' (gather): 'y' has rank 2, expected 3"},
    {"gather output dtype",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::F32, DType::I64);
       const uint32_t i = b.input("i", dims({2}), DType::I64);
       b.gather("g", 0, x, i, y);
     },
     "op 'g' (gather): input 'x' is f32, the kernel takes i64"},
    {"gather with 1 input",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.op("g", plan::OpParams::GatherParams, {x}, y);
     },
     "op 'g' (gather): 1 inputs, the kernel takes 2"},
    // --- concat ---
    {"concat without inputs",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       (void)x;
       b.concat("cat", 0, {}, y);
     },
     "op 'cat' (concat): no inputs, the kernel takes at least 1"},
    {"concat of two dtypes",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       const uint32_t i = b.input("i", dims({2, 3}), DType::I64);
       b.concat("cat", 0, {x, i}, y);
     },
     "op 'cat' (concat): input 'i' is i64, the kernel takes f32"},
    {"concat of two ranks",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       const uint32_t z = b.input("z", dims({3}));
       b.concat("cat", 0, {x, z}, y);
     },
     "op 'cat' (concat): 'z' has rank 1, expected 2"},
    {"concat axis",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.concat("cat", -1, {x}, y);
     },
     "op 'cat' (concat): axis -1 is outside [0, 2)"},
    // --- slice ---
    {"slice lists of different lengths",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.slice("s", {1}, {symInt(0)}, {}, x, y);
     },
     "op 's' (slice): 1 axes, 1 starts and 0 steps"},
    {"slice step 0",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.slice("s", {1}, {symInt(0)}, {0}, x, y);
     },
     "op 's' (slice): step along axis 1 is 0"},
    {"slice axis twice",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.slice("s", {1, 1}, {symInt(0), symInt(0)}, {1, 1}, x, y);
     },
     "op 's' (slice): axis 1 is listed twice"},
    {"slice axis out of range",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.slice("s", {5}, {symInt(0)}, {1}, x, y);
     },
     "op 's' (slice): axis 5 is outside [0, 2)"},
    {"slice start with unknown symbol",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.slice("s", {1}, {symInt(-1, dimOfSymbol(3))}, {1}, x, y);
     },
     "op 's' (slice): start along axis 1 uses symbol 3, the plan has 0"},
    {"slice start with zero denominator",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.slice("s", {1}, {symInt(0, DimSpec{1, 0, {}})}, {1}, x, y);
     },
     "op 's' (slice): start along axis 1 has num 1, den 0"},
    {"slice changing rank",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::F32, DType::F32, dims({2, 3}), dims({2}));
       b.slice("s", {1}, {symInt(0)}, {1}, x, y);
     },
     "op 's' (slice): 'y' has rank 1, expected 2"},
    {"slice without params",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.slice("s", {}, {}, {}, x, y).omit_params = true;
     },
     "op 's': has no SliceParams"},
    // --- expand, trilu ---
    {"expand to a lower rank",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::F32, DType::F32, dims({2, 3}), dims({3}));
       b.expand("e", x, y);
     },
     "op 'e' (expand): input 'x' has rank 2, above the output's 1"},
    {"expand changing dtype",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::F32, DType::I32);
       b.expand("e", x, y);
     },
     "op 'e' (expand): input 'x' is f32, the kernel takes i32"},
    {"trilu of rank 1",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::F32, DType::F32, dims({3}), dims({3}));
       b.trilu("t", true, 0, x, y);
     },
     "op 't' (trilu): 'x' has rank 1, the kernel needs at least 2"},
    {"trilu of i32",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::I32, DType::I32);
       b.trilu("t", true, 0, x, y);
     },
     "op 't' (trilu): output 'y' is i32, the kernel takes f32, i64 or bool"},
    // --- fill, range, cast ---
    {"fill with an input",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.fill("f", 1.0, y).inputs = {x};
     },
     "op 'f' (fill): 1 inputs, the kernel takes 0"},
    {"fill of f16",
     [](PlanBuilder& b) {
       b.input("x", dims({2}));
       const uint32_t y = b.output("y", dims({2}), 0, DType::F16);
       b.fill("f", 1.0, y);
     },
     "op 'f' (fill): output 'y' is f16, the kernel takes f32, i64, i32 or bool"},
    {"range of rank 2",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::F32, DType::I64);
       (void)x;
       b.range("r", 0, 1, y);
     },
     "op 'r' (range): 'y' has rank 2, expected 1"},
    {"range of bool",
     [](PlanBuilder& b) {
       b.input("x", dims({2}));
       const uint32_t y = b.output("y", dims({2}), 0, DType::BOOL);
       b.range("r", 0, 1, y);
     },
     "op 'r' (range): output 'y' is bool, the kernel takes f32, i64 or i32"},
    {"range without params",
     [](PlanBuilder& b) {
       b.input("x", dims({2}));
       const uint32_t y = b.output("y", dims({2}), 0, DType::I64);
       b.range("r", 0, 1, y).omit_params = true;
     },
     "op 'r': has no RangeParams"},
    {"cast to f16",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::F32, DType::F16);
       b.cast("c", x, y);
     },
     "op 'c' (cast): output 'y' is f16, the kernel takes f32, i64, i32 or bool"},
    {"cast from u8",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::U8, DType::F32);
       b.cast("c", x, y);
     },
     "op 'c' (cast): input 'x' is u8, the kernel takes f32, i64, i32 or bool"},
    {"cast changing rank",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b, DType::F32, DType::I64, dims({2, 3}), dims({6}));
       b.cast("c", x, y);
     },
     "op 'c' (cast): 'y' has rank 1, expected 2"},
    {"two outputs",
     [](PlanBuilder& b) {
       auto [x, y] = unaryPlan(b);
       b.cast("c", x, y).outputs = {y, y};
     },
     "op 'c': 2 outputs (every kernel has exactly 1)"},
};

INSTANTIATE_TEST_SUITE_P(Ops, OpRejection, ::testing::ValuesIn(kCases), [](const auto& info) {
  std::string name = info.param.what;
  for (char& c : name)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
});

}  // namespace
}  // namespace llmopt::testing
