// Artifacts built with the FlatBuffers builder, loaded through the C API (shared library), run,
// and compared with naive computations.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "api_test_util.h"

namespace llmopt::testing {
namespace {

std::vector<float> randomInput(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

::testing::AssertionResult near(const float* actual, const std::vector<float>& expected,
                                float tolerance) {
  for (size_t i = 0; i < expected.size(); ++i)
    if (!(std::fabs(actual[i] - expected[i]) <= tolerance * (1 + std::fabs(expected[i]))))
      return ::testing::AssertionFailure()
             << "element " << i << ": " << actual[i] << " vs " << expected[i];
  return ::testing::AssertionSuccess();
}

void runMlp(llmopt_session* session, const Mlp& mlp, int64_t batch) {
  SCOPED_TRACE(::testing::Message() << "batch " << batch);
  auto x = randomInput(batch * mlp.k, static_cast<uint32_t>(batch));
  const int64_t dims[2] = {batch, mlp.k};
  ASSERT_EQ(llmopt_session_set_input(session, 0, LLMOPT_DTYPE_F32, 2, dims, x.data(),
                                     x.size() * sizeof(float)),
            LLMOPT_OK)
      << llmopt_last_error();
  ASSERT_EQ(llmopt_session_run(session), LLMOPT_OK) << llmopt_last_error();
  llmopt_tensor y;
  ASSERT_EQ(llmopt_session_get_output(session, 0, &y), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(y.dtype, LLMOPT_DTYPE_F32);
  ASSERT_EQ(y.rank, 2);
  EXPECT_EQ(y.dims[0], batch);
  EXPECT_EQ(y.dims[1], mlp.n);
  ASSERT_EQ(y.size_bytes, static_cast<size_t>(batch * mlp.n) * sizeof(float));
  EXPECT_TRUE(near(static_cast<const float*>(y.data), mlpReference(mlp, x, batch), 1e-5f));
}

void checkMlpFacts(const llmopt_model* model, const Mlp& mlp) {
  EXPECT_EQ(llmopt_model_format_version(model), uint32_t{LLMOPT_FORMAT_VERSION});
  EXPECT_STREQ(llmopt_model_target(model), "cpu");
  EXPECT_STREQ(llmopt_model_producer(model), "llmopt tests");
  EXPECT_EQ(llmopt_model_weight_bytes(model), mlp.builder.weights.size());
  ASSERT_EQ(llmopt_model_num_ops(model), 3u);
  const char* expected_kernels[] = {"linear_f32", "relu_f32", "softmax_f32"};
  const char* expected_names[] = {"fc", "act", "probs"};
  for (size_t i = 0; i < 3; ++i) {
    const char *kernel, *name;
    ASSERT_EQ(llmopt_model_op(model, i, &kernel, &name), LLMOPT_OK);
    EXPECT_STREQ(kernel, expected_kernels[i]);
    EXPECT_STREQ(name, expected_names[i]);
  }
  EXPECT_EQ(llmopt_model_op(model, 3, nullptr, nullptr), LLMOPT_ERROR_INVALID_ARGUMENT);

  ASSERT_EQ(llmopt_model_num_inputs(model), 1u);
  ASSERT_EQ(llmopt_model_num_outputs(model), 1u);
  llmopt_tensor_info info;
  ASSERT_EQ(llmopt_model_input_info(model, 0, &info), LLMOPT_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, LLMOPT_DTYPE_F32);
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_STREQ(info.dim_names[0], "batch");
  EXPECT_EQ(info.dims[1], mlp.k);
  EXPECT_EQ(info.dim_names[1], nullptr);
  ASSERT_EQ(llmopt_model_output_info(model, 0, &info), LLMOPT_OK);
  EXPECT_STREQ(info.name, "y");
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_STREQ(info.dim_names[0], "batch");
  EXPECT_EQ(info.dims[1], mlp.n);
  EXPECT_EQ(llmopt_model_output_info(model, 1, &info), LLMOPT_ERROR_INVALID_ARGUMENT);
}

class MlpRoundTrip : public ::testing::TestWithParam<plan::WeightLayout> {};

TEST_P(MlpRoundTrip, FromMemoryTwoBatchSizesOneSession) {
  for (auto [k, n] : {std::pair<int64_t, int64_t>{37, 21}, {300, 50}, {1, 1}, {16, 16}}) {
    SCOPED_TRACE(::testing::Message() << "k " << k << " n " << n);
    Mlp mlp = makeMlp(k, n, GetParam());
    ModelPtr model = loadOrFail(mlp.artifact);
    ASSERT_TRUE(model);
    checkMlpFacts(model.get(), mlp);
    SessionPtr session = createSessionOrFail(model.get());
    ASSERT_TRUE(session);
    runMlp(session.get(), mlp, 3);
    const uint64_t small_arena = llmopt_session_arena_bytes(session.get());
    EXPECT_GT(small_arena, 0u);
    runMlp(session.get(), mlp, 17);
    EXPECT_GT(llmopt_session_arena_bytes(session.get()), small_arena);
    runMlp(session.get(), mlp, 3);
    EXPECT_EQ(llmopt_session_arena_bytes(session.get()), small_arena);
    runMlp(session.get(), mlp, 0);
  }
}

TEST_P(MlpRoundTrip, FromFileWithThreads) {
  Mlp mlp = makeMlp(70, 40, GetParam());
  const std::string path = writeTempFile("mlp", mlp.artifact);
  llmopt_model* raw_model;
  ASSERT_EQ(llmopt_model_load_file(path.c_str(), nullptr, &raw_model), LLMOPT_OK)
      << llmopt_last_error();
  ModelPtr model(raw_model);
  std::remove(path.c_str());  // the mapping keeps the contents
  checkMlpFacts(model.get(), mlp);
  for (int threads : {1, 2, 3}) {
    llmopt_session_options options = LLMOPT_SESSION_OPTIONS_INIT;
    options.num_threads = threads;
    llmopt_session* raw;
    ASSERT_EQ(llmopt_session_create(model.get(), &options, &raw), LLMOPT_OK);
    SessionPtr session(raw);
    runMlp(session.get(), mlp, 2);
    runMlp(session.get(), mlp, 150);
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, MlpRoundTrip,
                         ::testing::Values(plan::WeightLayout::KN, plan::WeightLayout::PackedN16),
                         [](const auto& info) {
                           return std::string(plan::EnumNameWeightLayout(info.param));
                         });

TEST(RoundTrip, InputsStayBoundAcrossRuns) {
  Mlp mlp = makeMlp(8, 5, plan::WeightLayout::PackedN16);
  ModelPtr model = loadOrFail(mlp.artifact);
  SessionPtr session = createSessionOrFail(model.get());
  ASSERT_TRUE(session);
  auto x = randomInput(4 * 8, 1);
  const int64_t dims[2] = {4, 8};
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 2, dims, x.data(),
                                     x.size() * 4),
            LLMOPT_OK);
  for (int run = 0; run < 3; ++run) {
    ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
    llmopt_tensor y;
    ASSERT_EQ(llmopt_session_get_output(session.get(), 0, &y), LLMOPT_OK);
    EXPECT_TRUE(near(static_cast<const float*>(y.data), mlpReference(mlp, x, 4), 1e-5f));
  }
}

// llmopt_session_plan sizes the arena for the bound shapes without running: the same bytes a
// run of those shapes reports, and a new plan invalidates the last run's outputs.
TEST(RoundTrip, PlanSizesTheArenaWithoutRunning) {
  Mlp mlp = makeMlp(16, 7, plan::WeightLayout::PackedN16);
  ModelPtr model = loadOrFail(mlp.artifact);
  SessionPtr planned = createSessionOrFail(model.get());
  SessionPtr ran = createSessionOrFail(model.get());
  ASSERT_TRUE(planned && ran);
  EXPECT_EQ(llmopt_session_arena_bytes(planned.get()), 0u);
  EXPECT_TRUE(failsWith(llmopt_session_plan(planned.get()), LLMOPT_ERROR_STATE,
                        "input 'x' is not set"));
  EXPECT_TRUE(failsWith(llmopt_session_plan(nullptr), LLMOPT_ERROR_INVALID_ARGUMENT, "session"));

  auto x = randomInput(40 * 16, 2);
  for (int64_t batch : {40, 3}) {
    SCOPED_TRACE(::testing::Message() << "batch " << batch);
    const int64_t dims[2] = {batch, 16};
    ASSERT_EQ(llmopt_session_set_input(planned.get(), 0, LLMOPT_DTYPE_F32, 2, dims, x.data(),
                                       batch * 16 * sizeof(float)),
              LLMOPT_OK);
    ASSERT_EQ(llmopt_session_plan(planned.get()), LLMOPT_OK) << llmopt_last_error();
    runMlp(ran.get(), mlp, batch);
    EXPECT_GT(llmopt_session_arena_bytes(planned.get()), 0u);
    EXPECT_EQ(llmopt_session_arena_bytes(planned.get()), llmopt_session_arena_bytes(ran.get()));
  }
  llmopt_tensor y;
  EXPECT_TRUE(failsWith(llmopt_session_get_output(planned.get(), 0, &y), LLMOPT_ERROR_STATE,
                        "no successful run yet"));

  // A run after a plan uses it; planning another batch after the run drops the outputs.
  runMlp(planned.get(), mlp, 3);
  const int64_t dims[2] = {40, 16};
  ASSERT_EQ(llmopt_session_set_input(planned.get(), 0, LLMOPT_DTYPE_F32, 2, dims, x.data(),
                                     x.size() * sizeof(float)),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_plan(planned.get()), LLMOPT_OK) << llmopt_last_error();
  EXPECT_EQ(llmopt_session_get_output(planned.get(), 0, &y), LLMOPT_ERROR_STATE);
  runMlp(planned.get(), mlp, 40);
}

// Every other kernel, a symbolic reshape (batch*36 elements as [9*batch, 4]), a rank-1 matmul
// operand and two outputs:
//   t0 = x + c            x [batch, 6, 4], c [4]
//   t1 = transpose(t0)    [batch, 4, 6]
//   t2 = t0 . t1          [batch, 6, 6]      (output "scores")
//   t3 = gelu(t2)
//   t4 = copy(t3)         [9*batch, 4]
//   t5 = tanh(t4 * s) - sigmoid(t4) / gelu_tanh(t4 + 2)   s [4]
//   y  = t5 . v           v [4]  ->  [9*batch]
struct Sink {
  PlanBuilder b;
  std::vector<float> c, s, v;
  std::vector<uint8_t> artifact;
};

Sink makeSink() {
  Sink k;
  k.c = randomInput(4, 10);
  k.s = randomInput(4, 11);
  k.v = randomInput(4, 12);
  PlanBuilder& b = k.b;
  const uint32_t batch = b.symbol("batch");
  const DimSpec B = dimOfSymbol(batch);
  const uint32_t x = b.input("x", {B, dimOf(6), dimOf(4)});
  const uint32_t c = b.constant("c", {4}, k.c);
  const uint32_t s = b.constant("s", {4}, k.s);
  const uint32_t v = b.constant("v", {4}, k.v);
  const uint32_t two = b.constant("two", {}, {2.0f});
  const uint32_t t0 = b.intermediate("t0", {B, dimOf(6), dimOf(4)}, 0);
  const uint32_t t1 = b.intermediate("t1", {B, dimOf(4), dimOf(6)}, 1);
  const uint32_t t2 = b.output("scores", {B, dimOf(6), dimOf(6)}, 2);
  const uint32_t t3 = b.intermediate("t3", {B, dimOf(6), dimOf(6)}, 0);
  const DimSpec rows = dimOfSymbol(batch, 9);
  const uint32_t t4 = b.intermediate("t4", {rows, dimOf(4)}, 1);
  const uint32_t m = b.intermediate("m", {rows, dimOf(4)}, 0);
  const uint32_t th = b.intermediate("th", {rows, dimOf(4)}, 3);
  const uint32_t sg = b.intermediate("sg", {rows, dimOf(4)}, 0);
  const uint32_t p2 = b.intermediate("p2", {rows, dimOf(4)}, 4);
  const uint32_t gt = b.intermediate("gt", {rows, dimOf(4)}, 1);
  const uint32_t q = b.intermediate("q", {rows, dimOf(4)}, 4);
  const uint32_t t5 = b.intermediate("t5", {rows, dimOf(4)}, 0);
  const uint32_t y = b.output("y", {rows}, 5);
  b.binary("add_c", plan::BinaryKind::Add, x, c, t0);
  b.transpose("swap", {0, 2, 1}, t0, t1);
  b.matmul("scores_mm", t0, t1, t2);
  b.unary("gelu", plan::UnaryKind::Gelu, t2, t3);
  b.copy("reshape", t3, t4);
  b.binary("scale", plan::BinaryKind::Mul, t4, s, m);
  b.unary("tanh", plan::UnaryKind::Tanh, m, th);
  b.unary("sigmoid", plan::UnaryKind::Sigmoid, t4, sg);
  b.binary("plus2", plan::BinaryKind::Add, t4, two, p2);
  b.unary("gelu_tanh", plan::UnaryKind::GeluTanh, p2, gt);
  b.binary("div", plan::BinaryKind::Div, sg, gt, q);
  b.binary("sub", plan::BinaryKind::Sub, th, q, t5);
  b.matmul("project", t5, v, y);
  k.artifact = b.build();
  return k;
}

TEST(RoundTrip, EveryKernelWithSymbolicReshape) {
  Sink sink = makeSink();
  ModelPtr model = loadOrFail(sink.artifact);
  ASSERT_TRUE(model);
  llmopt_tensor_info info;
  ASSERT_EQ(llmopt_model_output_info(model.get(), 1, &info), LLMOPT_OK);
  EXPECT_STREQ(info.name, "y");
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_STREQ(info.dim_names[0], "9*batch");

  SessionPtr session = createSessionOrFail(model.get());
  ASSERT_TRUE(session);
  for (int64_t batch : {2, 5}) {
    SCOPED_TRACE(batch);
    auto x = randomInput(batch * 24, static_cast<uint32_t>(batch));
    const int64_t dims[3] = {batch, 6, 4};
    ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 3, dims, x.data(),
                                       x.size() * 4),
              LLMOPT_OK);
    ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();

    // Reference.
    std::vector<double> t0(batch * 24), t2(batch * 36), y(batch * 9);
    for (int64_t i = 0; i < batch * 24; ++i) t0[i] = double(x[i]) + sink.c[i % 4];
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < 6; ++i)
        for (int64_t j = 0; j < 6; ++j) {
          double sum = 0;
          for (int64_t p = 0; p < 4; ++p) sum += t0[b * 24 + i * 4 + p] * t0[b * 24 + j * 4 + p];
          t2[b * 36 + i * 6 + j] = sum;
        }
    for (int64_t r = 0; r < batch * 9; ++r) {
      double sum = 0;
      for (int64_t p = 0; p < 4; ++p) {
        const double g = t2[r * 4 + p];
        const double t4 = 0.5 * g * (1 + std::erf(g / std::sqrt(2.0)));
        const double th = std::tanh(t4 * sink.s[p]);
        const double sg = 1 / (1 + std::exp(-t4));
        const double z = t4 + 2;
        const double gt = 0.5 * z * (1 + std::tanh(std::sqrt(2 / M_PI) * (z + 0.044715 * z * z * z)));
        sum += (th - sg / gt) * sink.v[p];
      }
      y[r] = sum;
    }

    llmopt_tensor scores, out;
    ASSERT_EQ(llmopt_session_get_output(session.get(), 0, &scores), LLMOPT_OK);
    ASSERT_EQ(llmopt_session_get_output(session.get(), 1, &out), LLMOPT_OK);
    ASSERT_EQ(scores.rank, 3);
    EXPECT_EQ(scores.dims[0], batch);
    ASSERT_EQ(out.rank, 1);
    ASSERT_EQ(out.dims[0], batch * 9);
    EXPECT_TRUE(near(static_cast<const float*>(scores.data),
                     std::vector<float>(t2.begin(), t2.end()), 1e-5f));
    EXPECT_TRUE(near(static_cast<const float*>(out.data), std::vector<float>(y.begin(), y.end()),
                     1e-4f));
  }
}

TEST(RoundTrip, StaticModelAndChecksumOff) {
  PlanBuilder b;
  const uint32_t x = b.input("x", {dimOf(2), dimOf(3)});
  const uint32_t y = b.output("y", {dimOf(3), dimOf(2)}, 0);
  b.transpose("t", {1, 0}, x, y);
  std::vector<uint8_t> artifact = b.build();
  llmopt_load_options options = LLMOPT_LOAD_OPTIONS_INIT;
  options.verify_checksum = 0;
  artifact[56] ^= 1;  // the stored checksum no longer matches
  llmopt_model* raw_model;
  ASSERT_EQ(llmopt_model_load_memory(artifact.data(), artifact.size(), &options, &raw_model),
            LLMOPT_OK)
      << llmopt_last_error();
  ModelPtr model(raw_model);
  llmopt_tensor_info info;
  ASSERT_EQ(llmopt_model_input_info(model.get(), 0, &info), LLMOPT_OK);
  EXPECT_EQ(info.dims[0], 2);
  EXPECT_EQ(info.dim_names[0], nullptr);

  SessionPtr session = createSessionOrFail(model.get());
  ASSERT_TRUE(session);
  const float data[6] = {1, 2, 3, 4, 5, 6};
  const int64_t dims[2] = {2, 3};
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 2, dims, data, 24),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(session.get()), LLMOPT_OK) << llmopt_last_error();
  llmopt_tensor out;
  ASSERT_EQ(llmopt_session_get_output(session.get(), 0, &out), LLMOPT_OK);
  const float* v = static_cast<const float*>(out.data);
  const float expected[6] = {1, 4, 2, 5, 3, 6};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(v[i], expected[i]);
}

TEST(RoundTrip, NamesOfStatusesAndDtypes) {
  EXPECT_STREQ(llmopt_status_name(LLMOPT_OK), "ok");
  EXPECT_STREQ(llmopt_status_name(LLMOPT_ERROR_INVALID_ARTIFACT), "invalid artifact");
  EXPECT_STREQ(llmopt_dtype_name(LLMOPT_DTYPE_BF16), "bf16");
  EXPECT_EQ(llmopt_dtype_size(LLMOPT_DTYPE_I64), 8u);
  EXPECT_EQ(llmopt_dtype_size(static_cast<llmopt_dtype>(42)), 0u);
}

}  // namespace
}  // namespace llmopt::testing
