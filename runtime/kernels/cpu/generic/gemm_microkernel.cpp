#include "kernels/cpu/generic/gemm_microkernel.h"

#include "kernels/cpu/arm/gemm_arm.h"
#include "kernels/cpu/generic/qisa.h"
#include "kernels/cpu/x86/gemm_x86.h"

// Built with -O3 -ffp-contract=fast (see runtime/CMakeLists.txt) so that acc += a * b becomes
// FMA. The library stays baseline x86-64: the AVX2 and AVX-512 variants are compiled with
// per-function target attributes and only called when the CPU has those features. The AVX-512
// variant is written with intrinsics in x86/gemm_x86.cpp.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LLMOPT_GEMM_X86_VARIANTS 1
#endif

namespace llmopt::kernels::cpu {
namespace {

constexpr int kGenericMr = 6;  // rows per call of the generic-vector variants

// GCC/Clang generic vectors of W floats. Each variant uses its native width (16 for AVX-512,
// 8 for AVX2, 4 for SSE/NEON): wider-than-native generic vectors are lowered through the stack,
// and GCC's auto-vectoriser, left alone, vectorises this tile across rows instead of columns.
template <int W>
struct FloatVec {
  typedef float type __attribute__((vector_size(W * sizeof(float))));
};

template <int Rows, int W>
__attribute__((always_inline)) inline void tile(int64_t kc, const float* a, const float* panel,
                                                float* c, int64_t ldc, int cols, bool load_c,
                                                const float* bias) {
  using V = typename FloatVec<W>::type;
  constexpr int kVecs = kPanelWidth / W;
  V acc[Rows][kVecs];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < kVecs; ++v) acc[r][v] = V{};
  if (load_c) {
    if (cols == kPanelWidth) {
      for (int r = 0; r < Rows; ++r)
        for (int v = 0; v < kVecs; ++v)
          __builtin_memcpy(&acc[r][v], c + r * ldc + v * W, sizeof(V));
    } else {
      for (int r = 0; r < Rows; ++r)
        for (int j = 0; j < cols; ++j) acc[r][j / W][j % W] = c[r * ldc + j];
    }
  }

  for (int64_t k = 0; k < kc; ++k) {
    V b[kVecs];
    for (int v = 0; v < kVecs; ++v)
      __builtin_memcpy(&b[v], panel + k * kPanelWidth + v * W, sizeof(V));
    for (int r = 0; r < Rows; ++r) {
      const float av = a[k * Rows + r];
      for (int v = 0; v < kVecs; ++v) acc[r][v] += av * b[v];
    }
  }

  if (bias) {
    V bias_row[kVecs];
    for (int v = 0; v < kVecs; ++v) bias_row[v] = V{};
    if (cols == kPanelWidth) {
      for (int v = 0; v < kVecs; ++v) __builtin_memcpy(&bias_row[v], bias + v * W, sizeof(V));
    } else {
      for (int j = 0; j < cols; ++j) bias_row[j / W][j % W] = bias[j];
    }
    for (int r = 0; r < Rows; ++r)
      for (int v = 0; v < kVecs; ++v) acc[r][v] += bias_row[v];
  }
  if (cols == kPanelWidth) {
    for (int r = 0; r < Rows; ++r)
      for (int v = 0; v < kVecs; ++v)
        __builtin_memcpy(c + r * ldc + v * W, &acc[r][v], sizeof(V));
  } else {
    for (int r = 0; r < Rows; ++r)
      for (int j = 0; j < cols; ++j) c[r * ldc + j] = acc[r][j / W][j % W];
  }
}

template <int W>
__attribute__((always_inline)) inline void anyRows(int64_t kc, const float* a,
                                                   const float* panel, float* c, int64_t ldc,
                                                   int rows, int cols, bool load_c,
                                                   const float* bias) {
  static_assert(kGenericMr == 6, "update the row dispatch below");
  switch (rows) {
    case 6: return tile<6, W>(kc, a, panel, c, ldc, cols, load_c, bias);
    case 5: return tile<5, W>(kc, a, panel, c, ldc, cols, load_c, bias);
    case 4: return tile<4, W>(kc, a, panel, c, ldc, cols, load_c, bias);
    case 3: return tile<3, W>(kc, a, panel, c, ldc, cols, load_c, bias);
    case 2: return tile<2, W>(kc, a, panel, c, ldc, cols, load_c, bias);
    default: return tile<1, W>(kc, a, panel, c, ldc, cols, load_c, bias);
  }
}

// The generic variants take one panel per call (max_panels 1).
void microkernelBaseline(int64_t kc, const float* a, const float* panel,
                         int64_t /*panel_stride*/, int /*panels*/, float* c, int64_t ldc,
                         int rows, int cols, bool load_c, const float* bias) {
  anyRows<4>(kc, a, panel, c, ldc, rows, cols, load_c, bias);
}

#ifdef LLMOPT_GEMM_X86_VARIANTS
__attribute__((target("avx2,fma"))) void microkernelAvx2(int64_t kc, const float* a,
                                                         const float* panel,
                                                         int64_t /*panel_stride*/,
                                                         int /*panels*/, float* c, int64_t ldc,
                                                         int rows, int cols, bool load_c,
                                                         const float* bias) {
  anyRows<8>(kc, a, panel, c, ldc, rows, cols, load_c, bias);
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
    v.add(QIsa::Avx2, {"avx2", microkernelAvx2, kGenericMr, 1, avx2, nullptr});
#endif
#ifdef LLMOPT_KERNELS_ARM
    v.add(QIsa::Neon, {"neon", gemmNeon, kGemmNeonMr, 1, true, nullptr});
#endif
    v.add(QIsa::Scalar, {"baseline", microkernelBaseline, kGenericMr, 1, true, nullptr});
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
