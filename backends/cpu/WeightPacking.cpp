//===- WeightPacking.cpp - weights in the layout of the CPU kernels -------===//
#include "backends/cpu/WeightPacking.h"

namespace llmopt::cpu {

std::vector<int64_t> packedN16Shape(int64_t n, int64_t k) {
  return {(n + kPanelWidth - 1) / kPanelWidth, k, kPanelWidth};
}

void packN16(const float* src, bool srcIsKN, int64_t n, int64_t k, float* dst) {
  int64_t panels = (n + kPanelWidth - 1) / kPanelWidth;
  for (int64_t p = 0; p < panels; ++p) {
    for (int64_t kk = 0; kk < k; ++kk) {
      float* row = dst + (p * k + kk) * kPanelWidth;
      for (int64_t j = 0; j < kPanelWidth; ++j) {
        int64_t col = p * kPanelWidth + j;
        row[j] = col >= n ? 0.0f : srcIsKN ? src[kk * n + col] : src[col * k + kk];
      }
    }
  }
}

}  // namespace llmopt::cpu
