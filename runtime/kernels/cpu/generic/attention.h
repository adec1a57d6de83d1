// Fused scaled dot-product attention (plan.fbs: AttentionParams), flash-style: blocks of queries
// against tiles of keys with a running max and sum per query (online softmax), so no [Sq, Sk]
// score matrix is ever formed and a task's memory depends on the head size only. One variant per
// instruction set, chosen once like the array math (vmath.h, LLMOPT_ISA).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_H
#define LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_H

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/generic/kv_cache.h"
#include "kernels/cpu/generic/vmath.h"
#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

// The largest head size (D) the kernel takes: a task's buffers live on the stack, at most 80 KB
// (attention_block.h).
constexpr int64_t kAttentionMaxDim = 256;

// q [batch, q_len, heads, dim], k and v [batch, kv_len, kv_heads, dim], y [batch, q_len, heads,
// dim]; y contiguous, q, k and v with their heads contiguous but `*_stride` floats from one
// position to the next (0: contiguous, heads * dim or kv_heads * dim), so that they can be parts
// of one packed tensor [batch, len, heads + 2 kv_heads, dim]; heads a multiple of kv_heads (head h reads kv head h / (heads /
// kv_heads)), 1 <= dim <= kAttentionMaxDim:
//   y[b, i, h] = sum_j softmax_j(scale * q[b, i, h] . k[b, j, h']) v[b, j, h']
// over j <= i + (kv_len - q_len) when causal (the queries are the last q_len of kv_len
// positions), over every j otherwise. A query that sees no key (causal with q_len > kv_len, its
// first q_len - kv_len rows; or kv_len = 0) gets y = 0, not the 0/0 of the formula.
// With key_bias, key_bias[b * key_bias_batch_stride + j] is added to every query's score of key
// j (after the scale): a padding mask.
struct AttentionArgs {
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  float* y = nullptr;
  int64_t batch = 0, q_len = 0, kv_len = 0, heads = 0, kv_heads = 0, dim = 0;
  float scale = 1.0f;
  bool causal = false;
  const float* key_bias = nullptr;     // [batch or 1][kv_len], or null
  int64_t key_bias_batch_stride = 0;   // kv_len, or 0 when one row serves every batch
  int64_t q_stride = 0, k_stride = 0, v_stride = 0;

  int64_t qStride() const { return q_stride ? q_stride : heads * dim; }
  int64_t kStride() const { return k_stride ? k_stride : kv_heads * dim; }
  int64_t vStride() const { return v_stride ? v_stride : kv_heads * dim; }
};

// Queries against the KV cache (kv_cache.h): q [batch, q_len, heads, cache.dim] (positions
// q_stride floats apart, 0: heads * dim), the queries being positions kv_len - q_len ..
// kv_len - 1 of the cached sequence, against cache positions [0, kv_len); y [batch, q_len,
// heads, dim]. attentionF32's semantics (causal, key_bias), heads a multiple of cache.kv_heads.
struct CachedAttentionArgs {
  const float* q = nullptr;
  KvCacheLayer cache;
  float* y = nullptr;
  int64_t batch = 0, q_len = 0, kv_len = 0, heads = 0;
  float scale = 1.0f;
  bool causal = false;
  const float* key_bias = nullptr;  // [batch or 1][>= kv_len], or null
  int64_t key_bias_batch_stride = 0;
  int64_t q_stride = 0;

  int64_t qStride() const { return q_stride ? q_stride : heads * cache.dim; }
};

// Attention for decoding steps and cached runs (attention_decode.h): tasks by (batch, query) and
// heads, the vectors along the cache's key tiles and value rows, so that a single query per
// head wastes no lanes. The task of bestAttentionVariant(), or of `variant` (which this CPU must
// support).
void attentionCachedF32(const CachedAttentionArgs& args, Parallel* parallel = nullptr);

// Rotary embedding, rotate-half form (Llama, GPT-NeoX), of x [batch, len, heads, dim] (dim even)
// with tables cos, sin [>= position_offset + len, dim]: row i of x sits at position
// position_offset + i and
//   y[.., i, h, d] = x[d] cos[p][d] + r[d] sin[p][d],  r = (-x[d + dim/2] for d < dim/2,
//                                                          x[d - dim/2] otherwise)
// computed as the unfused graph does (two products, then their sum). y is contiguous; rows of x
// are x_stride floats apart (0: contiguous, heads * dim). y may not alias x.
void ropeRotateHalfF32(const float* x, const float* cos, const float* sin, int64_t batch,
                       int64_t len, int64_t heads, int64_t dim, int64_t position_offset, float* y,
                       Parallel* parallel = nullptr, int64_t x_stride = 0);

// One task: the queries lane_begin .. lane_begin + lanes - 1 (those that exist) of kv head
// `kv_head` in batch `b`, a query being a (row i, head h of the group) pair numbered
// i * (heads / kv_heads) + (h - kv_head * heads / kv_heads).
using AttentionBlockFn = void (*)(const AttentionArgs& a, int64_t b, int64_t kv_head,
                                  int64_t lane_begin, VMathFn exp);

struct AttentionBlock {
  int64_t lanes = 0;    // queries per task; 0: no such block
  int64_t max_dim = 0;  // the largest head size it takes
  AttentionBlockFn run = nullptr;
};

// One task of attentionCachedF32: query i of batch b for heads [h_begin, h_end)
// (attention_decode.h).
using AttentionCachedFn = void (*)(const CachedAttentionArgs& a, int64_t b, int64_t i,
                                   int64_t h_begin, int64_t h_end, VMathFn exp);

// Wider blocks read each key and value for more queries (fewer loads per FMA, less traffic)
// but waste more work on the causal diagonal and on padding when there are few queries.
struct AttentionVariant {
  const char* name;          // "avx512", "avx2", "scalar"
  AttentionBlock blocks[3];  // narrowest first
  AttentionCachedFn cached;  // attentionCachedF32's task
  VMathFn exp;               // the exp of the vmath variant of the same name
  bool supported;            // this CPU can run it
};

// Every variant built into this library, best first (for tests and benchmarks).
const AttentionVariant* attentionVariants(size_t* count);

// The variant LLMOPT_ISA names (scalar, avx2; avx512vnni: avx512) when this CPU runs it, else the
// best this CPU runs; its exp is bestVMathVariant().exp.
const AttentionVariant& bestAttentionVariant();

// The block of `variant` attentionF32 uses for these arguments.
const AttentionBlock& chooseAttentionBlock(const AttentionVariant& variant,
                                           const AttentionArgs& args);

// Attention as above on the best variant, or on `variant` (which this CPU must support), or on
// one of its blocks (args.dim <= block.max_dim) with its exp. Results do not depend on the thread
// count.
void attentionF32(const AttentionArgs& args, Parallel* parallel = nullptr);
void attentionF32(const AttentionVariant& variant, const AttentionArgs& args,
                  Parallel* parallel = nullptr);
void attentionF32(const AttentionBlock& block, VMathFn exp, const AttentionArgs& args,
                  Parallel* parallel = nullptr);
void attentionCachedF32(const AttentionVariant& variant, const CachedAttentionArgs& args,
                        Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_ATTENTION_H
