// Packing quantized and 16-bit weights into the 16-channel panels the quantized linear kernels
// stream. Used at compile time by the artifact writer (library llmopt_weight_layouts) and by the
// runtime's tests; dependency-free. Weights come in row-major W[n][k] (n output channels, k input
// features: nn.Linear's layout); panel p holds channels [16p, 16p + 16), zero past n.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QPACK_H
#define LLMOPT_KERNELS_CPU_GENERIC_QPACK_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/qfloat16.h"

namespace llmopt::kernels::cpu {

constexpr int kQPanelWidth = 16;
inline int64_t qPanelCount(int64_t n) { return (n + 15) / 16; }

// --- W8A8: int8 weights x int8 activations, int32 accumulation ---
// "PackedN16K4": k padded up to kq = ceil(k/4) quads. Panel p, quad q: 64 bytes at
// dst + (p * kq + q) * 64, byte [j * 4 + t] = W[16p + j][4q + t] (0 past n or k): the operand
// order of AVX-512 VNNI vpdpbusd (one zmm = 16 channels x 4 k).
int64_t packedW8A8Bytes(int64_t n, int64_t k);  // qPanelCount(n) * ceil(k/4) * 64
void packW8A8(const int8_t* w, int64_t n, int64_t k, int8_t* dst);
// Sum over k of W[c][k] for each channel, qPanelCount(n) * 16 entries (0 past n): undoes the +128
// shift of the unsigned activations.
void w8a8ColumnSums(const int8_t* w, int64_t n, int64_t k, int32_t* dst);

// --- weight-only formats, decoded to fp32 inside the GEMM ("PackedN16" panels) ---
// Int8: panel p, row kk: 16 bytes at dst + (p * k + kk) * 16, byte j = W[16p + j][kk]; with
//   per-channel fp32 scales [qPanelCount(n) * 16]: w = q * scale[c].
// Int4: panel p, row kk: 8 bytes at dst + (p * k + kk) * 8, byte j = channel 16p + 2j in its low
//   nibble, 16p + 2j + 1 in its high nibble; q unsigned 0..15. Groups along k of group_size
//   (the last may be short), fp16 scale and offset per group laid out [panel][group][16]:
//   w = q * scale + offset in fp32 (q * scale is exact, so fused or not gives the same).
// F16, BF16: panel p, row kk: 16 uint16 at dst + (p * k + kk) * 16.
int64_t packedInt8Bytes(int64_t n, int64_t k);   // panels * k * 16
int64_t packedInt4Bytes(int64_t n, int64_t k);   // panels * k * 8
int64_t packed16BitBytes(int64_t n, int64_t k);  // panels * k * 16 * 2
void packInt8(const int8_t* w, int64_t n, int64_t k, int8_t* dst);
// q: row-major [n][k] values 0..15, one per byte (the high nibble is ignored).
void packInt4(const uint8_t* q, int64_t n, int64_t k, uint8_t* dst);
// Row-major [n][groups] per-group params (fp16 bits) -> [panel][group][16], zero-padded.
void packInt4GroupParams(const uint16_t* params, int64_t n, int64_t groups, uint16_t* dst);
void pack16Bit(const uint16_t* w, int64_t n, int64_t k, uint16_t* dst);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QPACK_H
