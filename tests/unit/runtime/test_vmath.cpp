// Every array-math variant (vmath.h) this CPU runs, against libm in double at the bounds vmath.h
// states; the softmax row against the scalar variant, which is the kernels' old code.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "kernel_test_util.h"
#include "kernels/cpu/generic/vmath.h"

namespace llmopt::testing {
namespace {

using kernels::cpu::VMathFn;
using kernels::cpu::VMathVariant;

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const double kMinDenormal = std::ldexp(1.0, -149);

// The spacing of floats at |v| (the smallest denormal below FLT_MIN).
double ulpAt(double v) {
  const double a = std::fabs(v);
  if (a < FLT_MIN) return kMinDenormal;
  int e;
  std::frexp(std::fmin(a, FLT_MAX), &e);
  return std::ldexp(1.0, e - 24);
}

enum class Fn { Exp, Erf, Gelu, GeluTanh, Tanh, Sigmoid };
const Fn kFns[] = {Fn::Exp, Fn::Erf, Fn::Gelu, Fn::GeluTanh, Fn::Tanh, Fn::Sigmoid};

const char* fnName(Fn fn) {
  switch (fn) {
    case Fn::Exp: return "exp";
    case Fn::Erf: return "erf";
    case Fn::Gelu: return "gelu";
    case Fn::GeluTanh: return "gelu_tanh";
    case Fn::Tanh: return "tanh";
    case Fn::Sigmoid: return "sigmoid";
  }
  return "";
}

VMathFn arrayFn(const VMathVariant& v, Fn fn) {
  switch (fn) {
    case Fn::Exp: return v.exp;
    case Fn::Erf: return v.erf;
    case Fn::Gelu: return v.gelu;
    case Fn::GeluTanh: return v.gelu_tanh;
    case Fn::Tanh: return v.tanh;
    case Fn::Sigmoid: return v.sigmoid;
  }
  return nullptr;
}

double reference(Fn fn, double x) {
  switch (fn) {
    case Fn::Exp: return std::exp(x);
    case Fn::Erf: return std::erf(x);
    case Fn::Gelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case Fn::GeluTanh:
      return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    case Fn::Tanh: return std::tanh(x);
    case Fn::Sigmoid: return 1 / (1 + std::exp(-x));
  }
  return 0;
}

// How far y may be from the exact value r at x, per vmath.h:
//   exp: 2 ulp (of the denormal spacing under FLT_MIN; any denormal result may also be 0).
//   erf: 5e-7 absolute, and 5e-7 relative for |x| <= 1 (where erf is small), so that a wrong
//        leading coefficient fails too.
//   gelu, gelu_tanh: erf's (or tanh's) error times 0.5 |x|, plus 2 ulp of the result.
//   tanh, sigmoid: 4 ulp (of the denormal spacing under FLT_MIN).
// Measured over every float: exp 1.01 ulp, erf 3.65e-7; over a 1/37 sample: tanh 2.5 ulp,
// sigmoid 2.6 ulp.
double allowedError(Fn fn, double x, double r) {
  switch (fn) {
    case Fn::Exp: return 2 * ulpAt(r);
    case Fn::Erf: return std::fabs(x) <= 1 ? 5e-7 * std::fabs(r) + kMinDenormal : 5e-7;
    case Fn::Gelu: return 0.5 * std::fabs(x) * 5e-7 + 2 * ulpAt(r);
    case Fn::GeluTanh: return 0.5 * std::fabs(x) * 5e-7 + 2 * ulpAt(r);
    case Fn::Tanh:
    case Fn::Sigmoid: return 4 * ulpAt(r);
  }
  return 0;
}

// Whether y is an acceptable fn(x); on failure, why.
::testing::AssertionResult acceptable(Fn fn, float x, float y) {
  const double r = reference(fn, x);
  const float rf = static_cast<float>(r);
  auto fail = [&] {
    return ::testing::AssertionFailure() << fnName(fn) << "(" << x << " = " << std::hexfloat << x
                                         << ") = " << y << ", expected " << r << std::defaultfloat
                                         << " (error " << std::fabs(y - r) << ", allowed "
                                         << allowedError(fn, x, r) << ")";
  };
  if (std::isnan(r) || std::isnan(y))
    return std::isnan(r) && std::isnan(y) ? ::testing::AssertionSuccess() : fail();
  if (std::isinf(rf) || std::isinf(y)) return rf == y ? ::testing::AssertionSuccess() : fail();
  // Denormal results may be flushed to 0 (vmath.h).
  if (std::fabs(r) < FLT_MIN && y == 0.0f) return ::testing::AssertionSuccess();
  return std::fabs(y - r) <= allowedError(fn, x, r) ? ::testing::AssertionSuccess() : fail();
}

// n floats (up to a page of them) ending where an inaccessible page begins, so that reading or
// writing past the end faults (a plain vector elsewhere).
class GuardedFloats {
 public:
  explicit GuardedFloats(int64_t n) {
#if defined(__linux__)
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED && static_cast<size_t>(n) * sizeof(float) <= page_ &&
        mprotect(static_cast<char*>(p) + page_, page_, PROT_NONE) == 0) {
      base_ = p;
      data_ = reinterpret_cast<float*>(static_cast<char*>(p) + page_) - n;
      return;
    }
    if (p != MAP_FAILED) munmap(p, 2 * page_);
#endif
    fallback_.resize(static_cast<size_t>(n) + 1);
    data_ = fallback_.data();
  }
  ~GuardedFloats() {
#if defined(__linux__)
    if (base_ != nullptr) munmap(base_, 2 * page_);
#endif
  }
  GuardedFloats(const GuardedFloats&) = delete;
  GuardedFloats& operator=(const GuardedFloats&) = delete;
  float* data() { return data_; }

 private:
  size_t page_ = 0;
  void* base_ = nullptr;
  float* data_ = nullptr;
  std::vector<float> fallback_;
};

const VMathVariant* findVariant(const std::string& name) {
  size_t count = 0;
  const VMathVariant* variants = kernels::cpu::vmathVariants(&count);
  for (size_t i = 0; i < count; ++i)
    if (name == variants[i].name) return &variants[i];
  return nullptr;
}

const VMathVariant& scalarVariant() { return *findVariant("scalar"); }

class VMathTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    variant_ = findVariant(GetParam());
    if (variant_ == nullptr) GTEST_SKIP() << GetParam() << " is not built for this target";
    if (!variant_->supported) GTEST_SKIP() << "this CPU does not run " << GetParam();
  }

  // Runs fn over xs at once and checks every result; prints the largest errors (in ulp, absolute,
  // and as a fraction of the allowed error).
  void checkAll(Fn fn, const std::vector<float>& xs) {
    std::vector<float> ys(xs.size());
    arrayFn(*variant_, fn)(xs.data(), ys.data(), static_cast<int64_t>(xs.size()));
    double worst_ulp = 0, worst_abs = 0, worst_share = 0;
    int failures = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const auto ok = acceptable(fn, xs[i], ys[i]);
      if (!ok && ++failures <= 5) ADD_FAILURE() << variant_->name << ": " << ok.message();
      const double r = reference(fn, xs[i]);
      if (!std::isfinite(r) || !std::isfinite(ys[i]) || (std::fabs(r) < FLT_MIN && ys[i] == 0.0f))
        continue;
      const double error = std::fabs(ys[i] - r);
      worst_abs = std::fmax(worst_abs, error);
      worst_share = std::fmax(worst_share, error / allowedError(fn, xs[i], r));
      // (No ulp for the GELUs: their negative tail is all cancellation, bounded absolutely.)
      if (std::fabs(r) >= FLT_MIN && fn != Fn::Gelu && fn != Fn::GeluTanh)
        worst_ulp = std::fmax(worst_ulp, error / ulpAt(r));
    }
    EXPECT_EQ(failures, 0) << fnName(fn) << " failed on " << failures << " of " << xs.size();
    std::printf("  %-7s %-9s on [%g, %g]: max %.3g ulp, %.3g absolute, %.2f of the bound\n",
                variant_->name, fnName(fn), xs.front(), xs.back(), worst_ulp, worst_abs,
                worst_share);
  }

  const VMathVariant* variant_ = nullptr;
};

std::vector<float> sweep(double low, double high, int count) {
  std::vector<float> xs(count);
  for (int i = 0; i < count; ++i) xs[i] = static_cast<float>(low + (high - low) * i / (count - 1));
  return xs;
}

TEST_P(VMathTest, DenseSweepWithinBounds) {
  for (Fn fn : kFns) {
    checkAll(fn, sweep(-100, 100, 1000003));
    checkAll(fn, sweep(-10, 10, 1000003));
  }
}

TEST_P(VMathTest, SpecialValues) {
  const float denormals[] = {1e-45f, 1e-40f, 1e-39f};
  std::vector<float> xs = {0.0f,     -0.0f,    kInf,      -kInf,     kNaN,      -87.5f,
                           88.8f,    -88.8f,   88.7228f,  88.72284f, -103.0f,   -104.5f,
                           -110.0f,  -200.0f,  FLT_MAX,   -FLT_MAX,  FLT_MIN,   -FLT_MIN,
                           1.0f,     -1.0f,    0.5f,      3.9192f,   3.9193f,   -3.9193f,
                           5.55f,    -5.55f,   9.0f,      9.02f,     -9.02f,    -37.0f};
  for (float d : denormals) {
    xs.push_back(d);
    xs.push_back(-d);
  }
  for (Fn fn : kFns) {
    std::vector<float> ys(xs.size());
    arrayFn(*variant_, fn)(xs.data(), ys.data(), static_cast<int64_t>(xs.size()));
    for (size_t i = 0; i < xs.size(); ++i) EXPECT_TRUE(acceptable(fn, xs[i], ys[i]));
  }

  auto one = [&](Fn fn, float x) {
    float y;
    arrayFn(*variant_, fn)(&x, &y, 1);
    return y;
  };
  EXPECT_EQ(one(Fn::Exp, 0.0f), 1.0f);
  EXPECT_EQ(one(Fn::Exp, -0.0f), 1.0f);
  EXPECT_EQ(one(Fn::Exp, 1e-45f), 1.0f);
  EXPECT_EQ(one(Fn::Exp, kInf), kInf);
  EXPECT_EQ(one(Fn::Exp, 88.8f), kInf);
  EXPECT_EQ(one(Fn::Exp, FLT_MAX), kInf);
  EXPECT_EQ(one(Fn::Exp, -kInf), 0.0f);
  EXPECT_EQ(one(Fn::Exp, -FLT_MAX), 0.0f);
  EXPECT_TRUE(std::isfinite(one(Fn::Exp, 88.7228f)));
  EXPECT_TRUE(std::isnan(one(Fn::Exp, kNaN)));
  EXPECT_TRUE(std::isnan(one(Fn::Exp, -kNaN)));

  EXPECT_EQ(one(Fn::Erf, 0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(one(Fn::Erf, -0.0f)));
  for (float big : {3.9193f, 10.0f, 1e30f, FLT_MAX, kInf}) {
    EXPECT_EQ(one(Fn::Erf, big), 1.0f) << big;
    EXPECT_EQ(one(Fn::Erf, -big), -1.0f) << big;
  }
  EXPECT_TRUE(std::isnan(one(Fn::Erf, kNaN)));

  EXPECT_EQ(one(Fn::Gelu, 0.0f), 0.0f);
  EXPECT_EQ(one(Fn::Gelu, kInf), kInf);
  EXPECT_EQ(one(Fn::Gelu, FLT_MAX), FLT_MAX);
  EXPECT_EQ(one(Fn::Gelu, -FLT_MAX), 0.0f);
  EXPECT_TRUE(std::isnan(one(Fn::Gelu, kNaN)));
  EXPECT_EQ(one(Fn::GeluTanh, 1e30f), 1e30f);
  EXPECT_EQ(one(Fn::GeluTanh, -1e30f), 0.0f);
  EXPECT_TRUE(std::isnan(one(Fn::GeluTanh, kNaN)));

  EXPECT_EQ(one(Fn::Tanh, kInf), 1.0f);
  EXPECT_EQ(one(Fn::Tanh, -kInf), -1.0f);
  EXPECT_TRUE(std::signbit(one(Fn::Tanh, -0.0f)));
  EXPECT_FALSE(std::signbit(one(Fn::Tanh, 0.0f)));
  EXPECT_TRUE(std::isnan(one(Fn::Tanh, kNaN)));
  EXPECT_EQ(one(Fn::Sigmoid, kInf), 1.0f);
  EXPECT_EQ(one(Fn::Sigmoid, -kInf), 0.0f);
  EXPECT_EQ(one(Fn::Sigmoid, 0.0f), 0.5f);
  EXPECT_TRUE(std::isnan(one(Fn::Sigmoid, kNaN)));
}

// Every length up to a few vectors past the widest, in place, in a buffer that ends at a guard
// page: each result must be the one the element gets inside a long array.
TEST_P(VMathTest, TailsInPlaceMatchLongArrays) {
  const auto values = randomFloats(67, 5, -12.0f, 12.0f);
  for (Fn fn : kFns) {
    std::vector<float> expected(values.size());
    arrayFn(*variant_, fn)(values.data(), expected.data(), static_cast<int64_t>(values.size()));
    for (int64_t n = 0; n <= 67; ++n) {
      SCOPED_TRACE(::testing::Message() << fnName(fn) << " n " << n);
      GuardedFloats buffer(n);
      float* x = buffer.data();
      std::copy(values.begin(), values.begin() + n, x);
      arrayFn(*variant_, fn)(x, x, n);
      for (int64_t i = 0; i < n; ++i) {
        EXPECT_EQ(std::memcmp(&x[i], &expected[i], sizeof(float)), 0)
            << "element " << i << ": " << x[i] << " vs " << expected[i];
        EXPECT_TRUE(acceptable(fn, values[i], x[i]));
      }
    }
  }
}

// --- softmax rows ---

// In double, from the same float differences x - max as the kernels (their rounding, up to
// |x - max| 2^-24 relative, is the algorithm's, not the exp's).
std::vector<double> naiveSoftmaxRow(const std::vector<float>& x) {
  float max = -INFINITY;
  for (float v : x) max = std::fmax(max, v);
  double sum = 0;
  for (float v : x) sum += std::exp(static_cast<double>(v - max));
  std::vector<double> y;
  for (float v : x) y.push_back(std::exp(static_cast<double>(v - max)) / sum);
  return y;
}

// Against double: exp's 2 ulp and the float sum's rounding (up to 300 terms), plus what
// underflows to 0.
// `worst`, when given, gathers the largest relative error over results above 1e-30.
::testing::AssertionResult rowClose(const std::vector<float>& y, const std::vector<float>& x,
                                    double* worst = nullptr) {
  const auto expected = naiveSoftmaxRow(x);
  for (size_t i = 0; i < y.size(); ++i) {
    const double error = std::fabs(y[i] - expected[i]);
    if (worst != nullptr && expected[i] > 1e-30) *worst = std::fmax(*worst, error / expected[i]);
    if (!(error <= 2e-6 * expected[i] + 1e-37))
      return ::testing::AssertionFailure() << "element " << i << " of " << y.size() << ": got "
                                           << y[i] << ", expected " << expected[i];
  }
  return ::testing::AssertionSuccess();
}

// The same values, or NaN where the scalar row has NaN.
::testing::AssertionResult sameNaNs(const std::vector<float>& y, const std::vector<float>& x) {
  std::vector<float> scalar(x.size());
  scalarVariant().softmax_row(x.data(), scalar.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < y.size(); ++i)
    if (std::isnan(y[i]) != std::isnan(scalar[i]))
      return ::testing::AssertionFailure() << "element " << i << ": got " << y[i]
                                           << ", the scalar row has " << scalar[i];
  return ::testing::AssertionSuccess();
}

std::vector<float> softmaxRow(const VMathVariant& v, const std::vector<float>& x) {
  std::vector<float> y(x.size());
  v.softmax_row(x.data(), y.data(), static_cast<int64_t>(x.size()));
  return y;
}

TEST_P(VMathTest, SoftmaxRowsMatchReference) {
  uint32_t seed = 11;
  double worst = 0;
  for (int64_t n = 1; n <= 300; ++n)
    for (float range : {8.0f, 60.0f}) {
      SCOPED_TRACE(::testing::Message() << "n " << n << " range " << range);
      const auto x = randomFloats(n, seed++, -range, range);
      const auto y = softmaxRow(*variant_, x);
      EXPECT_TRUE(rowClose(y, x, &worst));
      // In place: the same bits.
      GuardedFloats buffer(n);
      std::copy(x.begin(), x.end(), buffer.data());
      variant_->softmax_row(buffer.data(), buffer.data(), n);
      EXPECT_EQ(std::memcmp(buffer.data(), y.data(), n * sizeof(float)), 0);
    }
  std::printf("  %-7s softmax rows of 1 to 300: max relative error %.3g\n", variant_->name, worst);
}

// Causal attention: the first k of n scores are kept, the rest are -inf.
TEST_P(VMathTest, SoftmaxMaskedRows) {
  uint32_t seed = 100;
  for (int64_t n : {1, 7, 16, 17, 33, 64, 255, 256, 300})
    for (int64_t k = 1; k <= n; k += (n > 40 ? 13 : 1)) {
      SCOPED_TRACE(::testing::Message() << "n " << n << " kept " << k);
      auto x = randomFloats(n, seed++, -6.0f, 6.0f);
      std::fill(x.begin() + k, x.end(), -kInf);
      const auto y = softmaxRow(*variant_, x);
      EXPECT_TRUE(rowClose(y, x));
      for (int64_t i = k; i < n; ++i) EXPECT_EQ(y[i], 0.0f);
    }
}

// Rows the scalar code turns into NaN: all -inf (exp(-inf - -inf)), any +inf (inf - inf), any NaN.
TEST_P(VMathTest, SoftmaxDegenerateRowsMatchScalar) {
  for (int64_t n : {1, 5, 16, 19, 256, 300}) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    std::vector<float> all_masked(n, -kInf);
    auto y = softmaxRow(*variant_, all_masked);
    EXPECT_TRUE(sameNaNs(y, all_masked));
    for (float v : y) EXPECT_TRUE(std::isnan(v));

    for (float bad : {kInf, kNaN}) {
      auto x = randomFloats(n, 3, -4.0f, 4.0f);
      x[n / 2] = bad;
      if (n > 2) x[0] = -kInf;
      y = softmaxRow(*variant_, x);
      EXPECT_TRUE(sameNaNs(y, x));
      for (float v : y) EXPECT_TRUE(std::isnan(v));
    }

    // Huge but finite scores stay finite.
    auto x = randomFloats(n, 4, -1.0f, 1.0f);
    x[0] = FLT_MAX;
    x[n - 1] = -FLT_MAX;
    y = softmaxRow(*variant_, x);
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_TRUE(sameNaNs(y, x));
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, VMathTest, ::testing::Values("avx512", "avx2", "scalar"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace llmopt::testing
