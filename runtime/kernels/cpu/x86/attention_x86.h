// The x86 variants of the attention block (AttentionBlockFn): AVX-512F with 16, 32 or 64 queries
// per block (one, two or four vectors), AVX2 + FMA with 16 (two vectors). Absent on other
// targets.
#ifndef LLMOPT_KERNELS_CPU_X86_ATTENTION_X86_H
#define LLMOPT_KERNELS_CPU_X86_ATTENTION_X86_H

#include <cstdint>

#include "kernels/cpu/generic/attention.h"
#include "kernels/cpu/x86/qx86.h"

#ifdef LLMOPT_QKERNELS_X86
namespace llmopt::kernels::cpu {

constexpr int64_t kAttentionLanesAvx2 = 16;
// The 64-query block keeps its buffers as small as the others' by taking half the head size.
constexpr int64_t kAttentionMaxDimAvx512x64 = kAttentionMaxDim / 2;

void attentionBlockAvx512x16(const AttentionArgs& a, int64_t b, int64_t kv_head, int64_t lane_begin,
                             VMathFn exp);
void attentionBlockAvx512x32(const AttentionArgs& a, int64_t b, int64_t kv_head, int64_t lane_begin,
                             VMathFn exp);
void attentionBlockAvx512x64(const AttentionArgs& a, int64_t b, int64_t kv_head, int64_t lane_begin,
                             VMathFn exp);
void attentionBlockAvx2(const AttentionArgs& a, int64_t b, int64_t kv_head, int64_t lane_begin,
                        VMathFn exp);
// attention_decode.h's task on AVX-512F.
void attentionCachedHeadsAvx512(const CachedAttentionArgs& a, int64_t b, int64_t i, int64_t h_begin,
                                int64_t h_end, VMathFn exp);
// Needs F16C besides AVX2 and FMA (cpuHasAvx2F16c).
void attentionCachedHeadsAvx2(const CachedAttentionArgs& a, int64_t b, int64_t i, int64_t h_begin,
                              int64_t h_end, VMathFn exp);

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_X86_ATTENTION_X86_H
