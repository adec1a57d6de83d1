// The fused attention kernel (attention.h), every block of every variant this CPU runs, against a
// naive double-precision softmax(scale q k^T) v: causal or not, as many queries as keys or fewer
// (decode), grouped kv heads, head sizes off the vector width, logits large enough to need the
// online rescaling, queries that see no key; threaded runs equal serial ones bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/attention.h"
#include "kernels/cpu/generic/kv_cache.h"
#include "kernels/cpu/generic/qfloat16.h"
#include "kernels/cpu/generic/vmath.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::AttentionArgs;
using kernels::cpu::AttentionBlock;
using kernels::cpu::attentionF32;
using kernels::cpu::AttentionVariant;

// The error of a row of y (its dim values), worst over the rows, measured two ways:
//   plain:       max |got - ref| / max(1e-6, max |ref|), as the row's size;
//   conditioned: max |got - ref| / max(1e-6, max_x bound[x]), bound[x] = sum_j w_j (|v_j[x]| +
//                |v_j[x] - y[x]| a_j), w the softmax weights and a_j = |scale| sum |q k_j|.
// The bound is what float32 rounding itself leaves in y (up to a few ulp times a factor of about
// sqrt(dim)): rounding the sums of w v moves y by ulps of sum w |v|, and rounding each logit
// (the dot product's absolute terms a_j) moves the weights and so y by a_j (v_j - y). Plain
// error is the tighter test while neither is large; with logits near 80, or a row of dim 1 whose
// weighted sum cancels, float32 cannot reach 2e-6 plain (an unfused float32 reference does not
// either), and only the conditioned error stays under kTolerance.
constexpr double kTolerance = 2e-6;

struct Dims {
  int64_t batch, q_len, kv_len, heads, kv_heads, dim;
};

struct Problem {
  Dims d;
  float scale;
  bool causal;
  std::vector<float> q, k, v;
  std::vector<float> key_bias;  // [batch or 1][kv_len], or empty

  AttentionArgs args(float* y) const {
    AttentionArgs a;
    a.q = q.data();
    a.k = k.data();
    a.v = v.data();
    a.y = y;
    a.batch = d.batch;
    a.q_len = d.q_len;
    a.kv_len = d.kv_len;
    a.heads = d.heads;
    a.kv_heads = d.kv_heads;
    a.dim = d.dim;
    a.scale = scale;
    a.causal = causal;
    if (!key_bias.empty()) {
      a.key_bias = key_bias.data();
      a.key_bias_batch_stride = static_cast<int64_t>(key_bias.size()) == d.kv_len ? 0 : d.kv_len;
    }
    return a;
  }
  size_t outputSize() const { return d.batch * d.q_len * d.heads * d.dim; }
};

// Inputs uniform in [-magnitude, magnitude]; scale 1 / sqrt(dim) unless given.
Problem makeProblem(Dims d, bool causal, uint32_t seed, float magnitude = 3.0f,
                    float scale = 0.0f) {
  Problem p{d, scale != 0.0f ? scale : 1.0f / std::sqrt(static_cast<float>(d.dim)), causal, {}, {},
            {}};
  p.q = randomFloats(d.batch * d.q_len * d.heads * d.dim, seed, -magnitude, magnitude);
  p.k = randomFloats(d.batch * d.kv_len * d.kv_heads * d.dim, seed + 1, -magnitude, magnitude);
  p.v = randomFloats(d.batch * d.kv_len * d.kv_heads * d.dim, seed + 2, -magnitude, magnitude);
  return p;
}

// Where batch b's key biases start (one row shared by every batch, or one row each).
int64_t keyBiasRow(const Problem& p, int64_t b) {
  return static_cast<int64_t>(p.key_bias.size()) == p.d.kv_len ? 0 : b * p.d.kv_len;
}

struct Reference {
  std::vector<double> y, bound;  // the bound: see kTolerance
};

// In double, query by query; 0 for a query that sees no key.
Reference reference(const Problem& p) {
  const Dims& d = p.d;
  const int64_t group = d.heads / d.kv_heads;
  Reference r{std::vector<double>(p.outputSize(), 0.0), std::vector<double>(p.outputSize(), 0.0)};
  std::vector<double> s(d.kv_len), a(d.kv_len);
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t i = 0; i < d.q_len; ++i)
      for (int64_t h = 0; h < d.heads; ++h) {
        const float* q = &p.q[((b * d.q_len + i) * d.heads + h) * d.dim];
        const int64_t visible =
            p.causal ? std::min(d.kv_len, std::max<int64_t>(0, i + d.kv_len - d.q_len + 1))
                     : d.kv_len;
        if (visible == 0) continue;
        auto kv = [&](const std::vector<float>& t, int64_t j) {
          return &t[((b * d.kv_len + j) * d.kv_heads + h / group) * d.dim];
        };
        double max = -INFINITY;
        for (int64_t j = 0; j < visible; ++j) {
          double dot = 0, abs = 0;
          for (int64_t x = 0; x < d.dim; ++x) {
            dot += double(q[x]) * kv(p.k, j)[x];
            abs += std::fabs(double(q[x]) * kv(p.k, j)[x]);
          }
          s[j] = double(p.scale) * dot;
          if (!p.key_bias.empty()) s[j] += p.key_bias[keyBiasRow(p, b) + j];
          a[j] = std::fabs(double(p.scale)) * abs;
          max = std::max(max, s[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < visible; ++j) sum += s[j] = std::exp(s[j] - max);
        double* y = &r.y[((b * d.q_len + i) * d.heads + h) * d.dim];
        double* bound = &r.bound[((b * d.q_len + i) * d.heads + h) * d.dim];
        for (int64_t j = 0; j < visible; ++j)
          for (int64_t x = 0; x < d.dim; ++x) y[x] += s[j] / sum * kv(p.v, j)[x];
        for (int64_t j = 0; j < visible; ++j)
          for (int64_t x = 0; x < d.dim; ++x) {
            const double v = kv(p.v, j)[x];
            bound[x] += s[j] / sum * (std::fabs(v) + std::fabs(v - y[x]) * a[j]);
          }
      }
  return r;
}

// The unfused computation in float32 (scores, softmax with libm's exp, then the weighted sum),
// for comparison only: how close plain float32 gets.
std::vector<float> unfusedFloat(const Problem& p) {
  const Dims& d = p.d;
  const int64_t group = d.heads / d.kv_heads;
  std::vector<float> y(p.outputSize(), 0.0f), s(d.kv_len);
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t i = 0; i < d.q_len; ++i)
      for (int64_t h = 0; h < d.heads; ++h) {
        const float* q = &p.q[((b * d.q_len + i) * d.heads + h) * d.dim];
        const int64_t visible =
            p.causal ? std::min(d.kv_len, std::max<int64_t>(0, i + d.kv_len - d.q_len + 1))
                     : d.kv_len;
        auto kv = [&](const std::vector<float>& t, int64_t j) {
          return &t[((b * d.kv_len + j) * d.kv_heads + h / group) * d.dim];
        };
        float max = -INFINITY, sum = 0.0f;
        for (int64_t j = 0; j < visible; ++j) {
          float dot = 0.0f;
          for (int64_t x = 0; x < d.dim; ++x) dot += q[x] * kv(p.k, j)[x];
          s[j] = p.scale * dot;
          if (!p.key_bias.empty()) s[j] += p.key_bias[keyBiasRow(p, b) + j];
          max = std::max(max, s[j]);
        }
        for (int64_t j = 0; j < visible; ++j) sum += s[j] = std::exp(s[j] - max);
        float* out = &y[((b * d.q_len + i) * d.heads + h) * d.dim];
        for (int64_t j = 0; j < visible; ++j)
          for (int64_t x = 0; x < d.dim; ++x) out[x] += s[j] / sum * kv(p.v, j)[x];
      }
  return y;
}

struct Errors {
  double plain = 0, conditioned = 0;
  void add(const Errors& e) {
    plain = std::max(plain, e.plain);
    conditioned = std::max(conditioned, e.conditioned);
  }
};

Errors rowErrors(const std::vector<float>& got, const Reference& ref, int64_t dim) {
  Errors worst;
  for (size_t row = 0; row * dim < ref.y.size(); ++row) {
    double err = 0, size = 0, bound = 0;
    for (int64_t x = 0; x < dim; ++x) {
      const size_t at = row * dim + x;
      const double g = got[at];
      err = std::isnan(g) ? INFINITY : std::max(err, std::fabs(g - ref.y[at]));
      size = std::max(size, std::fabs(ref.y[at]));
      bound = std::max(bound, ref.bound[at]);
    }
    worst.add({err / std::max(1e-6, size), err / std::max(1e-6, bound)});
  }
  return worst;
}

std::vector<AttentionVariant> supportedVariants() {
  size_t count = 0;
  const AttentionVariant* all = kernels::cpu::attentionVariants(&count);
  std::vector<AttentionVariant> out;
  for (size_t i = 0; i < count; ++i)
    if (all[i].supported) out.push_back(all[i]);
  return out;
}

// One block width of a supported variant, e.g. "avx512/32".
struct Kernel {
  std::string name;
  AttentionBlock block;
  kernels::cpu::VMathFn exp;
  void run(const AttentionArgs& a, kernels::Parallel* parallel = nullptr) const {
    attentionF32(block, exp, a, parallel);
  }
};

std::vector<Kernel> supportedKernels() {
  std::vector<Kernel> out;
  for (const AttentionVariant& variant : supportedVariants())
    for (const AttentionBlock& block : variant.blocks)
      if (block.lanes > 0)
        out.push_back(
            {std::string(variant.name) + "/" + std::to_string(block.lanes), block, variant.exp});
  return out;
}

std::string describe(const Problem& p) {
  const Dims& d = p.d;
  char text[160];
  std::snprintf(text, sizeof text, "B %lld Sq %lld Sk %lld H %lld Hkv %lld D %lld scale %g%s",
                static_cast<long long>(d.batch), static_cast<long long>(d.q_len),
                static_cast<long long>(d.kv_len), static_cast<long long>(d.heads),
                static_cast<long long>(d.kv_heads), static_cast<long long>(d.dim),
                static_cast<double>(p.scale), p.causal ? " causal" : "");
  return text;
}

struct GroupErrors {
  Errors fused, unfused_float;  // the kernel's variants; unfusedFloat()
  void add(const GroupErrors& e) {
    fused.add(e.fused);
    unfused_float.add(e.unfused_float);
  }
};

// The worst errors of any variant on p, expecting each within kTolerance (conditioned).
GroupErrors checkVariants(const Problem& p) {
  const Reference ref = reference(p);
  GroupErrors worst;
  worst.unfused_float = rowErrors(unfusedFloat(p), ref, p.d.dim);
  for (const Kernel& kernel : supportedKernels()) {
    if (kernel.block.max_dim < p.d.dim) continue;
    std::vector<float> y(p.outputSize(), NAN);
    kernel.run(p.args(y.data()));
    const Errors e = rowErrors(y, ref, p.d.dim);
    EXPECT_LE(e.conditioned, kTolerance) << kernel.name << ": " << describe(p);
    worst.fused.add(e);
  }
  return worst;
}

void report(const char* group, const GroupErrors& worst) {
  std::printf(
      "[ attention ] %s: max row error %.3g conditioned, %.3g plain (unfused float32: "
      "%.3g, %.3g)\n",
      group, worst.fused.conditioned, worst.fused.plain, worst.unfused_float.conditioned,
      worst.unfused_float.plain);
}

const int64_t kDims[] = {1, 7, 32, 64, 80, 128};
const int64_t kLengths[] = {1, 15, 16, 17, 63, 64, 65, 300};

TEST(AttentionKernel, SelfAttentionEveryLengthAndHeadSize) {
  GroupErrors worst;
  uint32_t seed = 1;
  for (const bool causal : {false, true})
    for (const int64_t dim : kDims)
      for (const int64_t s : kLengths)
        worst.add(checkVariants(makeProblem({2, s, s, 2, 2, dim}, causal, seed += 3)));
  report("self attention (B 2, H = Hkv = 2)", worst);
}

TEST(AttentionKernel, GroupedKvHeads) {
  GroupErrors worst;
  uint32_t seed = 100;
  for (const auto& [heads, kv_heads] : {std::pair<int64_t, int64_t>{4, 2}, {8, 1}})
    for (const bool causal : {false, true})
      for (const int64_t dim : kDims)
        for (const int64_t s : {int64_t(1), int64_t(17), int64_t(65), int64_t(130)})
          worst.add(checkVariants(makeProblem({2, s, s, heads, kv_heads, dim}, causal, seed += 3)));
  report("grouped kv heads (H 4 / Hkv 2, H 8 / Hkv 1)", worst);
}

TEST(AttentionKernel, FewerQueriesThanKeys) {
  GroupErrors worst;
  uint32_t seed = 200;
  for (const auto& [q_len, kv_len] : {std::pair<int64_t, int64_t>{1, 17}, {5, 40}})
    for (const auto& [heads, kv_heads] :
         {std::pair<int64_t, int64_t>{2, 2}, {4, 2}, {8, 1}, {40, 8}})
      for (const bool causal : {false, true})
        for (const int64_t dim : kDims)
          worst.add(checkVariants(
              makeProblem({2, q_len, kv_len, heads, kv_heads, dim}, causal, seed += 3)));
  report("fewer queries than keys (1 / 17, 5 / 40)", worst);
}

// Logits of magnitude ~80, and keys that grow along the sequence so that later tiles raise the
// running max by a lot: the rescaling factors underflow to 0 and the exps never overflow.
TEST(AttentionKernel, LargeLogitsRescaleOnline) {
  GroupErrors worst;
  uint32_t seed = 300;
  for (const bool causal : {false, true})
    for (const int64_t dim : {int64_t(7), int64_t(32), int64_t(64), int64_t(128)})
      for (const int64_t s : {int64_t(65), int64_t(200)}) {
        // |q . k| ~ 3 sqrt(dim) for uniform [-3, 3] values: scale it to ~80.
        Problem p = makeProblem({2, s, s, 4, 2, dim}, causal, seed += 3, 3.0f,
                                80.0f / (3.0f * std::sqrt(static_cast<float>(dim))));
        for (size_t j = 0; j < p.k.size(); ++j) {
          const int64_t position = static_cast<int64_t>(j) / (p.d.kv_heads * dim) % s;
          p.k[j] *= 0.5f + static_cast<float>(position) / s;
        }
        worst.add(checkVariants(p));
      }
  report("large logits (~80)", worst);
}

// The largest head size, on the blocks that take it.
TEST(AttentionKernel, LargestHeadSize) {
  GroupErrors worst;
  for (const bool causal : {false, true})
    worst.add(checkVariants(
        makeProblem({2, 70, 70, 4, 2, kernels::cpu::kAttentionMaxDim}, causal, 700 + causal)));
  report("head size 256", worst);
}

// Causal with more queries than keys: the first q_len - kv_len queries see nothing and get 0,
// exactly; no keys at all likewise.
TEST(AttentionKernel, QueriesThatSeeNoKeyGiveZero) {
  for (const Kernel& kernel : supportedKernels()) {
    SCOPED_TRACE(kernel.name);
    for (const int64_t dim : {int64_t(7), int64_t(64)}) {
      const Problem p = makeProblem({2, 40, 17, 4, 2, dim}, true, 400 + dim);
      std::vector<float> y(p.outputSize(), NAN);
      kernel.run(p.args(y.data()));
      EXPECT_LE(rowErrors(y, reference(p), dim).conditioned, kTolerance);
      for (int64_t b = 0; b < 2; ++b)
        for (int64_t i = 0; i < 40 - 17; ++i)
          for (int64_t x = 0; x < 4 * dim; ++x)
            ASSERT_EQ(y[(b * 40 + i) * 4 * dim + x], 0.0f) << "b " << b << " row " << i;
    }
    const Problem none = makeProblem({2, 3, 0, 2, 1, 8}, false, 450);
    std::vector<float> y(none.outputSize(), NAN);
    kernel.run(none.args(y.data()));
    EXPECT_EQ(y, std::vector<float>(y.size(), 0.0f));
  }
}

TEST(AttentionKernel, ThreadedEqualsSerialBitForBit) {
  ThreadPoolForTests pool(3);
  for (const Kernel& kernel : supportedKernels()) {
    SCOPED_TRACE(kernel.name);
    for (const bool causal : {false, true})
      for (const Dims& d :
           {Dims{2, 300, 300, 4, 2, 64}, Dims{2, 1, 300, 8, 1, 80}, Dims{1, 65, 130, 3, 3, 7}}) {
        const Problem p = makeProblem(d, causal, 500);
        std::vector<float> serial(p.outputSize()), threaded(p.outputSize());
        kernel.run(p.args(serial.data()));
        kernel.run(p.args(threaded.data()), &pool);
        EXPECT_EQ(std::memcmp(serial.data(), threaded.data(), serial.size() * sizeof(float)), 0)
            << describe(p);
      }
  }
}

TEST(AttentionKernel, ChosenVariantUsesTheChosenExp) {
  const AttentionVariant& best = kernels::cpu::bestAttentionVariant();
  EXPECT_TRUE(best.supported);
  EXPECT_STREQ(best.name, kernels::cpu::bestVMathVariant().name);
  EXPECT_EQ(best.exp, kernels::cpu::bestVMathVariant().exp);
}

// The variant runs the block chooseAttentionBlock names: narrow blocks for few queries (decode)
// and short causal sequences, the widest for long ones.
TEST(AttentionKernel, VariantRunsTheChosenBlock) {
  for (const AttentionVariant& variant : supportedVariants()) {
    SCOPED_TRACE(variant.name);
    for (const bool causal : {false, true})
      for (const Dims& d : {Dims{1, 1, 100, 8, 8, 16}, Dims{1, 1, 100, 8, 2, 16},
                            Dims{1, 30, 30, 2, 2, 16}, Dims{1, 200, 200, 2, 1, 16},
                            Dims{1, 600, 600, 1, 1, 16}, Dims{1, 600, 600, 1, 1, 200}}) {
        const Problem p = makeProblem(d, causal, 600);
        const AttentionBlock& block = kernels::cpu::chooseAttentionBlock(variant, p.args(nullptr));
        EXPECT_LE(d.dim, block.max_dim);
        const int64_t queries = d.q_len * (d.heads / d.kv_heads);
        int64_t narrowest = 0, widest = 0;  // widest: of those that take d.dim
        for (const AttentionBlock& b : variant.blocks)
          if (b.lanes > 0) {
            narrowest = narrowest ? narrowest : b.lanes;
            if (b.max_dim >= d.dim) widest = b.lanes;
          }
        if (queries <= narrowest) {
          EXPECT_EQ(block.lanes, narrowest);
        }
        if (queries >= 512) {
          EXPECT_EQ(block.lanes, widest);
        }
        std::vector<float> chosen(p.outputSize()), direct(p.outputSize());
        attentionF32(variant, p.args(chosen.data()));
        attentionF32(block, variant.exp, p.args(direct.data()));
        EXPECT_EQ(std::memcmp(chosen.data(), direct.data(), chosen.size() * sizeof(float)), 0);
      }
  }
}

TEST(AttentionKernel, EmptyTensorsAreNotTouched) {
  AttentionArgs a;  // all pointers null
  a.batch = 2;
  a.q_len = 0;
  a.kv_len = 5;
  a.heads = a.kv_heads = 1;
  a.dim = 4;
  attentionF32(a);
  a.q_len = 5;
  a.dim = 0;
  attentionF32(a);
}

// The problem's keys and values in a KV cache of `type` (kv_cache.h), appended in two runs (the
// second starting inside a key tile), in memory that starts as NaNs: nothing unwritten is read.
struct CacheFixture {
  std::vector<uint8_t> memory;
  kernels::cpu::KvCacheLayer layer;

  CacheFixture(const Problem& p, kernels::cpu::KvCacheType type) {
    using namespace kernels::cpu;
    layer.type = type;
    layer.kv_heads = p.d.kv_heads;
    layer.dim = p.d.dim;
    layer.positions = kvCachePositions(p.d.kv_len + 5);
    const size_t bytes = kvCacheBlockBytes(layer, p.d.batch);
    memory.assign(2 * bytes, 0xff);  // fp32 and fp16 NaNs; int8 -1s with NaN scales
    layer.keys = memory.data();
    layer.values = memory.data() + bytes;
    const int64_t first = p.d.kv_len / 3, second = p.d.kv_len - first;
    const int64_t stride = p.d.kv_heads * p.d.dim;
    std::vector<float> k(p.d.batch * first * stride), v(k.size());
    std::vector<float> k2(p.d.batch * second * stride), v2(k2.size());
    for (int64_t b = 0; b < p.d.batch; ++b) {
      const int64_t at = b * p.d.kv_len * stride;
      std::copy_n(p.k.begin() + at, first * stride, k.begin() + b * first * stride);
      std::copy_n(p.v.begin() + at, first * stride, v.begin() + b * first * stride);
      std::copy_n(p.k.begin() + at + first * stride, second * stride,
                  k2.begin() + b * second * stride);
      std::copy_n(p.v.begin() + at + first * stride, second * stride,
                  v2.begin() + b * second * stride);
    }
    kvCacheAppend(layer, p.d.batch, 0, first, k.data(), stride, v.data(), stride);
    kvCacheAppend(layer, p.d.batch, first, second, k2.data(), stride, v2.data(), stride);
  }

  kernels::cpu::CachedAttentionArgs args(const Problem& p, float* y) const {
    const AttentionArgs plain = p.args(y);
    kernels::cpu::CachedAttentionArgs a;
    a.q = plain.q;
    a.cache = layer;
    a.y = y;
    a.batch = plain.batch;
    a.q_len = plain.q_len;
    a.kv_len = plain.kv_len;
    a.heads = plain.heads;
    a.scale = plain.scale;
    a.causal = plain.causal;
    a.key_bias = plain.key_bias;
    a.key_bias_batch_stride = plain.key_bias_batch_stride;
    return a;
  }
};

// The problem with its keys and values rounded to fp16: what an fp16 cache holds.
Problem roundedToHalf(Problem p) {
  for (std::vector<float>* x : {&p.k, &p.v})
    for (float& e : *x) e = kernels::cpu::halfToFloat(kernels::cpu::floatToHalf(e));
  return p;
}

// The problem with each position's key and value of each kv head rounded to int8 as an int8
// cache stores them (kv_cache.h): 127 levels each side of the largest magnitude, half away from
// zero.
Problem roundedToInt8(Problem p) {
  for (std::vector<float>* x : {&p.k, &p.v})
    for (size_t row = 0; row < x->size(); row += p.d.dim) {
      float* r = x->data() + row;
      float amax = 0.0f;
      for (int64_t d = 0; d < p.d.dim; ++d) amax = std::max(amax, std::fabs(r[d]));
      const float scale = amax / 127.0f, inverse = amax > 0.0f ? 127.0f / amax : 0.0f;
      for (int64_t d = 0; d < p.d.dim; ++d) {
        const float q = r[d] * inverse;
        r[d] = static_cast<float>(static_cast<int32_t>(q + (q < 0.0f ? -0.5f : 0.5f))) * scale;
      }
    }
  return p;
}

// What a cache of this element type holds of the problem's keys and values.
Problem cached(const Problem& p, kernels::cpu::KvCacheType type) {
  switch (type) {
    case kernels::cpu::KvCacheType::F16: return roundedToHalf(p);
    case kernels::cpu::KvCacheType::I8: return roundedToInt8(p);
    default: return p;
  }
}

const char* typeName(kernels::cpu::KvCacheType type) {
  switch (type) {
    case kernels::cpu::KvCacheType::F16: return "fp16: ";
    case kernels::cpu::KvCacheType::I8: return "int8: ";
    default: return "fp32: ";
  }
}

constexpr kernels::cpu::KvCacheType kCacheTypes[] = {
    kernels::cpu::KvCacheType::F32, kernels::cpu::KvCacheType::F16, kernels::cpu::KvCacheType::I8};

TEST(AttentionKernel, KvCacheStoresWhatWasAppended) {
  using kernels::cpu::KvCacheType;
  const Problem p = makeProblem({2, 1, 37, 4, 2, 24}, true, 77);
  for (const KvCacheType type : kCacheTypes) {
    const CacheFixture cache(p, type);
    const Problem expected = cached(p, type);
    for (int64_t b = 0; b < p.d.batch; ++b)
      for (int64_t g = 0; g < p.d.kv_heads; ++g)
        for (int64_t j = 0; j < p.d.kv_len; ++j)
          for (int64_t d = 0; d < p.d.dim; ++d) {
            const size_t at = ((b * p.d.kv_len + j) * p.d.kv_heads + g) * p.d.dim + d;
            ASSERT_EQ(kernels::cpu::kvCacheKey(cache.layer, b, g, j, d), expected.k[at]);
            ASSERT_EQ(kernels::cpu::kvCacheValue(cache.layer, b, g, j, d), expected.v[at]);
          }
  }
}

// The cached kernel (attention_decode.h), every variant this CPU runs, on fp32, fp16 and int8
// caches: few queries against keys across its chunks of 64, causal or not, grouped heads (and
// more heads than one pass of the driver takes), padding biases, head sizes that are not
// multiples of 16.
TEST(AttentionKernel, CachedFewQueriesManyKeys) {
  using kernels::cpu::KvCacheType;
  Errors worst;
  uint32_t seed = 900;
  for (const int64_t q_len : {int64_t(1), int64_t(3)})
    for (const auto& [heads, kv_heads] :
         {std::pair<int64_t, int64_t>{2, 2}, {4, 2}, {8, 1}, {40, 8}})
      for (const bool causal : {false, true})
        for (const int64_t dim : kDims)
          for (const int64_t kv_len : {int64_t(1), int64_t(17), int64_t(256), int64_t(600)}) {
            Problem p = makeProblem({2, q_len, kv_len, heads, kv_heads, dim}, causal, seed += 3);
            if (seed % 2) {
              p.key_bias = randomFloats(2 * kv_len, seed + 7, -2.0f, 2.0f);
              for (size_t j = 0; j < p.key_bias.size(); ++j)
                if (j % 5 == 3) p.key_bias[j] = -1e9f;
            }
            for (const KvCacheType type : kCacheTypes) {
              const CacheFixture cache(p, type);
              const Reference ref = reference(cached(p, type));
              for (const AttentionVariant& variant : supportedVariants()) {
                std::vector<float> y(p.outputSize(), NAN);
                kernels::cpu::attentionCachedF32(variant, cache.args(p, y.data()));
                const Errors e = rowErrors(y, ref, dim);
                EXPECT_LE(e.conditioned, kTolerance)
                    << variant.name << ", " << typeName(type) << describe(p);
                worst.add(e);
              }
            }
          }
  std::printf("[ attention ] cached: max row error %.3g conditioned, %.3g plain\n",
              worst.conditioned, worst.plain);
}

// Thread ranges that split a query's heads between tasks give the serial result bit for bit.
TEST(AttentionKernel, CachedThreadedEqualsSerialBitForBit) {
  ThreadPoolForTests pool(3);
  for (const kernels::cpu::KvCacheType type : kCacheTypes)
    for (const Dims& d :
         {Dims{2, 1, 200, 12, 12, 64}, Dims{1, 1, 70, 40, 8, 24}, Dims{2, 3, 130, 4, 2, 16}}) {
      const Problem p = makeProblem(d, true, 700);
      const CacheFixture cache(p, type);
      for (const AttentionVariant& variant : supportedVariants()) {
        std::vector<float> serial(p.outputSize()), threaded(p.outputSize());
        kernels::cpu::attentionCachedF32(variant, cache.args(p, serial.data()));
        kernels::cpu::attentionCachedF32(variant, cache.args(p, threaded.data()), &pool);
        EXPECT_EQ(std::memcmp(serial.data(), threaded.data(), serial.size() * sizeof(float)), 0)
            << variant.name << ", " << typeName(type) << describe(p);
      }
    }
}

// A per-key bias (a padding mask: some keys at -1e9, the others with small biases), one row per
// batch or one row for all.
TEST(AttentionKernel, KeyBias) {
  GroupErrors worst;
  uint32_t seed = 500;
  for (const bool shared : {false, true})
    for (const bool causal : {false, true})
      for (const int64_t dim : {int64_t(7), int64_t(64)})
        for (const int64_t s : {int64_t(1), int64_t(17), int64_t(130)}) {
          Problem p = makeProblem({2, s, s, 4, 2, dim}, causal, seed += 3);
          p.key_bias = randomFloats((shared ? 1 : 2) * s, seed + 7, -2.0f, 2.0f);
          for (size_t j = 0; j < p.key_bias.size(); ++j)
            if (j % 5 == 3) p.key_bias[j] = -1e9f;  // padding
          worst.add(checkVariants(p));
        }
  report("key bias (padding mask)", worst);
}

// Rotary embedding against the formula in double, with a position offset (queries that are the
// last rows of a longer sequence).
TEST(AttentionKernel, RopeRotateHalf) {
  const int64_t batch = 2, len = 5, heads = 3, dim = 8, offset = 4, positions = offset + len;
  const std::vector<float> x = randomFloats(batch * len * heads * dim, 11, -3.0f, 3.0f);
  const std::vector<float> cos = randomFloats(positions * dim, 12, -1.0f, 1.0f);
  const std::vector<float> sin = randomFloats(positions * dim, 13, -1.0f, 1.0f);
  std::vector<float> y(x.size(), NAN);
  kernels::cpu::ropeRotateHalfF32(x.data(), cos.data(), sin.data(), batch, len, heads, dim, offset, y.data());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < len; ++i)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t d = 0; d < dim; ++d) {
          const float* row = &x[((b * len + i) * heads + h) * dim];
          const int64_t p = offset + i;
          const double rotated = d < dim / 2 ? -double(row[d + dim / 2]) : row[d - dim / 2];
          const double expected = row[d] * double(cos[p * dim + d]) + rotated * sin[p * dim + d];
          EXPECT_NEAR(y[((b * len + i) * heads + h) * dim + d], expected, 1e-5)
              << "b " << b << " i " << i << " h " << h << " d " << d;
        }
}

// q, k and v read in place from one packed tensor [B, S, H + 2 Hkv, D] (packed_attention) give
// exactly what the same kernel gives on contiguous copies, for every variant and block.
TEST(AttentionKernel, PackedStridesEqualContiguousBitForBit) {
  uint32_t seed = 900;
  for (const bool causal : {false, true})
    for (const int64_t s : {int64_t(1), int64_t(19), int64_t(70)}) {
      Problem p = makeProblem({2, s, s, 4, 2, 16}, causal, seed += 5);
      const int64_t d = p.d.dim, packed_heads = p.d.heads + 2 * p.d.kv_heads;
      std::vector<float> qkv(p.d.batch * s * packed_heads * d);
      for (int64_t r = 0; r < p.d.batch * s; ++r) {  // one position: its q, k and v heads
        float* row = &qkv[r * packed_heads * d];
        std::copy_n(&p.q[r * p.d.heads * d], p.d.heads * d, row);
        std::copy_n(&p.k[r * p.d.kv_heads * d], p.d.kv_heads * d, row + p.d.heads * d);
        std::copy_n(&p.v[r * p.d.kv_heads * d], p.d.kv_heads * d,
                    row + (p.d.heads + p.d.kv_heads) * d);
      }
      for (const AttentionVariant& variant : supportedVariants())
        for (const AttentionBlock& block : variant.blocks) {
          if (block.lanes == 0) continue;
          std::vector<float> contiguous(p.outputSize(), NAN), strided(p.outputSize(), NAN);
          kernels::cpu::attentionF32(block, variant.exp, p.args(contiguous.data()));
          AttentionArgs a = p.args(strided.data());
          a.q = qkv.data();
          a.k = a.q + p.d.heads * d;
          a.v = a.k + p.d.kv_heads * d;
          a.q_stride = a.k_stride = a.v_stride = packed_heads * d;
          kernels::cpu::attentionF32(block, variant.exp, a);
          ASSERT_EQ(0, std::memcmp(contiguous.data(), strided.data(), strided.size() * 4))
              << variant.name << " " << block.lanes << " lanes, " << describe(p);
        }
    }
}

// RoPE reading rows of a packed tensor (x_stride) equals RoPE of a contiguous copy.
TEST(AttentionKernel, RopeReadsStridedRows) {
  const int64_t batch = 2, len = 5, heads = 2, dim = 8, stride = 5 * dim;
  const std::vector<float> packed = randomFloats(batch * len * stride, 21, -3.0f, 3.0f);
  const std::vector<float> cos = randomFloats(len * dim, 22, -1.0f, 1.0f);
  const std::vector<float> sin = randomFloats(len * dim, 23, -1.0f, 1.0f);
  std::vector<float> x(batch * len * heads * dim), from_copy(x.size()), from_packed(x.size());
  for (int64_t r = 0; r < batch * len; ++r)
    std::copy_n(&packed[r * stride + dim], heads * dim, &x[r * heads * dim]);  // heads 1 and 2
  kernels::cpu::ropeRotateHalfF32(x.data(), cos.data(), sin.data(), batch, len, heads, dim, 0,
                                  from_copy.data());
  kernels::cpu::ropeRotateHalfF32(packed.data() + dim, cos.data(), sin.data(), batch, len, heads,
                                  dim, 0, from_packed.data(), nullptr, stride);
  EXPECT_EQ(from_copy, from_packed);
}

}  // namespace
}  // namespace llmopt::testing
