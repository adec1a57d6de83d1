// Helpers for tests of the C API: RAII handles, a small reference model, temp files, and a
// matcher for "this call failed with that status and message".
#ifndef LLMOPT_TESTS_UNIT_RUNTIME_API_TEST_UTIL_H
#define LLMOPT_TESTS_UNIT_RUNTIME_API_TEST_UTIL_H

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "llmopt/runtime.h"
#include "plan_builder.h"

namespace llmopt::testing {

struct ModelDeleter {
  void operator()(llmopt_model* m) const { llmopt_model_free(m); }
};
struct SessionDeleter {
  void operator()(llmopt_session* s) const { llmopt_session_free(s); }
};
using ModelPtr = std::unique_ptr<llmopt_model, ModelDeleter>;
using SessionPtr = std::unique_ptr<llmopt_session, SessionDeleter>;

// y = softmax(relu(x . W + b), axis 1) with x [batch, k], batch a symbol.
struct Mlp {
  int64_t k = 0, n = 0;
  std::vector<float> w_kn, bias;
  PlanBuilder builder;
  std::vector<uint8_t> artifact;
};
Mlp makeMlp(int64_t k, int64_t n, plan::WeightLayout layout);
std::vector<float> mlpReference(const Mlp& mlp, const std::vector<float>& x, int64_t batch);

// Writes bytes to a fresh file in the test's temp dir and returns its path.
std::string writeTempFile(const std::string& name, const std::vector<uint8_t>& bytes);

// `status` is `expected` and llmopt_last_error() contains `message`.
::testing::AssertionResult failsWith(llmopt_status status, llmopt_status expected,
                                     const std::string& message);

// The model borrows `artifact`: keep it alive while the model lives.
ModelPtr loadOrFail(const std::vector<uint8_t>& artifact);
ModelPtr loadOrFail(std::vector<uint8_t>&& artifact) = delete;

// A session with default options; null (and a test failure) if it cannot be created.
SessionPtr createSessionOrFail(const llmopt_model* model);

// A built artifact, the model loaded from it (which borrows it) and a session of that model.
struct Loaded {
  std::vector<uint8_t> artifact;
  ModelPtr model;
  SessionPtr session;
};
std::unique_ptr<Loaded> load(const PlanBuilder& b);

}  // namespace llmopt::testing

#endif  // LLMOPT_TESTS_UNIT_RUNTIME_API_TEST_UTIL_H
