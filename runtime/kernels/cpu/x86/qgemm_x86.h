// The x86 variants of the W8A8 GEMM microkernel (QGemmMicrokernelFn): AVX-512 VNNI vpdpbusd,
// AVX-VNNI (the same on ymm), and AVX2 widening to int16 for vpmaddwd (vpmaddubsw would
// saturate). Absent on other targets.
#ifndef LLMOPT_KERNELS_CPU_X86_QGEMM_X86_H
#define LLMOPT_KERNELS_CPU_X86_QGEMM_X86_H

#include <cstdint>

#include "kernels/cpu/x86/qx86.h"

#ifdef LLMOPT_QKERNELS_X86
namespace llmopt::kernels::cpu {

constexpr int kQGemmAvx512Mr = 12;  // rows per call of qgemmAvx512Vnni

void qgemmAvx512Vnni(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w,
                     int64_t panel_stride, int panels, int rows, int32_t* acc);
void qgemmAvxVnni(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w,
                  int64_t panel_stride, int panels, int rows, int32_t* acc);
void qgemmAvx2(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w, int64_t panel_stride,
               int panels, int rows, int32_t* acc);

// The row work around them (QuantizeW8A8RowFn, StoreW8A8TileFn) built for each ISA.
void quantizeW8A8RowAvx512(const float* x, int64_t k, int64_t padded, uint8_t* u, float* scale);
void storeW8A8TileAvx512(const int32_t* acc, int rows, int64_t cols, const float* row_scales,
                         const int32_t* colsum, const float* w_scale, const float* bias,
                         float* y, int64_t ldy);
void quantizeW8A8RowAvx2(const float* x, int64_t k, int64_t padded, uint8_t* u, float* scale);
void storeW8A8TileAvx2(const int32_t* acc, int rows, int64_t cols, const float* row_scales,
                       const int32_t* colsum, const float* w_scale, const float* bias, float* y,
                       int64_t ldy);

// CPU feature checks for the variants above.
bool cpuHasAvx512Vnni();
bool cpuHasAvxVnni();
bool cpuHasAvx2Fma();

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_X86_QGEMM_X86_H
