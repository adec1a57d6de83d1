// The baseline fp32 microkernel: gemm_tile.h for 4-float vectors, every build's fallback. Its own
// file so that x86-64 builds, where only CPUs without AVX2 run it, compile it at -O2
// (runtime/CMakeLists.txt).
#include "kernels/cpu/generic/gemm_tile.h"

namespace llmopt::kernels::cpu {

void gemmMicrokernelBaseline(int64_t kc, const float* a, const float* panel,
                             int64_t /*panel_stride*/, int /*panels*/, float* c, int64_t ldc,
                             int rows, int cols, bool load_c, const float* bias) {
  gemmAnyRows<4>(kc, a, panel, c, ldc, rows, cols, load_c, bias);
}

}  // namespace llmopt::kernels::cpu
