//===- Metrics.h - the numbers `llmopt eval` and `llmopt bench` report ----===//
//
// Pure functions, kept apart from the commands so unit tests can check them.
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_METRICS_H
#define LLMOPT_TOOLS_LLMOPT_METRICS_H

#include <cstdint>
#include <string>
#include <vector>

namespace llmopt::metrics {

/// Evaluation windows of a byte file (charlm-gpt protocol): windows of `window + 1` bytes with
/// stride `window`, so `floor((bytes - 1) / window)`; 0 when the file is shorter than one window.
int64_t windowCount(int64_t bytes, int64_t window);

/// -log_softmax(logits)[target] over `vocab` float32 logits, computed in double. NaN when a
/// logit is NaN or every logit is -inf; +inf when the target's logit is -inf.
double negLogLikelihood(const float* logits, int64_t vocab, int64_t target);

/// The summed NLL of one window: logits [window, vocab] (row t predicts byte t + 1), bytes
/// [window + 1]. On a non-finite term returns false and its position in `badPosition`.
bool windowNll(const float* logits, int64_t window, int64_t vocab, const uint8_t* bytes,
               double& sum, int64_t& badPosition);

struct Score {
  double meanNll = 0;  // nats per predicted byte
  double bpb = 0;      // bits per byte: meanNll / ln 2
  double ppl = 0;      // per-byte perplexity: exp(meanNll)
};
Score score(double sumNll, int64_t predictions);

/// The q-th percentile (0..100) of `values`, linear between closest ranks (numpy's default).
/// `values` must not be empty; it is sorted in place.
double percentile(std::vector<double>& values, double q);

/// A JSON string literal (quotes included) for UTF-8 text; control characters are escaped.
std::string jsonString(const std::string& text);

/// A JSON number: the shortest "%.17g" text that reads back the same; null for NaN or ±inf,
/// which JSON cannot hold.
std::string jsonNumber(double value);

}  // namespace llmopt::metrics

#endif  // LLMOPT_TOOLS_LLMOPT_METRICS_H
