#include "kernels/cpu/x86/qgemv_w4a8_x86.h"

#ifdef LLMOPT_QKERNELS_X86
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // see qdecode_x86.cpp
#endif
#include <immintrin.h>

#include "kernels/cpu/x86/qgemm_x86.h"

#define LLMOPT_W4A8_VNNI_TARGET "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c"
#define LLMOPT_W4A8_VBMI_TARGET LLMOPT_W4A8_VNNI_TARGET ",avx512vbmi"

namespace llmopt::kernels::cpu {
namespace {
namespace vnni {
#define LLMOPT_W4A8_FN __attribute__((target(LLMOPT_W4A8_VNNI_TARGET), always_inline)) inline
#define LLMOPT_W4A8_VBMI 0
#include "kernels/cpu/x86/qgemv_w4a8_avx512.inc"
#undef LLMOPT_W4A8_VBMI
#undef LLMOPT_W4A8_FN
}  // namespace vnni

namespace vbmi {
#define LLMOPT_W4A8_FN __attribute__((target(LLMOPT_W4A8_VBMI_TARGET), always_inline)) inline
#define LLMOPT_W4A8_VBMI 1
#include "kernels/cpu/x86/qgemv_w4a8_avx512.inc"
#undef LLMOPT_W4A8_VBMI
#undef LLMOPT_W4A8_FN
}  // namespace vbmi
}  // namespace

__attribute__((target(LLMOPT_W4A8_VNNI_TARGET))) void gemvW4A8PanelAvx512Vnni(
    const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0, int rows, const float* bias,
    float* y, int64_t ldy, int cols) {
  vnni::panel(s, p, x, row0, rows, bias, y, ldy, cols);
}

__attribute__((target(LLMOPT_W4A8_VBMI_TARGET))) void gemvW4A8PanelAvx512Vbmi(
    const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0, int rows, const float* bias,
    float* y, int64_t ldy, int cols) {
  vbmi::panel(s, p, x, row0, rows, bias, y, ldy, cols);
}

bool cpuHasAvx512Vbmi() {
  __builtin_cpu_init();
  return cpuHasAvx512Vnni() && __builtin_cpu_supports("avx512vbmi");
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_QKERNELS_X86
