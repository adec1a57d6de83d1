// The scalar variant's block kernel (attention_block.h): plain loops, every build's fallback.
// Its own file so that x86-64 builds, where only CPUs without AVX2 run it, compile it for size
// (runtime/CMakeLists.txt); AArch64 keeps it at -O3.
#include <cstring>

#include "kernels/cpu/generic/attention_block.h"

namespace llmopt::kernels::cpu {
namespace {

constexpr int64_t kLanes = kAttentionLanesScalar;

struct ScalarKernel : AttentionLoops<kLanes> {
  static void rows(int64_t rows, const float* a, int64_t row_stride, int64_t x_stride,
                   const float* b, int64_t n, const float* alpha, float* out) {
    for (int64_t i = 0; i < rows; ++i) {
      float acc[kLanes];
      float* o = out + i * kLanes;
      for (int64_t t = 0; t < kLanes; ++t) acc[t] = alpha ? o[t] * alpha[t] : 0.0f;
      const float* ai = a + i * row_stride;
      for (int64_t x = 0; x < n; ++x) {
        const float s = ai[x * x_stride];
        const float* bx = b + x * kLanes;
        for (int64_t t = 0; t < kLanes; ++t) acc[t] += s * bx[t];
      }
      std::memcpy(o, acc, sizeof(acc));
    }
  }
};

}  // namespace

void attentionBlockScalar(const AttentionArgs& a, int64_t b, int64_t kv_head, int64_t lane_begin,
                          VMathFn exp) {
  attentionBlockImpl<kLanes, ScalarKernel>(a, b, kv_head, lane_begin, exp);
}

}  // namespace llmopt::kernels::cpu
