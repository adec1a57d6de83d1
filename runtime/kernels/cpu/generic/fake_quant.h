// Fake quantization: an fp32 tensor rounded to the values an 8-bit quantized tensor holds (the
// QuantizeLinear -> DequantizeLinear pairs of QDQ models).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_FAKE_QUANT_H
#define LLMOPT_KERNELS_CPU_GENERIC_FAKE_QUANT_H

#include <cstdint>

#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

// y = (clamp(round_half_even(x / scale) + zero_point, qmin, qmax) - zero_point) * scale for n
// elements, as ONNX defines QuantizeLinear (division, not a reciprocal) and DequantizeLinear.
// NaN stays NaN. y may alias x.
void fakeQuantF32(const float* x, float scale, int32_t zero_point, float qmin, float qmax,
                  float* y, int64_t n, Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_FAKE_QUANT_H
