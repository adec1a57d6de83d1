// CUDA attention on HostExec and on the emulated warps, against the CPU recipe (runAttention:
// RoPE rotate-half, then attentionF32): causal or not, RoPE, key bias (shared or per batch, with
// -inf keys), packed QKV, grouped KV heads, Sq > Sk, head dims up to 256; and the fault when RoPE
// has no table row for a query.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/attention.h"

namespace llmopt::cuda_test {
namespace {

namespace cpu = llmopt::kernels::cpu;

struct AttnCase {
  int64_t batch, q_len, kv_len, heads, kv_heads, dim;
  bool causal, rope, key_bias, packed, bias_per_batch;
};

std::string attnName(const ::testing::TestParamInfo<AttnCase>& info) {
  const AttnCase& c = info.param;
  std::string s = "B" + std::to_string(c.batch) + "_Sq" + std::to_string(c.q_len) + "_Sk" +
                  std::to_string(c.packed ? c.q_len : c.kv_len) + "_H" + std::to_string(c.heads) +
                  "_Hkv" + std::to_string(c.kv_heads) + "_D" + std::to_string(c.dim);
  if (c.causal) s += "_causal";
  if (c.rope) s += "_rope";
  if (c.key_bias) s += c.bias_per_batch ? "_keybias_per_batch" : "_keybias";
  if (c.packed) s += "_packed";
  return s;
}

template <bool C, bool R, bool K, class Exec>
void runAttn(Exec ex, const cu::OpArgs& a, float scale, int32_t packed) {
  cu::attention<C, R, K>(ex, a, scale, packed);
}

template <class Exec>
void dispatchAttn(const AttnCase& c, Exec ex, const cu::OpArgs& a, float scale) {
  const int32_t packed = c.packed ? static_cast<int32_t>(c.kv_heads) : 0;
  const int sel = (c.causal ? 4 : 0) + (c.rope ? 2 : 0) + (c.key_bias ? 1 : 0);
  switch (sel) {
    case 0: return runAttn<false, false, false>(ex, a, scale, packed);
    case 1: return runAttn<false, false, true>(ex, a, scale, packed);
    case 2: return runAttn<false, true, false>(ex, a, scale, packed);
    case 3: return runAttn<false, true, true>(ex, a, scale, packed);
    case 4: return runAttn<true, false, false>(ex, a, scale, packed);
    case 5: return runAttn<true, false, true>(ex, a, scale, packed);
    case 6: return runAttn<true, true, false>(ex, a, scale, packed);
    case 7: return runAttn<true, true, true>(ex, a, scale, packed);
  }
}

class CudaAttention : public ::testing::TestWithParam<AttnCase> {};

TEST_P(CudaAttention, MatchesCpu) {
  const AttnCase& c = GetParam();
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.dim));
  const int64_t B = c.batch, Sq = c.q_len, Sk = c.packed ? c.q_len : c.kv_len, H = c.heads,
                Hk = c.kv_heads, D = c.dim;
  std::vector<float> q, k, v, qkv;
  if (c.packed) {
    qkv = randomFloats(B * Sq * (H + 2 * Hk) * D);
  } else {
    q = randomFloats(B * Sq * H * D), k = randomFloats(B * Sk * Hk * D);
    v = randomFloats(B * Sk * Hk * D);
  }
  auto cos_t = randomFloats(Sk * D, -1, 1), sin_t = randomFloats(Sk * D, -1, 1);
  const int64_t bias_rows = c.bias_per_batch ? B : 1;
  auto kb = randomFloats(bias_rows * Sk, -1, 0);
  if (Sk > 2) kb[1] = -kInf;
  if (c.key_bias && bias_rows * Sk > 0 && Sk == 1) kb[0] = -kInf;  // every key masked
  // The reference: runAttention's recipe on the CPU kernels.
  cpu::AttentionArgs ref;
  ref.batch = B, ref.q_len = Sq, ref.dim = D, ref.heads = H, ref.kv_heads = Hk, ref.kv_len = Sk;
  if (c.packed) {
    ref.q = qkv.data(), ref.k = ref.q + H * D, ref.v = ref.k + Hk * D;
    ref.q_stride = ref.k_stride = ref.v_stride = (H + 2 * Hk) * D;
  } else {
    ref.q = q.data(), ref.k = k.data(), ref.v = v.data();
  }
  std::vector<float> q_rot(B * Sq * H * D), k_rot(B * Sk * Hk * D);
  if (c.rope) {
    // Query i sits at position Sk - Sq + i. With Sq > Sk the first Sq - Sk queries have no table
    // row (and, causal, see no key): rotate only the others. (runAttention passes the negative
    // offset to ropeRotateHalfF32, which then reads before the table; ASan flags that here.)
    const int64_t skip = std::max<int64_t>(Sq - Sk, 0);
    const int64_t q_in_row = ref.q_stride ? ref.q_stride : H * D;
    for (int64_t b = 0; b < B; ++b)
      cpu::ropeRotateHalfF32(ref.q + (b * Sq + skip) * q_in_row, cos_t.data(), sin_t.data(), 1,
                             Sq - skip, H, D, Sk - Sq + skip,
                             q_rot.data() + (b * Sq + skip) * H * D, nullptr, ref.q_stride);
    cpu::ropeRotateHalfF32(ref.k, cos_t.data(), sin_t.data(), B, Sk, Hk, D, 0, k_rot.data(),
                           nullptr, ref.k_stride);
    ref.q = q_rot.data(), ref.k = k_rot.data(), ref.q_stride = ref.k_stride = 0;
  }
  if (c.key_bias) {
    ref.key_bias = kb.data();
    ref.key_bias_batch_stride = c.bias_per_batch ? Sk : 0;
  }
  ref.scale = scale, ref.causal = c.causal;
  std::vector<float> want(B * Sq * H * D), got(want.size());
  ref.y = want.data();
  cpu::attentionF32(ref);

  Args args;
  args.out(got.data(), {B, Sq, H, D});
  if (c.packed) {
    args.in(qkv.data(), {B, Sq, H + 2 * Hk, D});
  } else {
    args.in(q.data(), {B, Sq, H, D});
    args.in(k.data(), {B, Sk, Hk, D});
    args.in(v.data(), {B, Sk, Hk, D});
  }
  if (c.rope) {
    args.in(cos_t.data(), {Sk, D});
    args.in(sin_t.data(), {Sk, D});
  }
  if (c.key_bias) args.in(kb.data(), {bias_rows, Sk});
  runOnBothExecutors(
      [&](auto ex) { dispatchAttn(c, ex, args.a, scale); },
      [&] { std::fill(got.begin(), got.end(), 999.0f); },
      [&](const char* exec) {
        EXPECT_TRUE(floatsMatch(got, want, 2e-5f)) << attnName({c, 0}) << " on " << exec;
        EXPECT_EQ(args.fault, 0) << attnName({c, 0}) << " on " << exec;
      });
}

INSTANTIATE_TEST_SUITE_P(
    Variants, CudaAttention,
    ::testing::Values(AttnCase{2, 5, 5, 4, 2, 16, true, false, false, false, false},
                      AttnCase{1, 3, 7, 2, 1, 9, true, false, true, false, true},
                      AttnCase{2, 4, 4, 2, 2, 8, false, true, false, false, false},
                      // Sq > Sk: the first query rows see no key.
                      AttnCase{1, 6, 3, 3, 1, 6, true, true, true, false, false},
                      AttnCase{2, 5, 5, 4, 2, 12, true, true, false, true, false},
                      AttnCase{1, 4, 4, 2, 1, 33, false, false, true, true, true},
                      AttnCase{1, 2, 40, 2, 2, 256, true, true, true, false, true},
                      // The only key masked by the bias: zeros.
                      AttnCase{1, 3, 1, 1, 1, 4, false, false, true, false, false},
                      AttnCase{1, 70, 70, 1, 1, 64, true, true, false, false, false}),
    attnName);

// Not causal, Sq > Sk, RoPE: the first queries have no table row, which must raise the fault.
TEST(CudaAttentionFault, RopeWithoutTableRow) {
  std::vector<float> q = randomFloats(4 * 4), k = randomFloats(2 * 4), v = randomFloats(2 * 4);
  std::vector<float> cs = randomFloats(2 * 4), sn = randomFloats(2 * 4), y(16);
  Args args;
  args.out(y.data(), {1, 4, 1, 4});
  args.in(q.data(), {1, 4, 1, 4});
  args.in(k.data(), {1, 2, 1, 4});
  args.in(v.data(), {1, 2, 1, 4});
  args.in(cs.data(), {2, 4});
  args.in(sn.data(), {2, 4});
  runOnBothExecutors([&](auto ex) { cu::attention<false, true, false>(ex, args.a, 0.5f, 0); },
                     [&] { args.fault = 0; },
                     [&](const char* exec) { EXPECT_EQ(args.fault, 1) << "on " << exec; });
}

}  // namespace
}  // namespace llmopt::cuda_test
