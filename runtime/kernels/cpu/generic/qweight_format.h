// The storage formats of weight-only compressed weights (linear layers and embedding tables),
// decoded to fp32 by the kernels that read them.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QWEIGHT_FORMAT_H
#define LLMOPT_KERNELS_CPU_GENERIC_QWEIGHT_FORMAT_H

namespace llmopt::kernels::cpu {

enum class QWeightFormat {
  Int8,  // int8 q, fp32 scale per output channel (per row of a table): w = q * scale
  // Unsigned 4-bit q, fp16 scale and offset per group along k: w = q * scale + offset in fp32.
  // q * scale is exact (a 4-bit by an 11-bit significand), so this is also fma(q, scale, offset):
  // every path, fused or not, gives the same value.
  Int4,
  F16,   // IEEE half
  BF16,  // bfloat16
};

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QWEIGHT_FORMAT_H
