// The AMX variant of the W8A8 GEMM microkernel (QGemmMicrokernelFn): tdpbusd on 16-row tiles
// (Intel Sapphire Rapids and later). Absent on other targets.
#ifndef LLMOPT_KERNELS_CPU_X86_QGEMM_AMX_H
#define LLMOPT_KERNELS_CPU_X86_QGEMM_AMX_H

#include <cstdint>

#include "kernels/cpu/x86/qx86.h"

#ifdef LLMOPT_QKERNELS_X86
namespace llmopt::kernels::cpu {

// Like every QGemmMicrokernelFn, but it always reads kQGemmAmxMr rows of `a` and writes
// kQGemmAmxMr rows of acc (rows past `rows` must be readable in a and writable in acc), and it
// runs between qgemmAmxBegin(kq) (the tile configuration for that kq) and qgemmAmxEnd() (the
// tiles released) on the same thread.
void qgemmAmx(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w, int64_t panel_stride,
              int panels, int rows, int32_t* acc);
void qgemmAmxBegin(int64_t kq);
void qgemmAmxEnd();

// AMX-TILE and AMX-INT8 are present, the OS saves tile state, and (on Linux) this process was
// granted tile data (arch_prctl ARCH_REQ_XCOMP_PERM); asked once.
bool cpuHasAmxInt8();

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_X86_QGEMM_AMX_H
