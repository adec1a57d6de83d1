#include "kernels/cpu/generic/pack_b.h"

#include <cstring>

namespace llmopt::kernels::cpu {

void packBPanels(const float* b, int64_t ldb, int64_t kc, int64_t n, int64_t first_panel,
                 int64_t panels, float* dst) {
  for (int64_t p = first_panel; p < first_panel + panels; ++p) {
    const int64_t col = p * 16;
    const int64_t width = n - col < 16 ? n - col : 16;
    float* out = dst + (p - first_panel) * kc * 16;
    for (int64_t k = 0; k < kc; ++k) {
      std::memcpy(out + k * 16, b + k * ldb + col, width * sizeof(float));
      for (int64_t j = width; j < 16; ++j) out[k * 16 + j] = 0.0f;
    }
  }
}

void packWeightsN16(const float* b, int64_t k, int64_t n, float* dst) {
  packBPanels(b, n, k, n, 0, panelCount(n), dst);
}

}  // namespace llmopt::kernels::cpu
