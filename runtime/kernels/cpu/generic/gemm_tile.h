// The fp32 microkernel's tile in GCC/Clang generic vectors (gemm_microkernel.h's contract), always
// inlined: the baseline variant instantiates it for 4-float vectors (SSE / NEON,
// gemm_microkernel_baseline.cpp) and x86 builds again for AVX2 (gemm_microkernel.cpp). Both are
// built with -ffp-contract=fast, so that acc += a * b becomes FMA where the target has it.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_GEMM_TILE_H
#define LLMOPT_KERNELS_CPU_GENERIC_GEMM_TILE_H

#include <cstdint>

#include "kernels/cpu/generic/gemm_microkernel.h"

namespace llmopt::kernels::cpu {

constexpr int kGemmGenericMr = 6;  // rows per call of the generic-vector variants

// GCC/Clang generic vectors of W floats. Each variant uses its native width (16 for AVX-512,
// 8 for AVX2, 4 for SSE/NEON): wider-than-native generic vectors are lowered through the stack,
// and GCC's auto-vectoriser, left alone, vectorises this tile across rows instead of columns.
template <int W>
struct GemmFloatVec {
  typedef float type __attribute__((vector_size(W * sizeof(float))));
};

template <int Rows, int W>
__attribute__((always_inline)) inline void gemmTile(int64_t kc, const float* a, const float* panel,
                                                    float* c, int64_t ldc, int cols, bool load_c,
                                                    const float* bias) {
  using V = typename GemmFloatVec<W>::type;
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
      for (int v = 0; v < kVecs; ++v) __builtin_memcpy(c + r * ldc + v * W, &acc[r][v], sizeof(V));
  } else {
    for (int r = 0; r < Rows; ++r)
      for (int j = 0; j < cols; ++j) c[r * ldc + j] = acc[r][j / W][j % W];
  }
}

template <int W>
__attribute__((always_inline)) inline void gemmAnyRows(int64_t kc, const float* a,
                                                       const float* panel, float* c, int64_t ldc,
                                                       int rows, int cols, bool load_c,
                                                       const float* bias) {
  static_assert(kGemmGenericMr == 6, "update the row dispatch below");
  switch (rows) {
    case 6: return gemmTile<6, W>(kc, a, panel, c, ldc, cols, load_c, bias);
    case 5: return gemmTile<5, W>(kc, a, panel, c, ldc, cols, load_c, bias);
    case 4: return gemmTile<4, W>(kc, a, panel, c, ldc, cols, load_c, bias);
    case 3: return gemmTile<3, W>(kc, a, panel, c, ldc, cols, load_c, bias);
    case 2: return gemmTile<2, W>(kc, a, panel, c, ldc, cols, load_c, bias);
    default: return gemmTile<1, W>(kc, a, panel, c, ldc, cols, load_c, bias);
  }
}

// The baseline variant (gemm_microkernel_baseline.cpp): one panel per call (max_panels 1).
void gemmMicrokernelBaseline(int64_t kc, const float* a, const float* panel, int64_t panel_stride,
                             int panels, float* c, int64_t ldc, int rows, int cols, bool load_c,
                             const float* bias);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_GEMM_TILE_H
