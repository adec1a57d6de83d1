// Plans using the ops of format v2, run through the C API: results against naive loops, and the
// run-time errors (a gather index out of range, a slice reading past its input, shapes that do
// not fit) naming the op.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "api_test_util.h"

namespace llmopt::testing {
namespace {

using plan::DType;

template <class T>
llmopt_status setInput(llmopt_session* s, size_t index, llmopt_dtype dtype,
                       std::vector<int64_t> dims, const std::vector<T>& data) {
  return llmopt_session_set_input(s, index, dtype, static_cast<int32_t>(dims.size()), dims.data(),
                                  data.data(), data.size() * sizeof(T));
}

template <class T>
std::vector<T> output(llmopt_session* s, size_t index, std::vector<int64_t> expected_dims) {
  llmopt_tensor t;
  EXPECT_EQ(llmopt_session_get_output(s, index, &t), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(std::vector<int64_t>(t.dims, t.dims + t.rank), expected_dims);
  std::vector<T> v(t.size_bytes / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), t.data, t.size_bytes);
  return v;
}

::testing::AssertionResult close(const std::vector<float>& actual,
                                 const std::vector<float>& expected, float tolerance = 1e-5f) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure() << actual.size() << " vs " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i)
    if (!(std::fabs(actual[i] - expected[i]) <= tolerance * (1 + std::fabs(expected[i]))))
      return ::testing::AssertionFailure()
             << "element " << i << ": " << actual[i] << " vs " << expected[i];
  return ::testing::AssertionSuccess();
}

// ids [batch, seq] (i64) -> embedding rows [batch, seq, 4] -> layer norm -> minus the mean over
// the sequence.
class Embedding : public ::testing::Test {
 protected:
  void SetUp() override {
    PlanBuilder b;
    const uint32_t batch = b.symbol("batch"), seq = b.symbol("seq");
    const auto B = dimOfSymbol(batch), S = dimOfSymbol(seq);
    for (int i = 0; i < 5 * 4; ++i) table_.push_back(std::sin(i * 0.7f) * 3);
    const uint32_t ids = b.input("ids", {B, S}, DType::I64);
    const uint32_t emb = b.constant("emb", {5, 4}, table_);
    const uint32_t scale = b.constant("scale", {4}, {1, 2, 0.5f, -1});
    const uint32_t bias = b.constant("bias", {4}, {0, 1, 0, -1});
    const uint32_t rows = b.intermediate("rows", {B, S, dimOf(4)}, 0);
    const uint32_t norm = b.intermediate("norm", {B, S, dimOf(4)}, 1);
    const uint32_t mean = b.intermediate("mean", {B, dimOf(1), dimOf(4)}, 0);
    const uint32_t y = b.output("y", {B, S, dimOf(4)}, 2);
    b.gather("embed", 0, emb, ids, rows);
    b.layerNorm("ln", 2, 1e-5f, rows, scale, bias, norm);
    b.reduce("seq_mean", plan::ReduceKind::Mean, {1}, true, norm, mean);
    b.binary("center", plan::BinaryKind::Sub, norm, mean, y);
    loaded_ = load(b);
    ASSERT_TRUE(loaded_->session);
  }

  std::vector<float> reference(const std::vector<int64_t>& ids, int64_t batch, int64_t seq) {
    const float scale[4] = {1, 2, 0.5f, -1}, bias[4] = {0, 1, 0, -1};
    std::vector<float> norm(batch * seq * 4), y(norm.size());
    for (int64_t r = 0; r < batch * seq; ++r) {
      const int64_t id = ids[r] < 0 ? ids[r] + 5 : ids[r];
      const float* row = &table_[id * 4];
      double mean = 0, var = 0;
      for (int i = 0; i < 4; ++i) mean += row[i] / 4.0;
      for (int i = 0; i < 4; ++i) var += (row[i] - mean) * (row[i] - mean) / 4.0;
      for (int i = 0; i < 4; ++i)
        norm[r * 4 + i] = static_cast<float>((row[i] - mean) / std::sqrt(var + 1e-5) * scale[i] +
                                             bias[i]);
    }
    for (int64_t bi = 0; bi < batch; ++bi)
      for (int i = 0; i < 4; ++i) {
        double m = 0;
        for (int64_t s = 0; s < seq; ++s) m += norm[(bi * seq + s) * 4 + i];
        m /= seq;
        for (int64_t s = 0; s < seq; ++s)
          y[(bi * seq + s) * 4 + i] = static_cast<float>(norm[(bi * seq + s) * 4 + i] - m);
      }
    return y;
  }

  std::vector<float> table_;
  std::unique_ptr<Loaded> loaded_;
};

TEST_F(Embedding, MatchesReference) {
  llmopt_session* s = loaded_->session.get();
  const std::vector<int64_t> ids = {0, 4, -1, 2, 3, 3};
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_I64, {2, 3}, ids), LLMOPT_OK) << llmopt_last_error();
  ASSERT_EQ(llmopt_session_run(s), LLMOPT_OK) << llmopt_last_error();
  EXPECT_TRUE(close(output<float>(s, 0, {2, 3, 4}), reference(ids, 2, 3)));
}

TEST_F(Embedding, IndexOutOfRangeFailsTheRun) {
  llmopt_session* s = loaded_->session.get();
  const std::vector<int64_t> bad = {0, 1, 7};
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_I64, {1, 3}, bad), LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(s), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "op 'embed': gather index 7 (from 'ids') is outside [-5, 5) along axis 0 "
                        "of 'emb'"));
  llmopt_tensor t;
  EXPECT_EQ(llmopt_session_get_output(s, 0, &t), LLMOPT_ERROR_STATE);
  const std::vector<int64_t> negative = {-6};
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_I64, {1, 1}, negative), LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(s), LLMOPT_ERROR_INVALID_ARGUMENT, "gather index -6"));
  // The session recovers with good indices.
  const std::vector<int64_t> good = {1, 2, 3};
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_I64, {1, 3}, good), LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(s), LLMOPT_OK) << llmopt_last_error();
  EXPECT_TRUE(close(output<float>(s, 0, {1, 3, 4}), reference(good, 1, 3)));
}

// x [seq, seq] f32 -> softmax(where(trilu(fill 1) == 0, -inf, x)): a causal attention pattern,
// with the mask built from a slice of a constant [8, 8] (as exporters do) or from ops.
class CausalMask : public ::testing::Test {
 protected:
  void build(bool sliced_constant) {
    PlanBuilder b;
    const uint32_t seq = b.symbol("seq");
    const auto S = dimOfSymbol(seq);
    const uint32_t x = b.input("x", {S, S});
    const uint32_t ones = b.intermediate("ones", {S, S}, 0);
    const uint32_t lower = b.intermediate("lower", {S, S}, 1);
    const uint32_t masked = b.intermediate("masked", {S, S}, 2, DType::BOOL);
    const uint32_t zero = b.constant("zero", {}, {0.0f});
    const uint32_t ninf = b.constant("ninf", {1}, {-INFINITY});
    const uint32_t scores = b.intermediate("scores", {S, S}, 0);
    const uint32_t y = b.output("y", {S, S}, 1);
    if (sliced_constant) {
      std::vector<float> full(64);
      for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 8; ++j) full[i * 8 + j] = j <= i ? 1.0f : 0.0f;
      const uint32_t table = b.constant("table", {8, 8}, full);
      b.fill("ones", 1.0, ones);  // unused: every intermediate must be written
      b.slice("mask_slice", {0, 1}, {symInt(0), symInt(0)}, {1, 1}, table, lower);
    } else {
      b.fill("ones", 1.0, ones);
      b.trilu("tril", false, 0, ones, lower);
    }
    b.binary("is_zero", plan::BinaryKind::Equal, lower, zero, masked);
    b.where("mask", masked, ninf, x, scores);
    b.softmax("probs", 1, scores, y);
    loaded_ = load(b);
    ASSERT_TRUE(loaded_->session);
  }

  void check(int64_t n) {
    llmopt_session* s = loaded_->session.get();
    std::vector<float> x(n * n);
    for (int64_t i = 0; i < n * n; ++i) x[i] = std::cos(static_cast<float>(i));
    ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_F32, {n, n}, x), LLMOPT_OK);
    ASSERT_EQ(llmopt_session_run(s), LLMOPT_OK) << llmopt_last_error();
    std::vector<float> expected(n * n, 0.0f);
    for (int64_t i = 0; i < n; ++i) {
      double total = 0;
      for (int64_t j = 0; j <= i; ++j) total += std::exp(double(x[i * n + j]));
      for (int64_t j = 0; j <= i; ++j)
        expected[i * n + j] = static_cast<float>(std::exp(double(x[i * n + j])) / total);
    }
    EXPECT_TRUE(close(output<float>(s, 0, {n, n}), expected));
  }

  std::unique_ptr<Loaded> loaded_;
};

TEST_F(CausalMask, FromOps) {
  build(false);
  check(1);
  check(5);
}

TEST_F(CausalMask, FromASlicedConstant) {
  build(true);
  check(8);
  check(3);
}

TEST_F(CausalMask, SliceReadingPastTheConstantFailsTheRun) {
  build(true);
  llmopt_session* s = loaded_->session.get();
  std::vector<float> x(81);
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_F32, {9, 9}, x), LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(s), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "op 'mask_slice': slice along axis 0 reads index 8, outside the "
                        "input's dim 8"));
  check(4);  // a shorter sequence runs again
}

// x [batch, seq, 3] -> x[:, seq-1] (a SymInt start), x[:, ::-2], positions as f32.
TEST(SliceSession, SymbolicStartAndNegativeStep) {
  PlanBuilder b;
  const uint32_t batch = b.symbol("batch"), seq = b.symbol("seq");
  const auto B = dimOfSymbol(batch), S = dimOfSymbol(seq);
  const uint32_t x = b.input("x", {B, S, dimOf(3)}, DType::I64);
  const uint32_t last = b.output("last", {B, dimOf(1), dimOf(3)}, 0, DType::I64);
  const uint32_t rev = b.output("rev", {B, dimOfSymbol(seq, 1, 2), dimOf(3)}, 1, DType::I64);
  b.slice("last_token", {1}, {symInt(-1, S)}, {1}, x, last);
  b.slice("reverse", {1, 2}, {symInt(-1, S), symInt(2)}, {-2, -1}, x, rev);
  auto l = load(b);
  ASSERT_TRUE(l->session);
  llmopt_session* s = l->session.get();
  const int64_t nb = 2, ns = 4;
  std::vector<int64_t> data(nb * ns * 3);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<int64_t>(i);
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_I64, {nb, ns, 3}, data), LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(s), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(output<int64_t>(s, 0, {2, 1, 3}), (std::vector<int64_t>{9, 10, 11, 21, 22, 23}));
  // rows 3, 1 of each batch, columns reversed.
  EXPECT_EQ(output<int64_t>(s, 1, {2, 2, 3}),
            (std::vector<int64_t>{11, 10, 9, 5, 4, 3, 23, 22, 21, 17, 16, 15}));
}

// A slice start that only fails for some symbol values: seq - 5 is negative for seq < 5.
TEST(SliceSession, StartBeforeTheInput) {
  PlanBuilder b;
  const uint32_t seq = b.symbol("seq");
  const uint32_t x = b.input("x", {dimOfSymbol(seq)});
  const uint32_t y = b.output("y", {dimOf(2)}, 0);
  b.slice("tail", {0}, {symInt(-5, dimOfSymbol(seq))}, {1}, x, y);
  auto l = load(b);
  ASSERT_TRUE(l->session);
  llmopt_session* s = l->session.get();
  std::vector<float> x6 = {0, 1, 2, 3, 4, 5}, x3 = {0, 1, 2};
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_F32, {6}, x6), LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(s), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(output<float>(s, 0, {2}), (std::vector<float>{1, 2}));
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_F32, {3}, x3), LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(s), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "op 'tail': slice along axis 0 reads index -2, outside the input's dim 3"));
}

// positions = cast(range(0, 1) [seq]) expanded to [batch, seq]; joined with x along axis 1,
// clipped, negated; plus i64 and bool ops on the way.
TEST(ValueOps, RangeCastExpandConcatClip) {
  PlanBuilder b;
  const uint32_t batch = b.symbol("batch"), seq = b.symbol("seq");
  const auto B = dimOfSymbol(batch), S = dimOfSymbol(seq);
  const uint32_t x = b.input("x", {B, S});
  const uint32_t two = b.constantI64("two", {1}, {2});
  const uint32_t zero = b.constantI64("zero", {}, {0});
  int32_t slot = 0;  // one slot per tensor
  const uint32_t pos = b.intermediate("pos", {S}, slot++, DType::I64);
  const uint32_t pos2 = b.intermediate("pos2", {S}, slot++, DType::I64);
  const uint32_t posf = b.intermediate("posf", {S}, slot++);
  const uint32_t wide = b.intermediate("wide", {B, S}, slot++);
  const uint32_t both = b.intermediate("both", {B, dimOfSymbol(seq, 2)}, slot++);
  const uint32_t clipped = b.intermediate("clipped", {B, dimOfSymbol(seq, 2)}, slot++);
  const uint32_t y = b.output("y", {B, dimOfSymbol(seq, 2)}, slot++);
  const uint32_t half = b.intermediate("half", {S}, slot++, DType::I64);
  const uint32_t back = b.intermediate("back", {S}, slot++, DType::I64);
  const uint32_t rem = b.intermediate("rem", {S}, slot++, DType::I64);
  const uint32_t even = b.intermediate("even", {S}, slot++, DType::BOOL);
  const uint32_t odd = b.output("odd", {S}, slot++, DType::BOOL);
  b.range("positions", 0, 1, pos);
  b.binary("double", plan::BinaryKind::Mul, pos, two, pos2);
  b.cast("to_f32", pos2, posf);
  b.expand("broadcast", posf, wide);
  b.concat("join", 1, {x, wide}, both);
  b.clip("clip", -1.0f, 3.0f, both, clipped);
  b.unary("neg", plan::UnaryKind::Neg, clipped, y);
  // odd = !((pos - 2 * (pos / 2)) == 0)
  b.binary("half", plan::BinaryKind::Div, pos, two, half);
  b.binary("back", plan::BinaryKind::Mul, half, two, back);
  b.binary("rem", plan::BinaryKind::Sub, pos, back, rem);
  b.binary("even", plan::BinaryKind::Equal, rem, zero, even);
  b.unary("odd", plan::UnaryKind::Not, even, odd);
  auto l = load(b);
  ASSERT_TRUE(l->session);
  llmopt_session* s = l->session.get();
  const std::vector<float> xs = {-3, 0.5f, 9, 1, 2, -0.25f};  // [2, 3]
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_F32, {2, 3}, xs), LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(s), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(output<float>(s, 0, {2, 6}),
            (std::vector<float>{1, -0.5f, -3, 0, -2, -3, -1, -2, 0.25f, 0, -2, -3}));
  EXPECT_EQ(output<uint8_t>(s, 1, {3}), (std::vector<uint8_t>{0, 1, 0}));
}

// Shapes that only resolve at run are checked against each new op before anything runs.
TEST(ShapeChecks, ConcatLayerNormExpandWhere) {
  // concat: [n, 2] ++ [3, 2] written as [n + 3 = 5, 2]: fine for n = 2, not for n = 4.
  {
    PlanBuilder b;
    const uint32_t n = b.symbol("n");
    const uint32_t x = b.input("x", {dimOfSymbol(n), dimOf(2)});
    const uint32_t c = b.constant("c", {3, 2}, {1, 2, 3, 4, 5, 6});
    const uint32_t y = b.output("y", {dimOf(5), dimOf(2)}, 0);
    b.concat("join", 0, {x, c}, y);
    auto l = load(b);
    ASSERT_TRUE(l->session);
    std::vector<float> x2(4, 7.0f), x4(8);
    ASSERT_EQ(setInput(l->session.get(), 0, LLMOPT_DTYPE_F32, {2, 2}, x2), LLMOPT_OK);
    ASSERT_EQ(llmopt_session_run(l->session.get()), LLMOPT_OK) << llmopt_last_error();
    EXPECT_EQ(output<float>(l->session.get(), 0, {5, 2}),
              (std::vector<float>{7, 7, 7, 7, 1, 2, 3, 4, 5, 6}));
    ASSERT_EQ(setInput(l->session.get(), 0, LLMOPT_DTYPE_F32, {4, 2}, x4), LLMOPT_OK);
    EXPECT_TRUE(failsWith(llmopt_session_run(l->session.get()), LLMOPT_ERROR_INVALID_ARTIFACT,
                          "op 'join' (concat): the inputs' dims along axis 0 add up to 7, "
                          "output 'y' has 5"));
  }
  // layer norm: scale [4] for rows of n.
  {
    PlanBuilder b;
    const uint32_t n = b.symbol("n");
    const uint32_t x = b.input("x", {dimOf(2), dimOfSymbol(n)});
    const uint32_t s = b.constant("s", {4}, {1, 1, 1, 1});
    const uint32_t y = b.output("y", {dimOf(2), dimOfSymbol(n)}, 0);
    b.layerNorm("ln", 1, 1e-5f, x, s, -1, y);
    auto l = load(b);
    ASSERT_TRUE(l->session);
    std::vector<float> x3(6);
    ASSERT_EQ(setInput(l->session.get(), 0, LLMOPT_DTYPE_F32, {2, 3}, x3), LLMOPT_OK);
    EXPECT_TRUE(failsWith(llmopt_session_run(l->session.get()), LLMOPT_ERROR_INVALID_ARTIFACT,
                          "op 'ln' (layer_norm_f32): scale 's' has shape [4], expected [3]"));
  }
  // expand [n] to [2, 3]; where of [n] with [3].
  {
    PlanBuilder b;
    const uint32_t n = b.symbol("n");
    const uint32_t x = b.input("x", {dimOfSymbol(n)});
    const uint32_t c = b.input("c", {dimOfSymbol(n)}, DType::BOOL);
    const uint32_t e = b.output("e", {dimOf(2), dimOf(3)}, 0);
    const uint32_t w = b.output("w", {dimOf(3)}, 1);
    const uint32_t three = b.constant("three", {3}, {1, 2, 3});
    b.expand("grow", x, e);
    b.where("pick", c, x, three, w);
    auto l = load(b);
    ASSERT_TRUE(l->session);
    std::vector<float> x1 = {5}, x2 = {1, 2};
    std::vector<uint8_t> c1 = {1}, c2 = {1, 0};
    ASSERT_EQ(setInput(l->session.get(), 0, LLMOPT_DTYPE_F32, {1}, x1), LLMOPT_OK);
    ASSERT_EQ(setInput(l->session.get(), 1, LLMOPT_DTYPE_BOOL, {1}, c1), LLMOPT_OK);
    ASSERT_EQ(llmopt_session_run(l->session.get()), LLMOPT_OK) << llmopt_last_error();
    EXPECT_EQ(output<float>(l->session.get(), 0, {2, 3}), std::vector<float>(6, 5.0f));
    EXPECT_EQ(output<float>(l->session.get(), 1, {3}), std::vector<float>(3, 5.0f));
    ASSERT_EQ(setInput(l->session.get(), 0, LLMOPT_DTYPE_F32, {2}, x2), LLMOPT_OK);
    ASSERT_EQ(setInput(l->session.get(), 1, LLMOPT_DTYPE_BOOL, {2}, c2), LLMOPT_OK);
    EXPECT_TRUE(failsWith(llmopt_session_run(l->session.get()), LLMOPT_ERROR_INVALID_ARTIFACT,
                          "op 'grow' (expand): input 'x' [2] does not broadcast to output 'e' "
                          "[2, 3]"));
  }
}

// attention_f32 with every dim of q, k, v a symbol: a causal run with grouped kv heads against
// naive loops; bindings whose shapes the op cannot take are refused before anything runs.
struct AttentionInputs {
  std::vector<float> q, k, v;  // the session borrows them
};

std::unique_ptr<Loaded> loadAttention() {
  PlanBuilder b;
  const uint32_t s = b.symbol("s"), t = b.symbol("t"), tv = b.symbol("tv"), hk = b.symbol("hk"),
                 d = b.symbol("d");
  const uint32_t q = b.input("q", {dimOf(1), dimOfSymbol(s), dimOf(4), dimOfSymbol(d)});
  const uint32_t k = b.input("k", {dimOf(1), dimOfSymbol(t), dimOfSymbol(hk), dimOfSymbol(d)});
  const uint32_t v = b.input("v", {dimOf(1), dimOfSymbol(tv), dimOfSymbol(hk), dimOfSymbol(d)});
  const uint32_t y = b.output("y", {dimOf(1), dimOfSymbol(s), dimOf(4), dimOfSymbol(d)}, 0);
  b.attention("attn", 0.25f, true, q, k, v, y);
  return load(b);
}

// q [1, sq, 4, dim], k [1, sk, kv_heads, dim], v [1, sv, kv_heads, dim].
void bindAttention(llmopt_session* session, AttentionInputs* in, int64_t sq, int64_t sk,
                   int64_t sv, int64_t kv_heads, int64_t dim) {
  in->q.resize(sq * 4 * dim);
  in->k.resize(sk * kv_heads * dim);
  in->v.resize(sv * kv_heads * dim);
  for (size_t i = 0; i < in->q.size(); ++i) in->q[i] = std::sin(0.7f * i);
  for (size_t i = 0; i < in->k.size(); ++i) in->k[i] = std::cos(0.3f * i);
  for (size_t i = 0; i < in->v.size(); ++i) in->v[i] = 0.1f * static_cast<float>(i % 17);
  EXPECT_EQ(setInput(session, 0, LLMOPT_DTYPE_F32, {1, sq, 4, dim}, in->q), LLMOPT_OK);
  EXPECT_EQ(setInput(session, 1, LLMOPT_DTYPE_F32, {1, sk, kv_heads, dim}, in->k), LLMOPT_OK);
  EXPECT_EQ(setInput(session, 2, LLMOPT_DTYPE_F32, {1, sv, kv_heads, dim}, in->v), LLMOPT_OK);
}

TEST(AttentionSession, CausalGroupedHeads) {
  auto l = loadAttention();
  ASSERT_TRUE(l->session);
  // 3 queries, the last of 6 positions; heads 0, 1 read kv head 0, heads 2, 3 kv head 1.
  AttentionInputs in;
  bindAttention(l->session.get(), &in, 3, 6, 6, 2, 8);
  ASSERT_EQ(llmopt_session_run(l->session.get()), LLMOPT_OK) << llmopt_last_error();
  std::vector<float> expected(3 * 4 * 8);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t h = 0; h < 4; ++h) {
      const float* q = &in.q[(i * 4 + h) * 8];
      std::vector<double> w;
      double sum = 0;
      for (int64_t j = 0; j <= i + 3; ++j) {
        double dot = 0;
        for (int64_t x = 0; x < 8; ++x) dot += q[x] * in.k[(j * 2 + h / 2) * 8 + x];
        w.push_back(std::exp(0.25 * dot));
        sum += w.back();
      }
      for (int64_t x = 0; x < 8; ++x) {
        double acc = 0;
        for (size_t j = 0; j < w.size(); ++j) acc += w[j] / sum * in.v[(j * 2 + h / 2) * 8 + x];
        expected[(i * 4 + h) * 8 + x] = static_cast<float>(acc);
      }
    }
  EXPECT_TRUE(close(output<float>(l->session.get(), 0, {1, 3, 4, 8}), expected));
  const char *kernel = nullptr, *node = nullptr;
  ASSERT_EQ(llmopt_model_op(l->model.get(), 0, &kernel, &node), LLMOPT_OK);
  EXPECT_STREQ(kernel, "attention_f32");
}

TEST(AttentionSession, ShapesThatDoNotFitAreRefusedAtRun) {
  struct Case {
    int64_t sq, sk, sv, kv_heads, dim;
    const char* message;
  };
  const Case cases[] = {
      {3, 6, 6, 3, 8,
       "op 'attn' (attention_f32): 4 query heads ('q' [1, 3, 4, 8]) are not a positive "
       "multiple of 3 key/value heads ('k' [1, 6, 3, 8])"},
      {3, 6, 5, 2, 8,
       "op 'attn' (attention_f32): key 'k' [1, 6, 2, 8] and value 'v' [1, 5, 2, 8] differ"},
      {1, 2, 2, 1, 300,
       "op 'attn' (attention_f32): head size 300 ('q' [1, 1, 4, 300]) is above the kernel's "
       "256"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    auto l = loadAttention();
    ASSERT_TRUE(l->session);
    AttentionInputs in;
    bindAttention(l->session.get(), &in, c.sq, c.sk, c.sv, c.kv_heads, c.dim);
    EXPECT_TRUE(failsWith(llmopt_session_run(l->session.get()), LLMOPT_ERROR_INVALID_ARTIFACT,
                          c.message));
  }
}

// Rotary attention rotates query row i at position i + Sk - Sq: with more queries than keys
// (not causal) the first ones have no row of the tables, and the run is refused before the
// kernel would read before them.
TEST(AttentionSession, RotaryWithMoreQueriesThanKeysIsRefused) {
  PlanBuilder b;
  const uint32_t s = b.symbol("s"), t = b.symbol("t");
  const uint32_t q = b.input("q", {dimOf(1), dimOfSymbol(s), dimOf(2), dimOf(4)});
  const uint32_t k = b.input("k", {dimOf(1), dimOfSymbol(t), dimOf(2), dimOf(4)});
  const uint32_t v = b.input("v", {dimOf(1), dimOfSymbol(t), dimOf(2), dimOf(4)});
  const uint32_t cos = b.input("cos", {dimOfSymbol(t), dimOf(4)});
  const uint32_t sin = b.input("sin", {dimOfSymbol(t), dimOf(4)});
  const uint32_t y = b.output("y", {dimOf(1), dimOfSymbol(s), dimOf(2), dimOf(4)}, 0);
  b.attention("attn", 0.5f, false, q, k, v, y).rope = true;
  b.ops.back().inputs.push_back(cos);
  b.ops.back().inputs.push_back(sin);
  auto l = load(b);
  ASSERT_TRUE(l->session) << llmopt_last_error();
  const std::vector<float> qs(3 * 2 * 4, 0.5f), ks(2 * 2 * 4, 0.25f), table(2 * 4, 1.0f);
  ASSERT_EQ(setInput(l->session.get(), 0, LLMOPT_DTYPE_F32, {1, 3, 2, 4}, qs), LLMOPT_OK);
  ASSERT_EQ(setInput(l->session.get(), 1, LLMOPT_DTYPE_F32, {1, 2, 2, 4}, ks), LLMOPT_OK);
  ASSERT_EQ(setInput(l->session.get(), 2, LLMOPT_DTYPE_F32, {1, 2, 2, 4}, ks), LLMOPT_OK);
  ASSERT_EQ(setInput(l->session.get(), 3, LLMOPT_DTYPE_F32, {2, 4}, table), LLMOPT_OK);
  ASSERT_EQ(setInput(l->session.get(), 4, LLMOPT_DTYPE_F32, {2, 4}, table), LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(l->session.get()), LLMOPT_ERROR_INVALID_ARTIFACT,
                        "op 'attn' (attention_f32): rotary embedding of 3 queries ('q' [1, 3, 2, "
                        "4]) against 2 key positions: the first queries have no position"));
  // As many queries as keys runs.
  const std::vector<float> q2(2 * 2 * 4, 0.5f);
  ASSERT_EQ(setInput(l->session.get(), 0, LLMOPT_DTYPE_F32, {1, 2, 2, 4}, q2), LLMOPT_OK);
  EXPECT_EQ(llmopt_session_run(l->session.get()), LLMOPT_OK) << llmopt_last_error();
}

TEST(KernelNames, ShownByModelOp) {
  PlanBuilder b;
  const uint32_t x = b.input("x", {dimOf(2), dimOf(3)});
  const uint32_t i = b.constantI64("i", {1}, {1});
  const uint32_t g = b.intermediate("g", {dimOf(1), dimOf(3)}, 0);
  const uint32_t r = b.intermediate("r", {dimOf(1), dimOf(1)}, 1);
  const uint32_t c = b.output("c", {dimOf(1), dimOf(1)}, 0, DType::I64);
  b.gather("g", 0, x, i, g);
  b.reduce("r", plan::ReduceKind::Sum, {1}, true, g, r);
  b.cast("c", r, c);
  auto l = load(b);
  ASSERT_TRUE(l->model);
  const char* names[] = {"gather", "reduce_sum_f32", "cast"};
  for (size_t k = 0; k < 3; ++k) {
    const char *kernel = nullptr, *node = nullptr;
    ASSERT_EQ(llmopt_model_op(l->model.get(), k, &kernel, &node), LLMOPT_OK);
    EXPECT_STREQ(kernel, names[k]);
  }
  std::vector<float> xs = {1, 2, 3, 4.5f, 5, 6};
  ASSERT_EQ(setInput(l->session.get(), 0, LLMOPT_DTYPE_F32, {2, 3}, xs), LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(l->session.get()), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(output<int64_t>(l->session.get(), 0, {1, 1}), (std::vector<int64_t>{15}));
}

}  // namespace
}  // namespace llmopt::testing
