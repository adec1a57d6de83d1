//===- WeightPacking.h - weights in the layout of the CPU kernels ---------===//
#ifndef LLMOPT_BACKENDS_CPU_WEIGHTPACKING_H
#define LLMOPT_BACKENDS_CPU_WEIGHTPACKING_H

#include <cstdint>
#include <vector>

namespace llmopt::cpu {

/// Columns per panel of the fp32 GEMM microkernel (runtime's PackedN16 layout).
constexpr int64_t kPanelWidth = 16;

/// Shape of a packed [N, K] weight: [ceil(N/16), K, 16].
std::vector<int64_t> packedN16Shape(int64_t n, int64_t k);

/// Packs W into ceil(N/16) panels of [K][16] (the last zero-padded). `src` holds W either as
/// [N, K] (nn.Linear layout) or, with `srcIsKN`, as [K, N] (an ONNX MatMul weight).
void packN16(const float* src, bool srcIsKN, int64_t n, int64_t k, float* dst);

}  // namespace llmopt::cpu

#endif  // LLMOPT_BACKENDS_CPU_WEIGHTPACKING_H
