#include "kernels/cpu/generic/qgemm_microkernel.h"

#include "kernels/cpu/arm/qgemm_arm.h"
#include "kernels/cpu/generic/qisa.h"
#include "kernels/cpu/generic/qw8a8_rows.h"
#include "kernels/cpu/x86/qgemm_amx.h"
#include "kernels/cpu/x86/qgemm_x86.h"

namespace llmopt::kernels::cpu {
namespace {

// The reference: the PackedN16K4 layout read byte by byte.
void qgemmScalar(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w,
                 int64_t panel_stride, int panels, int rows, int32_t* acc) {
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < panels; ++i)
      for (int j = 0; j < 16; ++j) {
        const uint8_t* row = a + r * lda;
        const int8_t* panel = w + i * panel_stride;
        int32_t sum = 0;
        for (int64_t q = 0; q < kq; ++q)
          for (int t = 0; t < 4; ++t) sum += row[q * 4 + t] * panel[q * 64 + j * 4 + t];
        acc[r * kQGemmAccStride + i * 16 + j] = sum;
      }
}

// The row work in the library's baseline instruction set.
void quantizeW8A8RowScalar(const float* x, int64_t k, int64_t padded, uint8_t* u, float* scale) {
  quantizeW8A8RowImpl(x, k, padded, u, scale);
}
void storeW8A8TileScalar(const int32_t* acc, int rows, int64_t cols, const float* row_scales,
                         const int32_t* colsum, const float* w_scale, const float* bias,
                         float* y, int64_t ldy) {
  storeW8A8TileImpl(acc, rows, cols, row_scales, colsum, w_scale, bias, y, ldy);
}

const IsaVariants<QGemmVariant>& table() {
  static const IsaVariants<QGemmVariant> instance = [] {
    IsaVariants<QGemmVariant> v;
#ifdef LLMOPT_QKERNELS_X86
    v.add(QIsa::Amx, {"amx", qgemmAmx, kQGemmAmxMr, quantizeW8A8RowAvx512, storeW8A8TileAvx512,
                      qgemmAmxBegin, qgemmAmxEnd, true, cpuHasAmxInt8() && cpuHasAvx512Vnni()});
    v.add(QIsa::Avx512, {"avx512vnni", qgemmAvx512Vnni, kQGemmAvx512Mr, quantizeW8A8RowAvx512,
                         storeW8A8TileAvx512, nullptr, nullptr, false, cpuHasAvx512Vnni()});
    v.add(QIsa::AvxVnni, {"avxvnni", qgemmAvxVnni, kQGemmMr, quantizeW8A8RowAvx2,
                          storeW8A8TileAvx2, nullptr, nullptr, false, cpuHasAvxVnni()});
    v.add(QIsa::Avx2, {"avx2", qgemmAvx2, kQGemmMr, quantizeW8A8RowAvx2, storeW8A8TileAvx2,
                       nullptr, nullptr, false, cpuHasAvx2Fma()});
#endif
#ifdef LLMOPT_KERNELS_ARM
    // The row work stays the baseline build's: armv8-a has NEON, which the compiler uses.
    v.add(QIsa::NeonDot, {"neondot", qgemmNeonDot, kQGemmNeonMr, quantizeW8A8RowScalar,
                          storeW8A8TileScalar, nullptr, nullptr, false, cpuHasDotProd()});
    v.add(QIsa::Neon, {"neon", qgemmNeon, kQGemmNeonMr, quantizeW8A8RowScalar,
                       storeW8A8TileScalar, nullptr, nullptr, false, true});
#endif
    v.add(QIsa::Scalar, {"scalar", qgemmScalar, kQGemmMr, quantizeW8A8RowScalar,
                         storeW8A8TileScalar, nullptr, nullptr, false, true});
    v.choose();
    return v;
  }();
  return instance;
}

}  // namespace

const QGemmVariant* qgemmVariants(size_t* count) { return table().all(count); }

const QGemmVariant& bestQGemmVariant() { return table().best(); }

const QGemmVariant& qgemmVariantForRows(int64_t m) {
  const QGemmVariant& best = bestQGemmVariant();
  if (2 * m > best.mr) return best;
  size_t count = 0;
  const QGemmVariant* all = qgemmVariants(&count);
  for (size_t i = 0; i + 1 < count; ++i)
    if (&all[i] == &best)
      for (size_t j = i + 1; j < count; ++j)
        if (all[j].supported && all[j].mr < best.mr) return all[j];
  return best;
}

}  // namespace llmopt::kernels::cpu
