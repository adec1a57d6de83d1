//===- Metrics.cpp - the numbers `llmopt eval` and `llmopt bench` report --===//
#include "tools/llmopt/Metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace llmopt::metrics {

int64_t windowCount(int64_t bytes, int64_t window) {
  if (window <= 0 || bytes < window + 1) return 0;
  return (bytes - 1) / window;
}

double negLogLikelihood(const float* logits, int64_t vocab, int64_t target) {
  double max = -INFINITY;
  for (int64_t v = 0; v < vocab; ++v) {
    double x = logits[v];
    if (std::isnan(x)) return NAN;
    if (x > max) max = x;
  }
  if (max == -INFINITY || max == INFINITY) return NAN;
  double sum = 0;
  for (int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(logits[v]) - max);
  // log(sum) - (x - max), not max + log(sum) - x: exact for large logits too.
  return std::log(sum) - (static_cast<double>(logits[target]) - max);
}

bool windowNll(const float* logits, int64_t window, int64_t vocab, const uint8_t* bytes,
               double& sum, int64_t& badPosition) {
  double total = 0;
  for (int64_t t = 0; t < window; ++t) {
    double nll = negLogLikelihood(logits + t * vocab, vocab, bytes[t + 1]);
    if (!std::isfinite(nll)) {
      badPosition = t;
      return false;
    }
    total += nll;
  }
  sum = total;
  return true;
}

Score score(double sumNll, int64_t predictions) {
  Score s;
  s.meanNll = predictions > 0 ? sumNll / static_cast<double>(predictions) : NAN;
  s.bpb = s.meanNll / std::log(2.0);
  s.ppl = std::exp(s.meanNll);
  return s;
}

double percentile(std::vector<double>& values, double q) {
  std::sort(values.begin(), values.end());
  double rank = q / 100.0 * static_cast<double>(values.size() - 1);
  size_t below = static_cast<size_t>(std::floor(rank));
  size_t above = std::min(below + 1, values.size() - 1);
  double fraction = rank - static_cast<double>(below);
  return values[below] + (values[above] - values[below]) * fraction;
}

std::string jsonString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", c);
          out += escape;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string jsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

}  // namespace llmopt::metrics
