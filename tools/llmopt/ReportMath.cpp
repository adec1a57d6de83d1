//===- ReportMath.cpp - the arithmetic of the compile reports' error figures ===//
#include "tools/llmopt/ReportMath.h"

#include <cmath>

namespace llmopt {

double relativeError(const std::vector<float>& approx, const std::vector<float>& exact) {
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < exact.size(); ++i) {
    diff += (double(approx[i]) - exact[i]) * (double(approx[i]) - exact[i]);
    norm += double(exact[i]) * exact[i];
  }
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

std::vector<float> multiplyTransposed(const std::vector<float>& x, const std::vector<float>& w,
                                      int64_t k) {
  int64_t rows = x.size() / k, n = w.size() / k;
  std::vector<float> y(rows * n);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (int64_t c = 0; c < k; ++c) sum += x[r * k + c] * w[j * k + c];
      y[r * n + j] = sum;
    }
  return y;
}

}  // namespace llmopt
