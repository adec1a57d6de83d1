// The KV cache through the C API: a sequence fed in pieces (prefill, then one position per
// step) gives what one plain run over the whole sequence gives, with rotary embeddings and
// grouped heads; steps allocate nothing; the cache's limits are refused with their reasons.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "api_test_util.h"
#include "plan_builder.h"

namespace llmopt::testing {
namespace {

using plan::DType;

constexpr int64_t kHeads = 4, kKvHeads = 2, kDim = 4, kPacked = kHeads + 2 * kKvHeads;
constexpr int64_t kMaxSeq = 8, kVocab = 5;

template <class T>
llmopt_status setInput(llmopt_session* s, size_t index, llmopt_dtype dtype,
                       std::vector<int64_t> dims, const T* data, size_t count) {
  return llmopt_session_set_input(s, index, dtype, static_cast<int32_t>(dims.size()), dims.data(),
                                  data, count * sizeof(T));
}

template <class T>
std::vector<T> output(llmopt_session* s, size_t index) {
  llmopt_tensor t;
  EXPECT_EQ(llmopt_session_get_output(s, index, &t), LLMOPT_OK) << llmopt_last_error();
  std::vector<T> v(t.size_bytes / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), t.data, t.size_bytes);
  return v;
}

// qkv [b, s, 8, 4] packed (4 query heads, 2 kv heads), cos and sin [s, 4] as inputs ->
// y = causal packed attention with rope, kv cache layer 0; pos = the positions (a range over s
// moved by the cache).
PlanBuilder packedRopeModel(int64_t max_seq) {
  PlanBuilder b;
  const uint32_t batch = b.symbol("batch"), seq = b.symbol("seq");
  const uint32_t qkv =
      b.input("qkv", {dimOfSymbol(batch), dimOfSymbol(seq), dimOf(kPacked), dimOf(kDim)});
  const uint32_t cos = b.input("cos", {dimOfSymbol(seq), dimOf(kDim)});
  const uint32_t sin = b.input("sin", {dimOfSymbol(seq), dimOf(kDim)});
  const uint32_t y =
      b.output("y", {dimOfSymbol(batch), dimOfSymbol(seq), dimOf(kHeads), dimOf(kDim)}, 0);
  const uint32_t pos = b.output("pos", {dimOfSymbol(seq)}, 1, DType::I64);
  OpSpec& attention = b.op("attn", plan::OpParams::AttentionParams, {qkv, cos, sin}, y);
  attention.scale = 0.5f;
  attention.causal = true;
  attention.rope = true;
  attention.packed_kv_heads = kKvHeads;
  attention.kv_cache = 0;
  b.range("positions", 0, 1, pos).offset_by_cache = true;
  b.kv_cache_max_seq = max_seq;
  return b;
}

// Rows of qkv for positions [0, total), batch rows apart by `total` positions.
std::vector<float> qkvRows(int64_t batch, int64_t total) {
  std::vector<float> x(batch * total * kPacked * kDim);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i) + 0.1f);
  return x;
}

// Rotary tables for positions [first, first + count).
void ropeTables(int64_t first, int64_t count, std::vector<float>* cos, std::vector<float>* sin) {
  cos->clear();
  sin->clear();
  for (int64_t p = first; p < first + count; ++p)
    for (int64_t d = 0; d < kDim; ++d) {
      const float angle = static_cast<float>(p) * (d % 2 ? 0.1f : 1.0f);
      cos->push_back(std::cos(angle));
      sin->push_back(std::sin(angle));
    }
}

// Binds positions [first, first + count) of `x` (laid out for `total` positions per batch row)
// into `part` and the tables, and extends the cache with them.
llmopt_status extend(llmopt_session* s, const std::vector<float>& x, int64_t batch, int64_t total,
                     int64_t first, int64_t count, std::vector<float>* part,
                     std::vector<float>* cos, std::vector<float>* sin) {
  const int64_t row = kPacked * kDim;
  part->clear();
  for (int64_t b = 0; b < batch; ++b)
    part->insert(part->end(), x.begin() + (b * total + first) * row,
                 x.begin() + (b * total + first + count) * row);
  ropeTables(first, count, cos, sin);
  EXPECT_EQ(
      setInput(s, 0, LLMOPT_DTYPE_F32, {batch, count, kPacked, kDim}, part->data(), part->size()),
      LLMOPT_OK);
  EXPECT_EQ(setInput(s, 1, LLMOPT_DTYPE_F32, {count, kDim}, cos->data(), cos->size()), LLMOPT_OK);
  EXPECT_EQ(setInput(s, 2, LLMOPT_DTYPE_F32, {count, kDim}, sin->data(), sin->size()), LLMOPT_OK);
  return llmopt_session_extend(s);
}

// y of one plain run over all `total` positions.
std::vector<float> plainRun(llmopt_session* s, const std::vector<float>& x, int64_t batch,
                            int64_t total) {
  std::vector<float> cos, sin;
  ropeTables(0, total, &cos, &sin);
  EXPECT_EQ(setInput(s, 0, LLMOPT_DTYPE_F32, {batch, total, kPacked, kDim}, x.data(), x.size()),
            LLMOPT_OK);
  EXPECT_EQ(setInput(s, 1, LLMOPT_DTYPE_F32, {total, kDim}, cos.data(), cos.size()), LLMOPT_OK);
  EXPECT_EQ(setInput(s, 2, LLMOPT_DTYPE_F32, {total, kDim}, sin.data(), sin.size()), LLMOPT_OK);
  EXPECT_EQ(llmopt_session_run(s), LLMOPT_OK) << llmopt_last_error();
  return output<float>(s, 0);
}

// With an fp32 cache the pieces equal the plain run to rounding; an fp16 or int8 cache rounds the
// cached keys and values (the prefill's own attention reads them unrounded).
class KvCachePieces : public ::testing::TestWithParam<int> {};

TEST_P(KvCachePieces, EqualOnePlainRun) {
  PlanBuilder model = packedRopeModel(kMaxSeq);
  model.kv_cache_type = GetParam();
  const auto type = static_cast<plan::KvCacheType>(GetParam());
  // int8: a key or value off by up to 1/254 of its row's largest magnitude (about 1 here).
  const float tolerance = type == plan::KvCacheType::I8    ? 1e-2f
                          : type == plan::KvCacheType::F16 ? 4e-3f
                                                           : 1e-6f;
  auto l = load(model);
  ASSERT_TRUE(l->session);
  llmopt_session* s = l->session.get();
  EXPECT_EQ(llmopt_model_max_seq(l->model.get()), kMaxSeq);
  EXPECT_EQ(llmopt_model_kv_cache_dtype(l->model.get()),
            type == plan::KvCacheType::I8    ? LLMOPT_DTYPE_I8
            : type == plan::KvCacheType::F16 ? LLMOPT_DTYPE_F16
                                             : LLMOPT_DTYPE_F32);
  const int64_t batch = 2, total = 7, out_row = kHeads * kDim;
  const std::vector<float> x = qkvRows(batch, total);
  const std::vector<float> full = plainRun(s, x, batch, total);
  EXPECT_EQ(llmopt_session_cache_length(s), 0) << "a plain run leaves the cache alone";

  // 4 positions, then one at a time: each piece's rows are the plain run's.
  std::vector<float> part, cos, sin;
  int64_t first = 0;
  uint64_t allocations_after_first_step = 0;
  for (int64_t count : {4, 1, 1, 1}) {
    ASSERT_EQ(extend(s, x, batch, total, first, count, &part, &cos, &sin), LLMOPT_OK)
        << llmopt_last_error();
    const std::vector<float> y = output<float>(s, 0);
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < count * out_row; ++i)
        ASSERT_NEAR(y[b * count * out_row + i], full[(b * total + first) * out_row + i],
                    tolerance)
            << "batch " << b << " position " << first + i / out_row;
    const std::vector<int64_t> pos = output<int64_t>(s, 1);
    for (int64_t i = 0; i < count; ++i) EXPECT_EQ(pos[i], first + i);
    first += count;
    EXPECT_EQ(llmopt_session_cache_length(s), first);
    if (count == 1 && first == 5) allocations_after_first_step = llmopt_session_allocations(s);
  }
  EXPECT_EQ(llmopt_session_allocations(s), allocations_after_first_step)
      << "decoding steps after the first allocate nothing";

  // A plain run between steps changes nothing in the cache.
  plainRun(s, x, batch, total);
  EXPECT_EQ(llmopt_session_cache_length(s), 7);
}

INSTANTIATE_TEST_SUITE_P(CacheTypes, KvCachePieces,
                         ::testing::Values(static_cast<int>(plan::KvCacheType::F32),
                                           static_cast<int>(plan::KvCacheType::F16),
                                           static_cast<int>(plan::KvCacheType::I8)));

TEST(KvCache, LimitsAreRefused) {
  auto l = load(packedRopeModel(kMaxSeq));
  ASSERT_TRUE(l->session);
  llmopt_session* s = l->session.get();
  const std::vector<float> x = qkvRows(2, 9);
  std::vector<float> part, cos, sin;
  EXPECT_TRUE(failsWith(extend(s, x, 1, 9, 0, 9, &part, &cos, &sin), LLMOPT_ERROR_STATE,
                        "the KV cache holds 8 positions"));
  EXPECT_EQ(llmopt_session_cache_length(s), 0);
  ASSERT_EQ(extend(s, x, 1, 9, 0, 6, &part, &cos, &sin), LLMOPT_OK) << llmopt_last_error();
  EXPECT_TRUE(failsWith(extend(s, x, 1, 9, 6, 3, &part, &cos, &sin), LLMOPT_ERROR_STATE,
                        "6 cached, 3 more do not fit"));
  EXPECT_EQ(llmopt_session_cache_length(s), 6);
  EXPECT_TRUE(failsWith(extend(s, x, 2, 9, 6, 1, &part, &cos, &sin), LLMOPT_ERROR_STATE,
                        "reset the cache"));
  // After a reset the cache takes the new batch.
  ASSERT_EQ(llmopt_session_reset(s), LLMOPT_OK);
  EXPECT_EQ(llmopt_session_cache_length(s), 0);
  EXPECT_EQ(extend(s, x, 2, 9, 0, 2, &part, &cos, &sin), LLMOPT_OK) << llmopt_last_error();
  // The token form needs one int64 ids input.
  const int64_t token = 1;
  EXPECT_TRUE(failsWith(llmopt_session_prefill(s, &token, 1), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "one input is int64 token ids"));
}

// ids [1, s] -> gather of a [vocab, 8, 4] table -> packed causal attention (no rope), cache
// layer 0 (output 1); and ids -> gather of a [vocab, 4] table -> linear 4 -> 3 (output 0, the
// "LM head", which prefill computes for the last position only): the token form of the API.
constexpr int64_t kEmbed = 4, kLogits = 3;

PlanBuilder tokenModel(int64_t max_seq) {
  PlanBuilder b;
  const uint32_t batch = b.symbol("batch"), seq = b.symbol("seq");
  const uint32_t ids = b.input("input_ids", {dimOfSymbol(batch), dimOfSymbol(seq)}, DType::I64);
  std::vector<float> table(kVocab * kPacked * kDim), embed(kVocab * kEmbed), w(kEmbed * kLogits);
  for (size_t i = 0; i < table.size(); ++i) table[i] = std::cos(0.9f * static_cast<float>(i));
  for (size_t i = 0; i < embed.size(); ++i) embed[i] = std::sin(0.4f * static_cast<float>(i));
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.25f * static_cast<float>(i % 5) - 0.5f;
  const uint32_t t = b.constant("table", {kVocab, kPacked, kDim}, table);
  const uint32_t e = b.constant("embed", {kVocab, kEmbed}, embed);
  const uint32_t wkn = b.constant("w", {kEmbed, kLogits}, w);
  const uint32_t qkv =
      b.intermediate("qkv", {dimOfSymbol(batch), dimOfSymbol(seq), dimOf(kPacked), dimOf(kDim)}, 0);
  const uint32_t x = b.intermediate("x", {dimOfSymbol(batch), dimOfSymbol(seq), dimOf(kEmbed)}, 1);
  const uint32_t logits =
      b.output("logits", {dimOfSymbol(batch), dimOfSymbol(seq), dimOf(kLogits)}, 2);
  const uint32_t y =
      b.output("y", {dimOfSymbol(batch), dimOfSymbol(seq), dimOf(kHeads), dimOf(kDim)}, 3);
  b.gather("embed_qkv", 0, t, ids, qkv);
  b.gather("embed_x", 0, e, ids, x);
  b.linear("head", plan::WeightLayout::KN, kLogits, kEmbed, x, wkn, -1, logits);
  OpSpec& attention = b.op("attn", plan::OpParams::AttentionParams, {qkv}, y);
  attention.scale = 0.5f;
  attention.causal = true;
  attention.packed_kv_heads = kKvHeads;
  attention.kv_cache = max_seq > 0 ? 0 : -1;
  b.kv_cache_max_seq = max_seq;
  return b;
}

TEST(KvCache, PrefillAndStepEqualOnePlainRun) {
  auto l = load(tokenModel(kMaxSeq));
  ASSERT_TRUE(l->session);
  llmopt_session* s = l->session.get();
  const std::vector<int64_t> ids = {1, 4, 0, 2, 3, 3};
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_I64, {1, 6}, ids.data(), ids.size()), LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(s), LLMOPT_OK) << llmopt_last_error();
  const std::vector<float> full_logits = output<float>(s, 0);
  const std::vector<float> full = output<float>(s, 1);
  const int64_t row = kHeads * kDim;

  EXPECT_TRUE(failsWith(llmopt_session_step(s, 1), LLMOPT_ERROR_STATE, "step before prefill"));
  ASSERT_EQ(llmopt_session_prefill(s, ids.data(), 3), LLMOPT_OK) << llmopt_last_error();
  // The head's last row only, [1, 1, 3]; the attention's every row.
  llmopt_tensor head;
  ASSERT_EQ(llmopt_session_get_output(s, 0, &head), LLMOPT_OK);
  EXPECT_EQ(std::vector<int64_t>(head.dims, head.dims + head.rank),
            (std::vector<int64_t>{1, 1, kLogits}));
  std::vector<float> logits = output<float>(s, 0);
  ASSERT_EQ(logits.size(), static_cast<size_t>(kLogits));
  for (int64_t n = 0; n < kLogits; ++n) EXPECT_NEAR(logits[n], full_logits[2 * kLogits + n], 1e-6f);
  std::vector<float> y = output<float>(s, 1);
  for (int64_t i = 0; i < 3 * row; ++i) ASSERT_NEAR(y[i], full[i], 1e-6f);
  for (size_t p = 3; p < ids.size(); ++p) {
    ASSERT_EQ(llmopt_session_step(s, ids[p]), LLMOPT_OK) << llmopt_last_error();
    y = output<float>(s, 1);
    for (int64_t i = 0; i < row; ++i) ASSERT_NEAR(y[i], full[p * row + i], 1e-6f);
    logits = output<float>(s, 0);
    for (int64_t n = 0; n < kLogits; ++n)
      EXPECT_NEAR(logits[n], full_logits[p * kLogits + n], 1e-6f);
  }
  EXPECT_EQ(llmopt_session_cache_length(s), 6);
  // Extend computes every row of the head.
  ASSERT_EQ(llmopt_session_reset(s), LLMOPT_OK);
  ASSERT_EQ(setInput(s, 0, LLMOPT_DTYPE_I64, {1, 6}, ids.data(), ids.size()), LLMOPT_OK);
  ASSERT_EQ(llmopt_session_extend(s), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(output<float>(s, 0), full_logits);
  // Prefill again starts over.
  ASSERT_EQ(llmopt_session_prefill(s, ids.data() + 1, 2), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(llmopt_session_cache_length(s), 2);
}

TEST(KvCache, ModelWithoutCache) {
  auto l = load(tokenModel(0));
  ASSERT_TRUE(l->session);
  const int64_t token = 1;
  EXPECT_EQ(llmopt_model_max_seq(l->model.get()), 0);
  EXPECT_TRUE(failsWith(llmopt_session_prefill(l->session.get(), &token, 1), LLMOPT_ERROR_STATE,
                        "no KV cache"));
  EXPECT_TRUE(
      failsWith(llmopt_session_extend(l->session.get()), LLMOPT_ERROR_STATE, "no KV cache"));
  EXPECT_TRUE(failsWith(llmopt_session_reset(l->session.get()), LLMOPT_ERROR_STATE, "no KV cache"));
}

// Plans whose cache layers are inconsistent do not load.
TEST(KvCache, InconsistentPlansAreRejected) {
  llmopt_model* model = nullptr;
  {
    PlanBuilder b = tokenModel(kMaxSeq);
    b.kv_cache_max_seq = 0;
    const std::vector<uint8_t> artifact = b.build();
    EXPECT_TRUE(
        failsWith(llmopt_model_load_memory(artifact.data(), artifact.size(), nullptr, &model),
                  LLMOPT_ERROR_INVALID_ARTIFACT, "but the plan has no KV cache"));
  }
  {
    PlanBuilder b = tokenModel(kMaxSeq);
    b.ops.back().kv_cache = 1;  // the attention
    const std::vector<uint8_t> artifact = b.build();
    EXPECT_TRUE(
        failsWith(llmopt_model_load_memory(artifact.data(), artifact.size(), nullptr, &model),
                  LLMOPT_ERROR_INVALID_ARTIFACT, "no op is KV cache layer 0"));
  }
  {
    PlanBuilder b = tokenModel(kMaxSeq);
    b.kv_cache_type = 7;
    const std::vector<uint8_t> artifact = b.build();
    EXPECT_TRUE(
        failsWith(llmopt_model_load_memory(artifact.data(), artifact.size(), nullptr, &model),
                  LLMOPT_ERROR_INVALID_ARTIFACT, "kv_cache_type 7 is not a known"));
  }
  {
    PlanBuilder b = tokenModel(kMaxSeq);
    b.ops.back().causal = false;  // the attention
    const std::vector<uint8_t> artifact = b.build();
    EXPECT_TRUE(
        failsWith(llmopt_model_load_memory(artifact.data(), artifact.size(), nullptr, &model),
                  LLMOPT_ERROR_INVALID_ARTIFACT, "must be causal"));
  }
}

}  // namespace
}  // namespace llmopt::testing
