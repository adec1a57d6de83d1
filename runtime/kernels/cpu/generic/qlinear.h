// Linear layers with compressed weights: y[m][n] = x[m][k] . W^T + bias, W given as n output
// channels of k features packed by qpack.h. W8A8 multiplies in int8 with dynamically quantized
// activations; the weight-only formats decode W to fp32 inside the GEMM.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QLINEAR_H
#define LLMOPT_KERNELS_CPU_GENERIC_QLINEAR_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/qdecode.h"
#include "kernels/cpu/generic/qgemm_microkernel.h"
#include "kernels/cpu/generic/qweight_format.h"
#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

// --- W8A8 ---
// Each row of x is quantized symmetrically per token: s = max|x[i]| / 127, q = clamp(
// round_half_even(x · (1 / s)), -127, 127), stored as u = q + 128 (a row of zeros gives bias alone).
// y[i][c] = (sum_k u * w - 128 * colsum[c]) * s * w_scale[c] + bias[c], the int32 sum exact
// (k <= 65535), its dequantization and the bias the GEMM's epilogue.
struct LinearW8A8Args {
  const float* x = nullptr;  // [m][k] fp32 activations
  int64_t m = 0, k = 0, n = 0;
  const int8_t* w = nullptr;          // packW8A8 layout
  const int32_t* w_colsum = nullptr;  // w8a8ColumnSums
  const float* w_scale = nullptr;     // [>= n] per-channel weight scales (w ~ q * w_scale[c])
  const float* bias = nullptr;        // [n] or null
  float* y = nullptr;                 // [m][n]
  void* scratch = nullptr;  // linearW8A8ScratchBytes(m, k, n) bytes, 64-byte aligned
  const QGemmVariant* variant = nullptr;  // null: qgemmVariantForRows(m)
};

size_t linearW8A8ScratchBytes(int64_t m, int64_t k, int64_t n);

void linearW8A8(const LinearW8A8Args& args, Parallel* parallel = nullptr);

// --- weight-only formats, decoded to fp32 ---
// Up to kDecodedGemvMaxM rows run a GEMV that decodes the compressed weights in registers, so
// memory traffic stays that of the compressed weights (Int4 with k and the group size multiples
// of 16 multiplies in int8 instead: x is quantized per group, qgemv_w4a8.h); more rows decode K
// blocks of each panel
// into an fp32 PackedN16 block for the fp32 GEMM microkernel. The decoded values are exact
// (qdecode.h): results differ from x . decode(W)^T + bias only by summation order.

// Passes of the GEMV over up to this many rows (kQGemvMaxRows per pass, the compressed panel
// staying in L1 between passes) beat the fp32 microkernel, whose one-panel tiles have less
// instruction-level parallelism.
constexpr int64_t kDecodedGemvMaxM = 16;

struct LinearDecodedArgs {
  const float* x = nullptr;  // [m][k]
  int64_t m = 0, k = 0, n = 0;
  QWeightFormat format = QWeightFormat::Int8;
  const void* w = nullptr;                  // packInt8 / packInt4 / pack16Bit layout
  const float* scale = nullptr;             // Int8: per-channel [panels * 16]
  const uint16_t* group_scale = nullptr;    // Int4: fp16 [panel][group][16]
  const uint16_t* group_offset = nullptr;   // Int4: fp16 [panel][group][16]
  int64_t group_size = 0;                   // Int4: > 0
  const float* bias = nullptr;              // [n] or null
  float* y = nullptr;                       // [m][n]
  float* scratch = nullptr;  // linearDecodedScratchFloats(m, k, n) floats, 64-byte aligned
  const QDecodeVariant* variant = nullptr;  // null: bestQDecodeVariant()
};

// For up to kDecodedGemvMaxM rows: the int8 copy of x of the Int4 GEMV (qgemv_w4a8.h); 0 for
// more (the GEMM's decoded blocks live on the stack).
size_t linearDecodedScratchFloats(int64_t m, int64_t k, int64_t n);

void linearDecoded(const LinearDecodedArgs& args, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QLINEAR_H
