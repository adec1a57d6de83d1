// The numbers `llmopt eval` and `llmopt bench` report (tools/llmopt/Metrics.*).
#include "tools/llmopt/Metrics.h"
#include "tools/llmopt/Npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <random>

using namespace llmopt;
using namespace llmopt::metrics;

TEST(Metrics, WindowCount) {
  EXPECT_EQ(windowCount(199937, 256), 781);  // charlm-gpt's eval.txt: 781 * 256 + 1 bytes
  EXPECT_EQ(windowCount(199936, 256), 780);
  EXPECT_EQ(windowCount(257, 256), 1);
  EXPECT_EQ(windowCount(256, 256), 0);
  EXPECT_EQ(windowCount(0, 256), 0);
  EXPECT_EQ(windowCount(513, 256), 2);
  EXPECT_EQ(windowCount(10, 1), 9);
}

TEST(Metrics, NllOfUniformLogitsIsLogVocab) {
  std::vector<float> logits(256, 3.5f);
  EXPECT_NEAR(negLogLikelihood(logits.data(), 256, 7), std::log(256.0), 1e-12);
  // Large logits: the max is subtracted first, nothing overflows.
  std::fill(logits.begin(), logits.end(), 80000.0f);
  EXPECT_NEAR(negLogLikelihood(logits.data(), 256, 255), std::log(256.0), 1e-12);
}

TEST(Metrics, NllByHand) {
  float logits[3] = {0.0f, 1.0f, 2.0f};
  double lse = std::log(std::exp(0.0) + std::exp(1.0) + std::exp(2.0));
  EXPECT_NEAR(negLogLikelihood(logits, 3, 0), lse, 1e-14);
  EXPECT_NEAR(negLogLikelihood(logits, 3, 2), lse - 2.0, 1e-14);
  // A -inf logit (a masked class) adds nothing; as the target it makes the NLL infinite.
  float masked[3] = {-INFINITY, 1.0f, 1.0f};
  EXPECT_NEAR(negLogLikelihood(masked, 3, 1), std::log(2.0), 1e-14);
  EXPECT_EQ(negLogLikelihood(masked, 3, 0), INFINITY);
  float withNan[3] = {0.0f, NAN, 1.0f};
  EXPECT_TRUE(std::isnan(negLogLikelihood(withNan, 3, 0)));
  float allMasked[2] = {-INFINITY, -INFINITY};
  EXPECT_TRUE(std::isnan(negLogLikelihood(allMasked, 2, 0)));
}

TEST(Metrics, WindowNllMatchesLongDouble) {
  const int64_t L = 17, V = 300;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::vector<float> logits(L * V);
  for (float& x : logits) x = normal(rng);
  std::vector<uint8_t> bytes(L + 1);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng() & 255);
  long double expected = 0;
  for (int64_t t = 0; t < L; ++t) {
    long double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<long double>(logits[t * V + v]));
    expected += std::log(sum) - logits[t * V + bytes[t + 1]];
  }
  double sum = 0;
  int64_t bad = -1;
  ASSERT_TRUE(windowNll(logits.data(), L, V, bytes.data(), sum, bad));
  EXPECT_NEAR(sum, static_cast<double>(expected), 1e-10 * L);
  logits[5 * V + 3] = NAN;
  EXPECT_FALSE(windowNll(logits.data(), L, V, bytes.data(), sum, bad));
  EXPECT_EQ(bad, 5);
}

TEST(Metrics, Score) {
  Score s = score(std::log(2.0) * 1000, 1000);  // 1 bit per byte
  EXPECT_NEAR(s.meanNll, std::log(2.0), 1e-15);
  EXPECT_NEAR(s.bpb, 1.0, 1e-15);
  EXPECT_NEAR(s.ppl, 2.0, 1e-14);
  // charlm-gpt's fp32 baseline: mean NLL 1.40856 nats/byte -> 2.03212 bpb, ppl 4.0901.
  Score c = score(1.40856 * 199936, 199936);
  EXPECT_NEAR(c.bpb, 2.03212, 1e-5);
  EXPECT_NEAR(c.ppl, 4.0901, 1e-4);
}

// Window 0 of charlm-gpt with the shipped ONNX Runtime logits: 1.80791 nats/byte (its README).
TEST(Metrics, CharlmWindow0) {
  std::string dir = LLMOPT_SHARED_EVAL_DIR "/charlm-gpt";
  npy::Array logits;
  std::string error;
  std::ifstream text(dir + "/eval.txt", std::ios::binary);
  if (!text || !npy::read(dir + "/reference_logits_window0.npy", logits, error))
    GTEST_SKIP() << "charlm-gpt files not found in " << dir;
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(text)), std::istreambuf_iterator<char>());
  ASSERT_EQ(bytes.size(), 199937u);
  ASSERT_EQ(logits.shape, (std::vector<int64_t>{1, 256, 256}));
  double sum = 0;
  int64_t bad = -1;
  ASSERT_TRUE(windowNll(reinterpret_cast<const float*>(logits.data.data()), 256, 256, bytes.data(), sum, bad));
  EXPECT_NEAR(sum, 462.8256433576863, 1e-9);  // numpy float64 (tests/e2e/eval_reference.py)
  EXPECT_NEAR(score(sum, 256).meanNll, 1.80791, 1e-5);
}

TEST(Metrics, PercentileIsNumpyLinear) {
  std::vector<double> v = {5, 1, 3, 2, 4};
  EXPECT_DOUBLE_EQ(percentile(v, 50), 3.0);
  EXPECT_DOUBLE_EQ(percentile(v, 10), 1.4);
  EXPECT_DOUBLE_EQ(percentile(v, 90), 4.6);
  std::vector<double> one = {2.5};
  EXPECT_DOUBLE_EQ(percentile(one, 90), 2.5);
  std::vector<double> two = {1, 2};
  EXPECT_DOUBLE_EQ(percentile(two, 50), 1.5);
}

TEST(Metrics, Json) {
  EXPECT_EQ(jsonString("a\"b\\c\n\x01/é"), "\"a\\\"b\\\\c\\n\\u0001/é\"");
  EXPECT_EQ(jsonNumber(0.1), "0.1");
  EXPECT_EQ(jsonNumber(2.0), "2");
  EXPECT_EQ(jsonNumber(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(jsonNumber(NAN), "null");
  EXPECT_EQ(jsonNumber(INFINITY), "null");
}
