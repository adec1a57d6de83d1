#include "kernels/cpu/generic/gemm_microkernel.h"

#include "kernels/cpu/arm/gemm_arm.h"
#include "kernels/cpu/generic/gemm_tile.h"
#include "kernels/cpu/generic/qisa.h"
#include "kernels/cpu/x86/gemm_x86.h"

// Built with -O3 -ffp-contract=fast (see runtime/CMakeLists.txt) so that acc += a * b becomes
// FMA. The library stays baseline x86-64: the AVX2 and AVX-512 variants are compiled with
// per-function target attributes and only called when the CPU has those features. The AVX2
// variant is the generic-vector tile of gemm_tile.h (whose baseline variant is in
// gemm_microkernel_baseline.cpp); the AVX-512 variant is written with intrinsics in
// x86/gemm_x86.cpp.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LLMOPT_GEMM_X86_VARIANTS 1
#endif

namespace llmopt::kernels::cpu {
namespace {

#ifdef LLMOPT_GEMM_X86_VARIANTS
__attribute__((target("avx2,fma"))) void microkernelAvx2(int64_t kc, const float* a,
                                                         const float* panel,
                                                         int64_t /*panel_stride*/,
                                                         int /*panels*/, float* c, int64_t ldc,
                                                         int rows, int cols, bool load_c,
                                                         const float* bias) {
  gemmAnyRows<8>(kc, a, panel, c, ldc, rows, cols, load_c, bias);
}
#endif

const IsaVariants<GemmMicrokernelVariant>& table() {
  static const IsaVariants<GemmMicrokernelVariant> instance = [] {
    IsaVariants<GemmMicrokernelVariant> v;
#ifdef LLMOPT_GEMM_X86_VARIANTS
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    v.add(QIsa::Avx512, {"avx512", gemmAvx512, kGemmAvx512Mr, kGemmAvx512Panels,
                         cpuHasAvx512F(), packA12Avx512});
    v.add(QIsa::Avx2, {"avx2", microkernelAvx2, kGemmGenericMr, 1, avx2, nullptr});
#endif
#ifdef LLMOPT_KERNELS_ARM
    v.add(QIsa::Neon, {"neon", gemmNeon, kGemmNeonMr, 1, true, nullptr});
#endif
    v.add(QIsa::Scalar, {"baseline", gemmMicrokernelBaseline, kGemmGenericMr, 1, true, nullptr});
    v.choose();
    return v;
  }();
  return instance;
}

}  // namespace

const GemmMicrokernelVariant* gemmMicrokernelVariants(size_t* count) {
  return table().all(count);
}

const GemmMicrokernelVariant& bestGemmMicrokernel() { return table().best(); }

}  // namespace llmopt::kernels::cpu
