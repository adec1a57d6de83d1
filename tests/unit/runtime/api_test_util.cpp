#include "api_test_util.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace llmopt::testing {

Mlp makeMlp(int64_t k, int64_t n, plan::WeightLayout layout) {
  Mlp mlp;
  mlp.k = k;
  mlp.n = n;
  std::mt19937 rng(static_cast<uint32_t>(k * 1000 + n));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  mlp.w_kn.resize(k * n);
  mlp.bias.resize(n);
  for (float& v : mlp.w_kn) v = dist(rng);
  for (float& v : mlp.bias) v = dist(rng);

  PlanBuilder& b = mlp.builder;
  const uint32_t batch = b.symbol("batch");
  const uint32_t x = b.input("x", {dimOfSymbol(batch), dimOf(k)});
  const uint32_t w =
      layout == plan::WeightLayout::KN
          ? b.constant("W", {k, n}, mlp.w_kn)
          : b.constant("W", {(n + 15) / 16, k, 16}, packN16(mlp.w_kn, k, n));
  const uint32_t bias = b.constant("b", {n}, mlp.bias);
  const uint32_t h = b.intermediate("h", {dimOfSymbol(batch), dimOf(n)}, 0);
  const uint32_t r = b.intermediate("r", {dimOfSymbol(batch), dimOf(n)}, 1);
  const uint32_t y = b.output("y", {dimOfSymbol(batch), dimOf(n)}, 0);  // reuses h's slot
  b.linear("fc", layout, n, k, x, w, bias, h);
  b.unary("act", plan::UnaryKind::Relu, h, r);
  b.softmax("probs", 1, r, y);
  mlp.artifact = b.build();
  return mlp;
}

std::vector<float> mlpReference(const Mlp& mlp, const std::vector<float>& x, int64_t batch) {
  std::vector<float> y(batch * mlp.n);
  for (int64_t i = 0; i < batch; ++i) {
    std::vector<double> row(mlp.n);
    double max = -INFINITY;
    for (int64_t j = 0; j < mlp.n; ++j) {
      double sum = mlp.bias[j];
      for (int64_t p = 0; p < mlp.k; ++p) sum += double(x[i * mlp.k + p]) * mlp.w_kn[p * mlp.n + j];
      row[j] = sum > 0 ? sum : 0;
      max = std::fmax(max, row[j]);
    }
    double total = 0;
    for (double& v : row) total += (v = std::exp(v - max));
    for (int64_t j = 0; j < mlp.n; ++j) y[i * mlp.n + j] = static_cast<float>(row[j] / total);
  }
  return y;
}

std::string writeTempFile(const std::string& name, const std::vector<uint8_t>& bytes) {
  const char* dir = std::getenv("LLMOPT_TEST_TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/" + name + "." +
                     std::to_string(getpid()) + ".llmo";
  FILE* f = std::fopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr) << path;
  if (!f) return path;
  if (!bytes.empty()) {
    EXPECT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  }
  std::fclose(f);
  return path;
}

::testing::AssertionResult failsWith(llmopt_status status, llmopt_status expected,
                                     const std::string& message) {
  const std::string error = llmopt_last_error();
  if (status != expected)
    return ::testing::AssertionFailure()
           << "status " << llmopt_status_name(status) << ", expected "
           << llmopt_status_name(expected) << " (message: " << error << ")";
  if (error.find(message) == std::string::npos)
    return ::testing::AssertionFailure() << "message \"" << error << "\" lacks \"" << message
                                         << "\"";
  if (error.find('\n') != std::string::npos)
    return ::testing::AssertionFailure() << "message is not one line: " << error;
  return ::testing::AssertionSuccess();
}

ModelPtr loadOrFail(const std::vector<uint8_t>& artifact) {
  llmopt_model* model = nullptr;
  llmopt_status status = llmopt_model_load_memory(artifact.data(), artifact.size(), nullptr, &model);
  EXPECT_EQ(status, LLMOPT_OK) << llmopt_last_error();
  return ModelPtr(model);
}

SessionPtr createSessionOrFail(const llmopt_model* model) {
  llmopt_session* session = nullptr;
  llmopt_status status = llmopt_session_create(model, nullptr, &session);
  EXPECT_EQ(status, LLMOPT_OK) << llmopt_last_error();
  return SessionPtr(session);
}

std::unique_ptr<Loaded> load(const PlanBuilder& b) {
  auto l = std::make_unique<Loaded>();
  l->artifact = b.build();
  l->model = loadOrFail(l->artifact);
  if (l->model) l->session = createSessionOrFail(l->model.get());
  return l;
}

}  // namespace llmopt::testing
