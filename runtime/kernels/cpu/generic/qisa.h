// The instruction set the LLMOPT_ISA environment variable forces the quantized kernels to
// (scalar | avx2 | avx512vnni), read once; for comparing variants in a running model.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QISA_H
#define LLMOPT_KERNELS_CPU_GENERIC_QISA_H

namespace llmopt::kernels::cpu {

enum class QIsa { Best, Scalar, Avx2, Avx512 };

// QIsa::Best when LLMOPT_ISA is unset or names nothing known.
QIsa forcedQIsa();

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QISA_H
