// set_input, run and get_output refuse bad calls with a status and a message naming the input.
#include <gtest/gtest.h>

#include "api_test_util.h"

namespace llmopt::testing {
namespace {

// y = a + b with a [batch, 8], b [batch, 8].
class SessionErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    PlanBuilder b;
    const uint32_t batch = b.symbol("batch");
    const uint32_t a = b.input("a", {dimOfSymbol(batch), dimOf(8)});
    const uint32_t c = b.input("b", {dimOfSymbol(batch), dimOf(8)});
    const uint32_t y = b.output("y", {dimOfSymbol(batch), dimOf(8)}, 0);
    b.binary("sum", plan::BinaryKind::Add, a, c, y);
    artifact_ = b.build();
    model_ = loadOrFail(artifact_);
    ASSERT_TRUE(model_);
    llmopt_session* raw;
    ASSERT_EQ(llmopt_session_create(model_.get(), nullptr, &raw), LLMOPT_OK);
    session_.reset(raw);
  }

  llmopt_status set(size_t index, int64_t batch, int64_t width = 8,
                    llmopt_dtype dtype = LLMOPT_DTYPE_F32, int32_t rank = 2) {
    const int64_t dims[3] = {batch, width, 1};
    data_.assign(batch * width, 1.0f);
    return llmopt_session_set_input(session_.get(), index, dtype, rank, dims, data_.data(),
                                    data_.size() * sizeof(float));
  }

  std::vector<uint8_t> artifact_;
  ModelPtr model_;
  SessionPtr session_;
  std::vector<float> data_;
};

TEST_F(SessionErrors, WrongDtype) {
  EXPECT_TRUE(failsWith(set(0, 2, 8, LLMOPT_DTYPE_I32), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "input 'a': dtype is i32, the model expects f32"));
}

TEST_F(SessionErrors, WrongRank) {
  EXPECT_TRUE(failsWith(set(1, 2, 8, LLMOPT_DTYPE_F32, 3), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "input 'b': rank is 3, the model expects 2"));
}

TEST_F(SessionErrors, StaticDimMismatch) {
  EXPECT_TRUE(failsWith(set(0, 2, 16), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "input 'a': dim 1 is 16, the model expects 8"));
}

TEST_F(SessionErrors, SymbolBoundToTwoValues) {
  ASSERT_EQ(set(0, 2), LLMOPT_OK);
  EXPECT_TRUE(failsWith(set(1, 3), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "input 'b': dim 0 is 3, but symbol 'batch' is 2 from input 'a' dim 0"));
}

TEST_F(SessionErrors, RunBeforeEveryInputIsSet) {
  EXPECT_TRUE(failsWith(llmopt_session_run(session_.get()), LLMOPT_ERROR_STATE,
                        "input 'a' is not set"));
  ASSERT_EQ(set(0, 2), LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(session_.get()), LLMOPT_ERROR_STATE,
                        "input 'b' is not set"));
  llmopt_tensor out;
  EXPECT_TRUE(failsWith(llmopt_session_get_output(session_.get(), 0, &out), LLMOPT_ERROR_STATE,
                        "output 'y' is not available"));
}

TEST_F(SessionErrors, ChangingTheBatchNeedsEveryInputRebound) {
  ASSERT_EQ(set(0, 2), LLMOPT_OK);
  std::vector<float> b_data(16, 2.0f);
  const int64_t dims2[2] = {2, 8};
  ASSERT_EQ(llmopt_session_set_input(session_.get(), 1, LLMOPT_DTYPE_F32, 2, dims2, b_data.data(),
                                     64),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(session_.get()), LLMOPT_OK) << llmopt_last_error();
  // A new round: 'a' may take a new batch; running before 'b' follows is refused.
  std::vector<float> a3(24, 1.0f);
  const int64_t dims3[2] = {3, 8};
  ASSERT_EQ(llmopt_session_set_input(session_.get(), 0, LLMOPT_DTYPE_F32, 2, dims3, a3.data(), 96),
            LLMOPT_OK)
      << llmopt_last_error();
  EXPECT_TRUE(failsWith(llmopt_session_run(session_.get()), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "input 'b': dim 0 is 2, but symbol 'batch' is 3 from input 'a' dim 0"));
  std::vector<float> b3(24, 2.0f);
  ASSERT_EQ(llmopt_session_set_input(session_.get(), 1, LLMOPT_DTYPE_F32, 2, dims3, b3.data(), 96),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(session_.get()), LLMOPT_OK) << llmopt_last_error();
  llmopt_tensor out;
  ASSERT_EQ(llmopt_session_get_output(session_.get(), 0, &out), LLMOPT_OK);
  EXPECT_EQ(out.dims[0], 3);
  EXPECT_EQ(static_cast<const float*>(out.data)[23], 3.0f);
}

TEST_F(SessionErrors, SizeDataAndIndex) {
  const int64_t dims[2] = {2, 8};
  std::vector<float> data(16);
  EXPECT_TRUE(failsWith(
      llmopt_session_set_input(session_.get(), 0, LLMOPT_DTYPE_F32, 2, dims, data.data(), 60),
      LLMOPT_ERROR_INVALID_ARGUMENT, "input 'a': size_bytes is 60, shape [2, 8] of f32 needs 64"));
  EXPECT_TRUE(failsWith(
      llmopt_session_set_input(session_.get(), 0, LLMOPT_DTYPE_F32, 2, dims, nullptr, 64),
      LLMOPT_ERROR_INVALID_ARGUMENT, "input 'a': data is NULL"));
  EXPECT_TRUE(failsWith(
      llmopt_session_set_input(session_.get(), 2, LLMOPT_DTYPE_F32, 2, dims, data.data(), 64),
      LLMOPT_ERROR_INVALID_ARGUMENT, "input index 2 is out of range (2 inputs)"));
  const int64_t negative[2] = {-1, 8};
  EXPECT_TRUE(failsWith(
      llmopt_session_set_input(session_.get(), 0, LLMOPT_DTYPE_F32, 2, negative, data.data(), 64),
      LLMOPT_ERROR_INVALID_ARGUMENT, "input 'a': dim 0 is -1 (negative)"));
  EXPECT_TRUE(failsWith(
      llmopt_session_set_input(nullptr, 0, LLMOPT_DTYPE_F32, 2, dims, data.data(), 64),
      LLMOPT_ERROR_INVALID_ARGUMENT, "session is NULL"));
  llmopt_tensor out;
  EXPECT_TRUE(failsWith(llmopt_session_get_output(session_.get(), 1, &out),
                        LLMOPT_ERROR_INVALID_ARGUMENT, "output index 1 is out of range"));
}

TEST_F(SessionErrors, SessionOptions) {
  llmopt_session_options options = LLMOPT_SESSION_OPTIONS_INIT;
  options.num_threads = -2;
  llmopt_session* raw = reinterpret_cast<llmopt_session*>(1);
  EXPECT_TRUE(failsWith(llmopt_session_create(model_.get(), &options, &raw),
                        LLMOPT_ERROR_INVALID_ARGUMENT, "num_threads is -2"));
  EXPECT_EQ(raw, nullptr);
  EXPECT_TRUE(failsWith(llmopt_session_create(nullptr, nullptr, &raw),
                        LLMOPT_ERROR_INVALID_ARGUMENT, "model is NULL"));
}

// A symbol used twice in one input must take one value.
TEST(SessionErrorsSquare, SameSymbolTwiceInOneInput) {
  PlanBuilder b;
  const uint32_t n = b.symbol("n");
  const uint32_t x = b.input("x", {dimOfSymbol(n), dimOfSymbol(n)});
  const uint32_t y = b.output("y", {dimOfSymbol(n), dimOfSymbol(n)}, 0);
  b.transpose("t", {1, 0}, x, y);
  const std::vector<uint8_t> artifact = b.build();
  ModelPtr model = loadOrFail(artifact);
  ASSERT_TRUE(model);
  SessionPtr session = createSessionOrFail(model.get());
  ASSERT_TRUE(session);
  std::vector<float> data(6);
  const int64_t dims[2] = {2, 3};
  EXPECT_TRUE(failsWith(
      llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 2, dims, data.data(), 24),
      LLMOPT_ERROR_INVALID_ARGUMENT, "input 'x': dims 0 and 1 are both symbol 'n' but are 2 and 3"));
}

// A compound input dim (2*seq) is checked once the symbol is bound.
TEST(SessionErrorsCompound, CompoundInputDim) {
  PlanBuilder b;
  const uint32_t seq = b.symbol("seq");
  const uint32_t x = b.input("x", {dimOfSymbol(seq)});
  const uint32_t z = b.input("z", {dimOfSymbol(seq, 2)});
  const uint32_t y = b.output("y", {dimOfSymbol(seq, 2)}, 0);
  b.copy("c", z, y);
  (void)x;
  const std::vector<uint8_t> artifact = b.build();
  ModelPtr model = loadOrFail(artifact);
  ASSERT_TRUE(model);
  SessionPtr session = createSessionOrFail(model.get());
  ASSERT_TRUE(session);
  std::vector<float> xs(3), zs(5);
  const int64_t xd[1] = {3}, zd[1] = {5};
  ASSERT_EQ(llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_F32, 1, xd, xs.data(), 12),
            LLMOPT_OK);
  ASSERT_EQ(llmopt_session_set_input(session.get(), 1, LLMOPT_DTYPE_F32, 1, zd, zs.data(), 20),
            LLMOPT_OK);
  EXPECT_TRUE(failsWith(llmopt_session_run(session.get()), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "input 'z': dim 0 is 5, the model expects 2*seq = 6"));
}

}  // namespace
}  // namespace llmopt::testing
