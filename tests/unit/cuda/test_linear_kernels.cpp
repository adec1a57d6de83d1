// CUDA linear kernels (fp32 packed and [k][n], W8A8, int8, int4 with group params, f16, bf16;
// every fused activation, bias, residual; odd shapes, k = 0, misaligned weight buffers) and matmul
// (broadcast batches, vectors, empty k) on HostExec and on the emulated warps. References: the
// CPU kernels (W8A8, bit-exact; matmul) or a double-precision product with the CPU's epilogue.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/matmul.h"
#include "kernels/cpu/generic/pack_b.h"
#include "kernels/cpu/generic/qfloat16.h"
#include "kernels/cpu/generic/qlinear.h"
#include "kernels/cpu/generic/qpack.h"
#include "kernels/cpu/generic/unary.h"

namespace llmopt::cuda_test {
namespace {

namespace cpu = llmopt::kernels::cpu;

enum class Act { None, Relu, GeluTanh, Silu, Swiglu };
const char* actName(Act a) {
  const char* names[] = {"none", "relu", "gelu_tanh", "silu", "swiglu"};
  return names[static_cast<int>(a)];
}

enum class Fmt { F32Packed, F32Kn, W8A8, Int8, Int4, F16, BF16 };
const char* fmtName(Fmt f) {
  const char* names[] = {"f32_packed", "f32_kn", "w8a8", "int8", "int4", "f16", "bf16"};
  return names[static_cast<int>(f)];
}

// The CPU's epilogue (executor.cpp runLinearEpilogue) on a product p [m][n] that includes the
// bias: y [m][n_out].
std::vector<float> epilogue(const std::vector<float>& p, int64_t m, int64_t n, Act act,
                            const float* residual) {
  const int64_t n_out = act == Act::Swiglu ? n / 2 : n;
  std::vector<float> y(m * n_out);
  for (int64_t r = 0; r < m; ++r) {
    float* row = y.data() + r * n_out;
    if (act == Act::Swiglu) {
      cpu::unaryF32(cpu::UnaryOp::Silu, p.data() + r * n, row, n_out);
      for (int64_t i = 0; i < n_out; ++i) row[i] *= p[r * n + n_out + i];
    } else {
      std::copy(p.begin() + r * n, p.begin() + (r + 1) * n, row);
      if (act == Act::Relu) cpu::unaryF32(cpu::UnaryOp::Relu, row, row, n);
      if (act == Act::GeluTanh) cpu::unaryF32(cpu::UnaryOp::GeluTanh, row, row, n);
      if (act == Act::Silu) cpu::unaryF32(cpu::UnaryOp::Silu, row, row, n);
    }
    if (residual)
      for (int64_t i = 0; i < n_out; ++i) row[i] += residual[r * n_out + i];
  }
  return y;
}

// p = x . W^T + b in double, rounded once; W [n][k] decoded.
std::vector<float> productRef(const std::vector<float>& x, const std::vector<float>& w, int64_t m,
                              int64_t n, int64_t k, const float* bias) {
  std::vector<float> p(m * n);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < n; ++c) {
      double s = 0;
      for (int64_t kk = 0; kk < k; ++kk) s += double(x[r * k + kk]) * w[c * k + kk];
      p[r * n + c] = static_cast<float>(s);
      if (bias) p[r * n + c] += bias[c];
    }
  return p;
}

// A copy of `bytes` at `shift` bytes past a 64-byte boundary (to take the kernels' slow paths).
struct Shifted {
  std::vector<uint8_t> storage;
  void* p;
  Shifted(const void* data, size_t bytes, size_t shift) : storage(bytes + 128) {
    uint8_t* base = storage.data();
    base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;
    p = base + shift;
    if (bytes) std::memcpy(p, data, bytes);
  }
};

template <class ActT, bool kBias, bool kRes, class Exec>
void runLinear(Fmt f, Exec ex, const cu::OpArgs& a, int64_t n, int64_t k, int64_t gs) {
  namespace q = cu::qformat;
  switch (f) {
    case Fmt::F32Packed: return cu::linearF32<false, ActT, kBias, kRes>(ex, a, n, k);
    case Fmt::F32Kn: return cu::linearF32<true, ActT, kBias, kRes>(ex, a, n, k);
    case Fmt::W8A8: return cu::linearQuant<q::W8A8, ActT, kBias, kRes>(ex, a, n, k, gs);
    case Fmt::Int8: return cu::linearQuant<q::Int8, ActT, kBias, kRes>(ex, a, n, k, gs);
    case Fmt::Int4: return cu::linearQuant<q::Int4, ActT, kBias, kRes>(ex, a, n, k, gs);
    case Fmt::F16: return cu::linearQuant<q::F16, ActT, kBias, kRes>(ex, a, n, k, gs);
    case Fmt::BF16: return cu::linearQuant<q::BF16, ActT, kBias, kRes>(ex, a, n, k, gs);
  }
}

template <class Exec>
void dispatchLinear(Fmt f, Act act, bool bias, bool res, Exec ex, const cu::OpArgs& a, int64_t n,
                    int64_t k, int64_t gs) {
  namespace o = cu::ops;
  auto go = [&](auto act_tag) {
    using A = decltype(act_tag);
    if (bias && res) return runLinear<A, true, true>(f, ex, a, n, k, gs);
    if (bias) return runLinear<A, true, false>(f, ex, a, n, k, gs);
    if (res) return runLinear<A, false, true>(f, ex, a, n, k, gs);
    return runLinear<A, false, false>(f, ex, a, n, k, gs);
  };
  switch (act) {
    case Act::None: return go(o::ActNone());
    case Act::Relu: return go(o::ActRelu());
    case Act::GeluTanh: return go(o::ActGeluTanh());
    case Act::Silu: return go(o::ActSilu());
    case Act::Swiglu: return go(o::ActSwiglu());
  }
}

struct LinearCase {
  Fmt fmt;
  int64_t m, n, k, gs;
  Act act;
  bool bias, res;
  size_t shift;  // > 0 misaligns the weight buffers
};

std::string linearCaseName(const ::testing::TestParamInfo<LinearCase>& info) {
  const LinearCase& c = info.param;
  std::string s = std::string(fmtName(c.fmt)) + "_m" + std::to_string(c.m) + "_n" +
                  std::to_string(c.n) + "_k" + std::to_string(c.k);
  if (c.fmt == Fmt::Int4) s += "_gs" + std::to_string(c.gs);
  s += std::string("_") + actName(c.act);
  if (c.bias) s += "_bias";
  if (c.res) s += "_residual";
  if (c.shift) s += "_shift" + std::to_string(c.shift);
  return s;
}

// Every format on every shape; activation, bias and residual rotate with the case index, every
// even shape also runs SwiGLU, every other case runs again on misaligned weights.
std::vector<LinearCase> linearCases() {
  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {{1, 16, 64}, {3, 37, 7}, {6, 100, 67}, {5, 74, 33},
                          {2, 64, 40}, {1, 1, 1},  {4, 34, 0}};
  const Fmt fmts[] = {Fmt::F32Packed, Fmt::F32Kn, Fmt::W8A8, Fmt::Int8,
                      Fmt::Int4,      Fmt::F16,   Fmt::BF16};
  const Act acts[] = {Act::None, Act::Relu, Act::GeluTanh, Act::Silu, Act::Swiglu};
  std::vector<LinearCase> cases;
  int index = 0;
  for (Fmt f : fmts)
    for (const Shape& s : shapes) {
      if (f == Fmt::Int4 && s.k == 0) continue;  // int4 needs k > 0 (groups)
      const int64_t gs = f == Fmt::Int4 ? (index % 3 == 0 ? 8 : index % 3 == 1 ? 5 : 32) : 0;
      Act act = acts[index % 5];
      if (act == Act::Swiglu && s.n % 2 != 0) act = Act::None;
      cases.push_back({f, s.m, s.n, s.k, gs, act, index % 2 == 0, index % 3 == 0, 0});
      if (s.n % 2 == 0)
        cases.push_back({f, s.m, s.n, s.k, gs, Act::Swiglu, index % 2 == 1, index % 3 != 0, 0});
      if (index % 2 == 0)
        cases.push_back(
            {f, s.m, s.n, s.k, gs, Act::None, true, false, size_t(f == Fmt::Int4 ? 1 : 3)});
      ++index;
    }
  return cases;
}

class CudaLinear : public ::testing::TestWithParam<LinearCase> {};

// Random weights packed as the compiler does; the kernel on both executors against the reference.
TEST_P(CudaLinear, MatchesReference) {
  const LinearCase& c = GetParam();
  const Fmt f = c.fmt;
  const int64_t m = c.m, n = c.n, k = c.k, gs = c.gs;
  const int64_t panels = (n + 15) / 16;
  auto x = randomFloats(m * k, -2, 2);
  if (f == Fmt::W8A8 && m >= 3 && k > 0) {
    for (int64_t kk = 0; kk < k; ++kk) x[1 * k + kk] = 0.0f;  // a zero row
    x[2 * k + k / 2] = 2.5f;                                  // a half-way value
  }
  std::vector<float> wdec(n * k);  // decoded [n][k]
  std::vector<uint8_t> packed;
  std::vector<uint8_t> extra1, extra2;  // scales / column sums / group params
  std::vector<float> bias_v = randomFloats(n), scale_v;
  const int64_t n_out = c.act == Act::Swiglu ? n / 2 : n;
  std::vector<float> residual = randomFloats(m * n_out);
  switch (f) {
    case Fmt::F32Packed:
    case Fmt::F32Kn: {
      std::vector<float> kn(k * n);
      for (int64_t col = 0; col < n; ++col)
        for (int64_t kk = 0; kk < k; ++kk) kn[kk * n + col] = wdec[col * k + kk] = randomFloat();
      if (f == Fmt::F32Kn) {
        packed.resize(kn.size() * 4);
        if (!kn.empty()) std::memcpy(packed.data(), kn.data(), packed.size());
      } else {
        packed.resize(panels * k * 16 * 4);
        cpu::packWeightsN16(kn.data(), k, n, reinterpret_cast<float*>(packed.data()));
      }
      break;
    }
    case Fmt::W8A8:
    case Fmt::Int8: {
      std::vector<int8_t> q(n * k);
      for (auto& v : q) v = static_cast<int8_t>(randomInt(-128, 127));
      scale_v = randomFloats(panels * 16, 0.001f, 0.02f);
      for (int64_t col = 0; col < n; ++col)
        for (int64_t kk = 0; kk < k; ++kk) wdec[col * k + kk] = q[col * k + kk] * scale_v[col];
      if (f == Fmt::W8A8) {
        packed.resize(cpu::packedW8A8Bytes(n, k));
        cpu::packW8A8(q.data(), n, k, reinterpret_cast<int8_t*>(packed.data()));
        extra1.resize(panels * 16 * 4);
        cpu::w8a8ColumnSums(q.data(), n, k, reinterpret_cast<int32_t*>(extra1.data()));
      } else {
        packed.resize(cpu::packedInt8Bytes(n, k));
        cpu::packInt8(q.data(), n, k, reinterpret_cast<int8_t*>(packed.data()));
      }
      break;
    }
    case Fmt::Int4: {
      const int64_t groups = (k + gs - 1) / gs;
      std::vector<uint8_t> q(n * k);
      std::vector<uint16_t> sc(n * groups), of(n * groups);
      for (auto& v : q) v = static_cast<uint8_t>(randomInt(0, 15));
      for (auto& v : sc) v = cpu::floatToHalf(randomFloat(0.01f, 0.2f));
      for (auto& v : of) v = cpu::floatToHalf(randomFloat(-1.0f, 0.0f));
      for (int64_t col = 0; col < n; ++col)
        for (int64_t kk = 0; kk < k; ++kk) {
          const int64_t g = col * groups + kk / gs;
          const float scaled = q[col * k + kk] * cpu::halfToFloat(sc[g]);
          wdec[col * k + kk] = scaled + cpu::halfToFloat(of[g]);
        }
      packed.resize(cpu::packedInt4Bytes(n, k));
      cpu::packInt4(q.data(), n, k, packed.data());
      extra1.resize(panels * groups * 16 * 2);
      extra2.resize(panels * groups * 16 * 2);
      cpu::packInt4GroupParams(sc.data(), n, groups, reinterpret_cast<uint16_t*>(extra1.data()));
      cpu::packInt4GroupParams(of.data(), n, groups, reinterpret_cast<uint16_t*>(extra2.data()));
      break;
    }
    case Fmt::F16:
    case Fmt::BF16: {
      std::vector<uint16_t> h(n * k);
      for (int64_t i = 0; i < n * k; ++i) {
        const float v = randomFloat();
        h[i] = f == Fmt::F16 ? cpu::floatToHalf(v) : cpu::floatToBFloat16(v);
        wdec[i] = f == Fmt::F16 ? cpu::halfToFloat(h[i]) : cpu::bfloat16ToFloat(h[i]);
      }
      packed.resize(cpu::packed16BitBytes(n, k));
      cpu::pack16Bit(h.data(), n, k, reinterpret_cast<uint16_t*>(packed.data()));
      break;
    }
  }
  // The reference product (with the bias). W8A8 is integer arithmetic: the CPU kernel, bit-exact.
  std::vector<float> p;
  bool exact = false;
  if (f == Fmt::W8A8) {
    p.resize(m * n);
    cpu::LinearW8A8Args w;
    w.x = x.data(), w.m = m, w.k = k, w.n = n;
    w.w = reinterpret_cast<const int8_t*>(packed.data());
    w.w_colsum = reinterpret_cast<const int32_t*>(extra1.data());
    w.w_scale = scale_v.data();
    w.bias = c.bias ? bias_v.data() : nullptr;
    w.y = p.data();
    std::vector<uint8_t> scratch(cpu::linearW8A8ScratchBytes(m, k, n) + 64);
    w.scratch = scratch.data() + (64 - reinterpret_cast<uintptr_t>(scratch.data()) % 64) % 64;
    cpu::linearW8A8(w);
    exact = c.act != Act::GeluTanh || kGeluTanhTol < 0;
  } else {
    p = productRef(x, wdec, m, n, k, c.bias ? bias_v.data() : nullptr);
  }
  const std::vector<float> want = epilogue(p, m, n, c.act, c.res ? residual.data() : nullptr);

  // [k][n] fp32 weights are read as plain floats: only the other formats are misaligned.
  Shifted w_buf(packed.data(), packed.size(), f == Fmt::F32Kn ? 0 : c.shift);
  Shifted e1(extra1.data(), extra1.size(), c.shift ? 2 : 0);
  Shifted e2(extra2.data(), extra2.size(), c.shift ? 2 : 0);
  Shifted s_buf(scale_v.data(), scale_v.size() * 4, c.shift ? 4 : 0);
  std::vector<float> got(m * n_out);
  Args args;
  args.out(got.data(), {m, n_out});
  args.in(x.data(), {m, k});
  args.in(w_buf.p, {static_cast<int64_t>(packed.size())});
  switch (f) {
    case Fmt::W8A8:
      args.in(e1.p, {panels * 16});
      args.in(s_buf.p, {panels * 16});
      break;
    case Fmt::Int8: args.in(s_buf.p, {panels * 16}); break;
    case Fmt::Int4:
      args.in(e1.p, {static_cast<int64_t>(extra1.size()) / 2});
      args.in(e2.p, {static_cast<int64_t>(extra2.size()) / 2});
      break;
    default: break;
  }
  if (c.bias) args.in(bias_v.data(), {n});
  if (c.res) args.in(residual.data(), {m, n_out});
  auto run = [&](auto ex) { dispatchLinear(f, c.act, c.bias, c.res, ex, args.a, n, k, gs); };
  auto check = [&](const char* exec) {
    EXPECT_TRUE(floatsMatch(got, want,
                            exact            ? -1.0f
                            : f == Fmt::W8A8 ? kGeluTanhTol
                                             : 1e-4f))
        << linearCaseName({c, 0}) << " on " << exec;
  };
  runOnBothExecutors(
      run, [&] { std::fill(got.begin(), got.end(), 12345.0f); }, check);
  // The GEMV kernel's tiles of one row, on any m (the runtime launches it for few outputs).
  std::fill(got.begin(), got.end(), 12345.0f);
  run(EmuGemvExec());
  check("EmuGemvExec (32 lanes)");
}

INSTANTIATE_TEST_SUITE_P(AllFormats, CudaLinear, ::testing::ValuesIn(linearCases()),
                         linearCaseName);

std::string matmulName(const ::testing::TestParamInfo<std::pair<Dims, Dims>>& info) {
  auto str = [](const Dims& d) {
    std::string s;
    for (int64_t x : d) s += std::to_string(x) + "x";
    s.pop_back();
    return s;
  };
  return str(info.param.first) + "_times_" + str(info.param.second);
}

class CudaMatmul : public ::testing::TestWithParam<std::pair<Dims, Dims>> {};

TEST_P(CudaMatmul, MatchesCpu) {
  const auto& [ad, bd] = GetParam();
  auto a = randomFloats(numel(ad)), b = randomFloats(numel(bd));
  llmopt::kernels::Shape ys;
  ASSERT_TRUE(cpu::matmulShape(shapeOf(ad), shapeOf(bd), &ys)) << "matmul shape";
  const Dims yd(ys.dims, ys.dims + ys.rank);
  std::vector<float> want(numel(yd)), got(want.size());
  std::vector<float> scratch(cpu::matmulScratchFloats(shapeOf(ad), shapeOf(bd)) + 64);
  float* sp = scratch.data() + (16 - reinterpret_cast<uintptr_t>(scratch.data()) / 4 % 16) % 16;
  cpu::matmulF32(a.data(), shapeOf(ad), b.data(), shapeOf(bd), want.data(), sp);
  Args args;
  args.out(got.data(), yd);
  args.in(a.data(), ad);
  args.in(b.data(), bd);
  runOnBothExecutors([&](auto ex) { cu::matmulF32(ex, args.a); },
                     [&] { std::fill(got.begin(), got.end(), 777.0f); },
                     [&](const char* exec) {
                       EXPECT_TRUE(floatsMatch(got, want, 2e-5f))
                           << dimsStr(ad) << " x " << dimsStr(bd) << " on " << exec;
                     });
}

using DimsPair = std::pair<Dims, Dims>;
INSTANTIATE_TEST_SUITE_P(Shapes, CudaMatmul,
                         ::testing::Values(DimsPair{{2, 3, 5, 7}, {7, 4}},
                                           DimsPair{{5, 7}, {2, 3, 7, 4}},
                                           DimsPair{{1, 3, 5, 7}, {2, 1, 7, 19}},
                                           DimsPair{{7}, {7, 4}}, DimsPair{{5, 7}, {7}},
                                           DimsPair{{7}, {2, 7, 3}},
                                           DimsPair{{2, 1, 9, 33}, {3, 33, 17}}, DimsPair{{3}, {3}},
                                           DimsPair{{4, 0}, {0, 5}}),
                         matmulName);

}  // namespace
}  // namespace llmopt::cuda_test
