#include "kernels/cpu/generic/attention.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "kernels/cpu/generic/attention_block.h"
#include "kernels/cpu/generic/attention_decode.h"
#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/qisa.h"
#include "kernels/cpu/x86/attention_x86.h"
#include "kernels/cpu/x86/qdecode_x86.h"
#include "kernels/cpu/x86/qgemm_x86.h"
#include "kernels/cpu/x86/vmath_x86.h"

namespace llmopt::kernels::cpu {
namespace {

// attention_decode.h's Ops as plain loops.
struct ScalarDecodeOps {
  template <class T>
  static void scoreTile(const float* q, const T* tile, int64_t dim, float* s) {
    float acc[kKvKeyTile] = {};
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t l = 0; l < kKvKeyTile; ++l)
        acc[l] += q[d] * kvCacheToFloat(tile[d * kKvKeyTile + l]);
    std::memcpy(s, acc, sizeof(acc));
  }
  template <class T>
  static void accumulate(const float* p, int64_t n, const T* v, int64_t dim, float* y) {
    for (int64_t c = 0; c < n; ++c)
      for (int64_t d = 0; d < dim; ++d) y[d] += p[c] * kvCacheToFloat(v[c * dim + d]);
  }
  static void scale(float* y, float s, int64_t dim) {
    for (int64_t d = 0; d < dim; ++d) y[d] *= s;
  }
};

void attentionCachedHeadsScalar(const CachedAttentionArgs& a, int64_t b, int64_t i, int64_t h_begin,
                                int64_t h_end, VMathFn exp) {
  attentionCachedHeadsAnyType<ScalarDecodeOps>(a, b, i, h_begin, h_end, exp);
}

// The exp of the vmath variant called `name`, so that each attention variant uses its own
// instruction set's exp and the chosen one bestVMathVariant()'s.
VMathFn vmathExp(const char* name) {
  size_t count = 0;
  const VMathVariant* all = vmathVariants(&count);
  for (size_t i = 0; i < count; ++i)
    if (std::strcmp(all[i].name, name) == 0) return all[i].exp;
  return all[count - 1].exp;  // the scalar one, built everywhere
}

const IsaVariants<AttentionVariant>& table() {
  static const IsaVariants<AttentionVariant> instance = [] {
    IsaVariants<AttentionVariant> v;
#ifdef LLMOPT_QKERNELS_X86
    v.add(QIsa::Avx512, {"avx512",
                         {{16, kAttentionMaxDim, attentionBlockAvx512x16},
                          {32, kAttentionMaxDim, attentionBlockAvx512x32},
                          {64, kAttentionMaxDimAvx512x64, attentionBlockAvx512x64}},
                         attentionCachedHeadsAvx512,
                         vmathExp("avx512"),
                         cpuHasAvx512FFma()});
    // (F16C widens an fp16 cache; every AVX2 CPU so far has it.)
    v.add(QIsa::Avx2, {"avx2",
                       {{kAttentionLanesAvx2, kAttentionMaxDim, attentionBlockAvx2}},
                       cpuHasAvx2F16c() ? attentionCachedHeadsAvx2 : attentionCachedHeadsScalar,
                       vmathExp("avx2"),
                       cpuHasAvx2Fma()});
#endif
    v.add(QIsa::Scalar, {"scalar",
                         {{kAttentionLanesScalar, kAttentionMaxDim, attentionBlockScalar}},
                         attentionCachedHeadsScalar,
                         vmathExp("scalar"),
                         true});
    v.choose();
    return v;
  }();
  return instance;
}

// The max and the sum of s[0, n) in kReductionLanes partial results: one running max or sum is a
// chain of n dependent operations (measured: most of a decoding step's softmax bookkeeping); the
// partials are independent, and the compiler vectorises them.
constexpr int64_t kReductionLanes = 8;

float maxOf(const float* s, int64_t n) {
  float part[kReductionLanes];
  std::fill(part, part + kReductionLanes, -std::numeric_limits<float>::infinity());
  int64_t c = 0;
  for (; c + kReductionLanes <= n; c += kReductionLanes)
    for (int64_t u = 0; u < kReductionLanes; ++u)
      part[u] = part[u] < s[c + u] ? s[c + u] : part[u];  // (std::max's NaN rule)
  for (; c < n; ++c) part[0] = part[0] < s[c] ? s[c] : part[0];
  float result = part[0];
  for (int64_t u = 1; u < kReductionLanes; ++u) result = result < part[u] ? part[u] : result;
  return result;
}

float sumOf(const float* s, int64_t n) {
  float part[kReductionLanes] = {};
  int64_t c = 0;
  for (; c + kReductionLanes <= n; c += kReductionLanes)
    for (int64_t u = 0; u < kReductionLanes; ++u) part[u] += s[c + u];
  for (; c < n; ++c) part[0] += s[c];
  static_assert(kReductionLanes == 8, "update the pairwise sum below");
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

}  // namespace

bool decodeChunkWeights(float* s, int64_t n, float scale, const float* key_scales,
                        const float* bias, const float* value_scales, float* m, float* l,
                        float* alpha, VMathFn exp) {
  if (key_scales)
    for (int64_t c = 0; c < n; ++c) s[c] *= scale * key_scales[c];
  else
    for (int64_t c = 0; c < n; ++c) s[c] *= scale;
  if (bias)
    for (int64_t c = 0; c < n; ++c) s[c] += bias[c];
  const float chunk_max = maxOf(s, n);
  if (chunk_max == -std::numeric_limits<float>::infinity()) return false;
  *alpha = 1.0f;
  if (chunk_max > *m) {
    if (*l > 0.0f) {
      float shift = *m - chunk_max;
      exp(&shift, &shift, 1);
      *alpha = shift;
      *l *= shift;
    }
    *m = chunk_max;
  }
  const float max = *m;
  for (int64_t c = 0; c < n; ++c) s[c] -= max;
  exp(s, s, n);
  *l += sumOf(s, n);
  if (value_scales)
    for (int64_t c = 0; c < n; ++c) s[c] *= value_scales[c];
  return true;
}

const AttentionVariant* attentionVariants(size_t* count) { return table().all(count); }

const AttentionVariant& bestAttentionVariant() { return table().best(); }

const AttentionBlock& chooseAttentionBlock(const AttentionVariant& variant,
                                           const AttentionArgs& a) {
  // The narrowest block that holds all queries of a kv head, else the widest that takes the head
  // size; but with causal masking 32 queries until there are many: a wide block's diagonal tiles
  // cost more than its fewer loads save on short sequences.
  const int64_t queries = a.q_len * (a.heads / a.kv_heads);
  const AttentionBlock* chosen = &variant.blocks[0];
  for (const AttentionBlock& block : variant.blocks) {
    if (block.lanes == 0 || block.max_dim < a.dim) break;
    if (chosen->lanes >= queries || (a.causal && queries < 512 && chosen->lanes >= 32)) break;
    chosen = &block;
  }
  return *chosen;
}

void attentionF32(const AttentionArgs& args, Parallel* parallel) {
  attentionF32(bestAttentionVariant(), args, parallel);
}

void attentionF32(const AttentionVariant& variant, const AttentionArgs& args, Parallel* parallel) {
  if (args.heads == 0 || args.kv_heads == 0) return;  // nothing to choose a block for
  attentionF32(chooseAttentionBlock(variant, args), variant.exp, args, parallel);
}

void attentionF32(const AttentionBlock& block, VMathFn exp, const AttentionArgs& a,
                  Parallel* parallel) {
  // An empty output: nothing to do, and the data may be NULL.
  if (a.batch == 0 || a.q_len == 0 || a.heads == 0 || a.dim == 0) return;
  const int64_t blocks = (a.q_len * (a.heads / a.kv_heads) + block.lanes - 1) / block.lanes;
  // Tasks by kv head, so that consecutive ones read the same keys and values (from cache); within
  // a head last block first: with causal masking the last queries see the most keys, and leaving
  // the cheap blocks for the end evens out the threads' loads.
  parallelRanges(parallel, a.batch * a.kv_heads * blocks, block.lanes * a.kv_len * a.dim,
                 [&](int64_t begin, int64_t end) {
                   for (int64_t task = begin; task < end; ++task) {
                     const int64_t bh = task / blocks, index = blocks - 1 - task % blocks;
                     block.run(a, bh / a.kv_heads, bh % a.kv_heads, index * block.lanes, exp);
                   }
                 });
}

void attentionCachedF32(const CachedAttentionArgs& a, Parallel* parallel) {
  attentionCachedF32(bestAttentionVariant(), a, parallel);
}

void attentionCachedF32(const AttentionVariant& variant, const CachedAttentionArgs& a,
                        Parallel* parallel) {
  if (a.batch == 0 || a.q_len == 0 || a.heads == 0 || a.cache.dim == 0) return;
  // Tasks by head (the heads of a group read the same rows, still in cache), queries inner, so
  // that a head's rows stay in cache for its next query. With one query (decoding), every task
  // costs the same and a range's tasks are consecutive heads: one range per thread, which one
  // call takes, reading the cache in memory order (kv_cache.h); ranges of one or two heads
  // claimed in turn read it in short runs again (measured: about 15% slower on 2 threads).
  parallelRanges(
      parallel, a.batch * a.heads * a.q_len, a.kv_len * a.cache.dim,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end;) {
          const int64_t i = t % a.q_len, bh = t / a.q_len, h = bh % a.heads;
          const int64_t heads = a.q_len == 1 ? std::min(end - t, a.heads - h) : 1;
          variant.cached(a, bh / a.heads, i, h, h + heads, variant.exp);
          t += heads;
        }
      },
      a.q_len == 1 ? 1 : 4);
}

void ropeRotateHalfF32(const float* x, const float* cos, const float* sin, int64_t batch,
                       int64_t len, int64_t heads, int64_t dim, int64_t position_offset, float* y,
                       Parallel* parallel, int64_t x_stride) {
  const int64_t half = dim / 2, row = heads * dim, in_row = x_stride ? x_stride : row;
  parallelRanges(parallel, batch * len, row * 4, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t p = position_offset + r % len;
      const float* c = cos + p * dim;
      const float* s = sin + p * dim;
      for (int64_t h = 0; h < heads; ++h) {
        const float* in = x + r * in_row + h * dim;
        float* out = y + r * row + h * dim;
        for (int64_t d = 0; d < half; ++d) {
          const float direct = in[d] * c[d], rotated = -in[d + half] * s[d];
          out[d] = direct + rotated;
        }
        for (int64_t d = half; d < dim; ++d) {
          const float direct = in[d] * c[d], rotated = in[d - half] * s[d];
          out[d] = direct + rotated;
        }
      }
    }
  });
}

}  // namespace llmopt::kernels::cpu
