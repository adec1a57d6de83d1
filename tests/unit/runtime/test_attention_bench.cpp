// Timing of the fused attention kernel (attention.h) on one thread against two unfused
// computations of the same result: plain loops (scores, softmax, weighted sum), and the
// runtime's own kernels (transposes, matmul, softmax, matmul). Disabled; run with
//   llmopt_runtime_kernel_tests --gtest_also_run_disabled_tests --gtest_filter='*AttentionBench*'
// GFLOP/s count 4 B H Sq Sk D flops, halved when causal, for every method alike; every block
// width of every variant is timed, * marks the one attentionF32 chooses.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/attention.h"
#include "kernels/cpu/generic/matmul.h"
#include "kernels/cpu/generic/softmax.h"
#include "kernels/cpu/generic/transpose.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::AttentionArgs;
using kernels::cpu::AttentionBlock;
using kernels::cpu::AttentionVariant;

// Self-attention, heads = kv heads.
struct Case {
  int64_t batch, heads, seq, dim;
  bool causal;
};

// The best of `repeats` timings of fn, in seconds, after a warm-up run.
template <class Fn>
double bestSeconds(int repeats, Fn&& fn) {
  fn();
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// [B, S, H, D] -> scores, causal mask, softmax, weighted sum, one (b, h) at a time, with an
// [S, S] score matrix.
void unfusedLoops(const Case& c, const float* q, const float* k, const float* v, float scale,
                  float* y) {
  const int64_t s_len = c.seq, d_len = c.dim, stride = c.heads * c.dim;
  std::vector<float> scores(s_len * s_len);
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h) {
      const int64_t base = b * s_len * stride + h * d_len;
      for (int64_t i = 0; i < s_len; ++i)
        for (int64_t j = 0; j < s_len; ++j) {
          float dot = 0.0f;
          for (int64_t d = 0; d < d_len; ++d)
            dot += q[base + i * stride + d] * k[base + j * stride + d];
          scores[i * s_len + j] =
              c.causal && j > i ? -std::numeric_limits<float>::infinity() : scale * dot;
        }
      kernels::cpu::softmaxF32(scores.data(), Shape{s_len, s_len}, 1, scores.data());
      for (int64_t i = 0; i < s_len; ++i) {
        float* out = y + base + i * stride;
        std::fill(out, out + d_len, 0.0f);
        for (int64_t j = 0; j < s_len; ++j) {
          const float p = scores[i * s_len + j];
          for (int64_t d = 0; d < d_len; ++d) out[d] += p * v[base + j * stride + d];
        }
      }
    }
}

// The same through the runtime's kernels, as an unfused plan runs it: q, v to [B, H, S, D], k to
// [B, H, D, S], q k^T (matmul), scale and mask, softmax, times v (matmul), back to [B, S, H, D].
struct UnfusedKernels {
  explicit UnfusedKernels(const Case& c)
      : c(c),
        qs{c.batch, c.seq, c.heads, c.dim},
        qh{c.batch, c.heads, c.seq, c.dim},
        kt{c.batch, c.heads, c.dim, c.seq},
        ss{c.batch, c.heads, c.seq, c.seq},
        q_h(qh.elements()),
        k_t(kt.elements()),
        v_h(qh.elements()),
        y_h(qh.elements()),
        scores(ss.elements()),
        scratch(std::max(kernels::cpu::matmulScratchFloats(qh, kt),
                         kernels::cpu::matmulScratchFloats(ss, qh))) {}

  void run(const float* q, const float* k, const float* v, float scale, float* y) {
    const int to_heads[] = {0, 2, 1, 3}, to_keys_t[] = {0, 2, 3, 1};
    kernels::cpu::transpose(q, qs, to_heads, sizeof(float), q_h.data());
    kernels::cpu::transpose(k, qs, to_keys_t, sizeof(float), k_t.data());
    kernels::cpu::transpose(v, qs, to_heads, sizeof(float), v_h.data());
    kernels::cpu::matmulF32(q_h.data(), qh, k_t.data(), kt, scores.data(), scratch.data());
    const int64_t s_len = c.seq;
    for (int64_t bh = 0; bh < c.batch * c.heads; ++bh)
      for (int64_t i = 0; i < s_len; ++i) {
        float* row = scores.data() + (bh * s_len + i) * s_len;
        for (int64_t j = 0; j < s_len; ++j)
          row[j] = c.causal && j > i ? -std::numeric_limits<float>::infinity() : row[j] * scale;
      }
    kernels::cpu::softmaxF32(scores.data(), ss, 3, scores.data());
    kernels::cpu::matmulF32(scores.data(), ss, v_h.data(), qh, y_h.data(), scratch.data());
    kernels::cpu::transpose(y_h.data(), qh, to_heads, sizeof(float), y);
  }

  Case c;
  Shape qs, qh, kt, ss;
  std::vector<float> q_h, k_t, v_h, y_h, scores, scratch;
};

TEST(AttentionBench, DISABLED_OneThread) {
  for (const Case& c : {Case{1, 8, 256, 32, true}, Case{1, 12, 1024, 64, true},
                        Case{1, 8, 256, 32, false}, Case{1, 12, 1024, 64, false}}) {
    const int64_t n = c.batch * c.seq * c.heads * c.dim;
    const auto q = randomFloats(n, 1, -3.0f, 3.0f), k = randomFloats(n, 2, -3.0f, 3.0f),
               v = randomFloats(n, 3, -3.0f, 3.0f);
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.dim));
    const double flops = 4.0 * c.batch * c.heads * c.seq * c.seq * c.dim * (c.causal ? 0.5 : 1.0);
    const int repeats = c.seq >= 1024 ? 5 : 20;
    std::vector<float> y(n), y_loops(n), y_kernels(n);
    std::printf("B %lld H %lld S %lld D %lld%s (%.3g GFLOP):\n", static_cast<long long>(c.batch),
                static_cast<long long>(c.heads), static_cast<long long>(c.seq),
                static_cast<long long>(c.dim), c.causal ? " causal" : "", flops * 1e-9);
    auto line = [&](const char* what, double seconds) {
      std::printf("  %-32s %9.3f ms %8.2f GFLOP/s\n", what, seconds * 1e3, flops / seconds * 1e-9);
    };
    const double loops = bestSeconds(repeats / 4 + 1, [&] {
      unfusedLoops(c, q.data(), k.data(), v.data(), scale, y_loops.data());
    });
    line("unfused loops", loops);
    UnfusedKernels unfused(c);
    const double kernels_s = bestSeconds(
        repeats, [&] { unfused.run(q.data(), k.data(), v.data(), scale, y_kernels.data()); });
    line("unfused runtime kernels", kernels_s);
    EXPECT_TRUE(allClose(y_kernels, y_loops, 1e-4f));

    AttentionArgs a;
    a.q = q.data();
    a.k = k.data();
    a.v = v.data();
    a.y = y.data();
    a.batch = c.batch;
    a.q_len = a.kv_len = c.seq;
    a.heads = a.kv_heads = c.heads;
    a.dim = c.dim;
    a.scale = scale;
    a.causal = c.causal;
    size_t count = 0;
    const AttentionVariant* variants = kernels::cpu::attentionVariants(&count);
    for (size_t i = 0; i < count; ++i) {
      const AttentionVariant& variant = variants[i];
      if (!variant.supported) continue;
      const int64_t chosen = kernels::cpu::chooseAttentionBlock(variant, a).lanes;
      for (const AttentionBlock& block : variant.blocks) {
        if (block.lanes == 0) continue;
        const double fused = bestSeconds(repeats, [&] { attentionF32(block, variant.exp, a); });
        char what[64];
        std::snprintf(what, sizeof what, "fused %s, %lld queries%s", variant.name,
                      static_cast<long long>(block.lanes), block.lanes == chosen ? " *" : "");
        line(what, fused);
        std::printf("  %-32s x%.1f vs unfused loops, x%.1f vs unfused kernels\n", "", loops / fused,
                    kernels_s / fused);
        EXPECT_TRUE(allClose(y, y_loops, 1e-4f)) << what;
      }
    }
  }
}

}  // namespace
}  // namespace llmopt::testing
