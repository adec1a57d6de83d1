// Per-op profiling through the C API: totals accumulate over the runs made while it is on,
// turning it on clears them, and bad calls are refused.
#include <gtest/gtest.h>

#include <vector>

#include "api_test_util.h"

namespace llmopt::testing {
namespace {

// h = a + b, y = tanh(h): two ops, the first over [n, 8].
class Profiling : public ::testing::Test {
 protected:
  void SetUp() override {
    PlanBuilder b;
    const uint32_t n = b.symbol("n");
    const uint32_t a = b.input("a", {dimOfSymbol(n), dimOf(8)});
    const uint32_t c = b.input("b", {dimOfSymbol(n), dimOf(8)});
    const uint32_t h = b.intermediate("h", {dimOfSymbol(n), dimOf(8)}, 0);
    const uint32_t y = b.output("y", {dimOfSymbol(n), dimOf(8)}, 1);
    b.binary("sum", plan::BinaryKind::Add, a, c, h);
    b.unary("squash", plan::UnaryKind::Tanh, h, y);
    artifact_ = b.build();
    model_ = loadOrFail(artifact_);
    ASSERT_TRUE(model_);
    llmopt_session* raw;
    ASSERT_EQ(llmopt_session_create(model_.get(), nullptr, &raw), LLMOPT_OK);
    session_.reset(raw);
    const int64_t dims[2] = {4096, 8};
    data_.assign(4096 * 8, 0.5f);
    for (size_t i = 0; i < 2; ++i)
      ASSERT_EQ(llmopt_session_set_input(session_.get(), i, LLMOPT_DTYPE_F32, 2, dims,
                                         data_.data(), data_.size() * sizeof(float)),
                LLMOPT_OK);
  }

  double seconds(size_t op) {
    double s = -1;
    EXPECT_EQ(llmopt_session_op_seconds(session_.get(), op, &s), LLMOPT_OK);
    return s;
  }

  std::vector<uint8_t> artifact_;
  ModelPtr model_;
  SessionPtr session_;
  std::vector<float> data_;
};

TEST_F(Profiling, OffByDefault) {
  ASSERT_EQ(llmopt_session_run(session_.get()), LLMOPT_OK);
  EXPECT_EQ(llmopt_session_profiled_runs(session_.get()), 0u);
  EXPECT_EQ(seconds(0), 0.0);
  EXPECT_EQ(seconds(1), 0.0);
}

TEST_F(Profiling, TotalsAccumulateAndRestart) {
  ASSERT_EQ(llmopt_session_set_profiling(session_.get(), 1), LLMOPT_OK);
  ASSERT_EQ(llmopt_session_run(session_.get()), LLMOPT_OK);
  const double first = seconds(1);
  EXPECT_GT(first, 0.0);
  EXPECT_GT(seconds(0), 0.0);
  ASSERT_EQ(llmopt_session_run(session_.get()), LLMOPT_OK);
  EXPECT_EQ(llmopt_session_profiled_runs(session_.get()), 2u);
  EXPECT_GT(seconds(1), first);

  // Off: runs no longer count, the totals stay.
  ASSERT_EQ(llmopt_session_set_profiling(session_.get(), 0), LLMOPT_OK);
  const double kept = seconds(1);
  ASSERT_EQ(llmopt_session_run(session_.get()), LLMOPT_OK);
  EXPECT_EQ(llmopt_session_profiled_runs(session_.get()), 2u);
  EXPECT_EQ(seconds(1), kept);

  // On again: cleared.
  ASSERT_EQ(llmopt_session_set_profiling(session_.get(), 1), LLMOPT_OK);
  EXPECT_EQ(llmopt_session_profiled_runs(session_.get()), 0u);
  EXPECT_EQ(seconds(0), 0.0);
}

TEST_F(Profiling, FailedRunsDoNotCount) {
  ASSERT_EQ(llmopt_session_run(session_.get()), LLMOPT_OK);
  ASSERT_EQ(llmopt_session_set_profiling(session_.get(), 1), LLMOPT_OK);
  const int64_t dims[2] = {3, 8};
  std::vector<float> other(3 * 8, 1.0f);
  // After a run, input 0 alone rebound to another n: run refuses the mismatch with input 1.
  ASSERT_EQ(llmopt_session_set_input(session_.get(), 0, LLMOPT_DTYPE_F32, 2, dims, other.data(),
                                     other.size() * sizeof(float)),
            LLMOPT_OK);
  EXPECT_NE(llmopt_session_run(session_.get()), LLMOPT_OK);
  EXPECT_EQ(llmopt_session_profiled_runs(session_.get()), 0u);
}

TEST_F(Profiling, BadCalls) {
  double s;
  EXPECT_TRUE(failsWith(llmopt_session_op_seconds(session_.get(), 2, &s),
                        LLMOPT_ERROR_INVALID_ARGUMENT,
                        "llmopt_session_op_seconds: op index 2 is out of range (2 ops)"));
  EXPECT_TRUE(failsWith(llmopt_session_op_seconds(session_.get(), 0, nullptr),
                        LLMOPT_ERROR_INVALID_ARGUMENT, "out_seconds"));
  EXPECT_TRUE(failsWith(llmopt_session_op_seconds(nullptr, 0, &s), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "session"));
  EXPECT_TRUE(failsWith(llmopt_session_set_profiling(nullptr, 1), LLMOPT_ERROR_INVALID_ARGUMENT,
                        "session"));
  EXPECT_EQ(llmopt_session_profiled_runs(nullptr), 0u);
}

}  // namespace
}  // namespace llmopt::testing
