// CUDA elementwise kernels (binary with broadcasting, comparisons, logic, unary, clip, fake quant,
// casts, where, fill, range, trilu) on HostExec and on the emulated warps, against the CPU
// kernels (scalar ISA) or plain loops. NaN, infinities, signed zeros and integer extremes included.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/binary.h"
#include "kernels/cpu/generic/cast.h"
#include "kernels/cpu/generic/clip.h"
#include "kernels/cpu/generic/fake_quant.h"
#include "kernels/cpu/generic/fill.h"
#include "kernels/cpu/generic/trilu.h"
#include "kernels/cpu/generic/unary.h"

namespace llmopt::cuda_test {
namespace {

namespace cpu = llmopt::kernels::cpu;
namespace o = cu::ops;
using B = cpu::BinaryOp;
using U = cpu::UnaryOp;

template <class F>
void checkBinaryF32(B op) {
  const Dims a_dims{3, 1, 5}, b_dims{4, 1}, y_dims{3, 4, 5};
  auto a = randomFloats(numel(a_dims)), b = randomFloats(numel(b_dims));
  a[0] = kNaN, b[1] = kNaN, a[2] = 0.0f, b[2] = 0.0f, a[3] = -0.0f;
  std::vector<float> want(numel(y_dims)), got(want.size());
  cpu::binaryF32(op, a.data(), shapeOf(a_dims), b.data(), shapeOf(b_dims), want.data(),
                 shapeOf(y_dims));
  Args args;
  args.out(got.data(), y_dims);
  args.in(a.data(), a_dims);
  args.in(b.data(), b_dims);
  runOnBothExecutors([&](auto ex) { cu::binary<F, float, float>(ex, args.a); },
                     [&] { std::fill(got.begin(), got.end(), 7.0f); },
                     [&](const char* exec) {
                       EXPECT_TRUE(floatsMatch(got, want, -1))
                           << dimsStr(a_dims) << " op " << dimsStr(b_dims) << " on " << exec;
                     });
}

TEST(CudaBinaryF32, Add) { checkBinaryF32<o::Add>(B::Add); }
TEST(CudaBinaryF32, Sub) { checkBinaryF32<o::Sub>(B::Sub); }
TEST(CudaBinaryF32, Mul) { checkBinaryF32<o::Mul>(B::Mul); }
TEST(CudaBinaryF32, Div) { checkBinaryF32<o::Div>(B::Div); }
TEST(CudaBinaryF32, Pow) { checkBinaryF32<o::Pow>(B::Pow); }
TEST(CudaBinaryF32, Min) { checkBinaryF32<o::Min>(B::Min); }
TEST(CudaBinaryF32, Max) { checkBinaryF32<o::Max>(B::Max); }

template <class F>
void checkBinaryI64(B op) {
  const Dims a_dims{6, 7}, b_dims{7}, y_dims{6, 7};
  std::vector<int64_t> a(42), b(7);
  const int64_t special[] = {0, -1, 1, 2, -2, INT64_MIN, INT64_MAX, 63, 3, -3};
  for (auto& x : a) x = randomInt(0, 3) == 0 ? special[randomInt(0, 9)] : randomInt(-50, 50);
  for (size_t i = 0; i < b.size(); ++i) b[i] = special[i];
  std::vector<int64_t> want(42), got(42);
  cpu::binaryI64(op, a.data(), shapeOf(a_dims), b.data(), shapeOf(b_dims), want.data(),
                 shapeOf(y_dims));
  Args args;
  args.out(got.data(), y_dims);
  args.in(a.data(), a_dims);
  args.in(b.data(), b_dims);
  runOnBothExecutors([&](auto ex) { cu::binary<F, int64_t, int64_t>(ex, args.a); },
                     [&] { std::fill(got.begin(), got.end(), 77); },
                     [&](const char* exec) {
                       EXPECT_TRUE(valuesEqual(got, want))
                           << dimsStr(a_dims) << " op " << dimsStr(b_dims) << " on " << exec;
                     });
}

TEST(CudaBinaryI64, Add) { checkBinaryI64<o::Add>(B::Add); }
TEST(CudaBinaryI64, Sub) { checkBinaryI64<o::Sub>(B::Sub); }
TEST(CudaBinaryI64, Mul) { checkBinaryI64<o::Mul>(B::Mul); }
TEST(CudaBinaryI64, Div) { checkBinaryI64<o::Div>(B::Div); }
TEST(CudaBinaryI64, Pow) { checkBinaryI64<o::Pow>(B::Pow); }
TEST(CudaBinaryI64, Min) { checkBinaryI64<o::Min>(B::Min); }
TEST(CudaBinaryI64, Max) { checkBinaryI64<o::Max>(B::Max); }

template <class F, class T>
void checkCompare(B op) {
  const Dims a_dims{2, 3, 4}, b_dims{3, 1}, y_dims{2, 3, 4};
  std::vector<T> a(24), b(3);
  for (auto& x : a) x = static_cast<T>(randomInt(-2, 2));
  for (auto& x : b) x = static_cast<T>(randomInt(-2, 2));
  if constexpr (std::is_same_v<T, float>) a[5] = kNaN;
  std::vector<uint8_t> want(24), got(24);
  if constexpr (std::is_same_v<T, float>)
    cpu::compareF32(op, a.data(), shapeOf(a_dims), b.data(), shapeOf(b_dims), want.data(),
                    shapeOf(y_dims));
  else
    cpu::compareI64(op, a.data(), shapeOf(a_dims), b.data(), shapeOf(b_dims), want.data(),
                    shapeOf(y_dims));
  Args args;
  args.out(got.data(), y_dims);
  args.in(a.data(), a_dims);
  args.in(b.data(), b_dims);
  runOnBothExecutors(
      [&](auto ex) { cu::binary<F, T, uint8_t>(ex, args.a); },
      [&] { std::fill(got.begin(), got.end(), 9); },
      [&](const char* exec) { EXPECT_TRUE(valuesEqual(got, want)) << "on " << exec; });
}

TEST(CudaCompare, EqualF32) { checkCompare<o::Equal, float>(B::Equal); }
TEST(CudaCompare, LessF32) { checkCompare<o::Less, float>(B::Less); }
TEST(CudaCompare, GreaterF32) { checkCompare<o::Greater, float>(B::Greater); }
TEST(CudaCompare, LessOrEqualF32) { checkCompare<o::LessOrEqual, float>(B::LessOrEqual); }
TEST(CudaCompare, GreaterOrEqualF32) { checkCompare<o::GreaterOrEqual, float>(B::GreaterOrEqual); }
TEST(CudaCompare, EqualI64) { checkCompare<o::Equal, int64_t>(B::Equal); }
TEST(CudaCompare, LessI64) { checkCompare<o::Less, int64_t>(B::Less); }
TEST(CudaCompare, GreaterOrEqualI64) {
  checkCompare<o::GreaterOrEqual, int64_t>(B::GreaterOrEqual);
}

template <class F>
void checkLogic(B op) {
  const Dims a_dims{4, 5}, b_dims{1, 5}, y_dims{4, 5};
  std::vector<uint8_t> a(20), b(5), want(20), got(20);
  for (auto& x : a) x = static_cast<uint8_t>(randomInt(0, 1));
  for (auto& x : b) x = static_cast<uint8_t>(randomInt(0, 1));
  a[3] = 2;  // nonzero reads as true
  cpu::logicBool(op, a.data(), shapeOf(a_dims), b.data(), shapeOf(b_dims), want.data(),
                 shapeOf(y_dims));
  Args args;
  args.out(got.data(), y_dims);
  args.in(a.data(), a_dims);
  args.in(b.data(), b_dims);
  runOnBothExecutors(
      [&](auto ex) { cu::binary<F, uint8_t, uint8_t>(ex, args.a); },
      [&] { std::fill(got.begin(), got.end(), 9); },
      [&](const char* exec) { EXPECT_TRUE(valuesEqual(got, want)) << "on " << exec; });
}

TEST(CudaLogic, And) { checkLogic<o::And>(B::And); }
TEST(CudaLogic, Or) { checkLogic<o::Or>(B::Or); }
TEST(CudaLogic, Xor) { checkLogic<o::Xor>(B::Xor); }

// 1000 values in [lo, hi) plus NaN, +-inf, +-0 and +-100, as a [10, 100] tensor.
template <class F>
void checkUnaryF32(U op, float lo = -6.0f, float hi = 6.0f, float tol = -1.0f) {
  auto x = randomFloats(1000, lo, hi);
  x[0] = kNaN, x[1] = kInf, x[2] = -kInf, x[3] = 0.0f, x[4] = -0.0f, x[5] = -100.0f;
  x[6] = 100.0f;
  std::vector<float> want(x.size()), got(x.size());
  cpu::unaryF32(op, x.data(), want.data(), x.size());
  Args args;
  args.out(got.data(), {10, 100});
  args.in(x.data(), {10, 100});
  runOnBothExecutors([&](auto ex) { cu::unary<F, float>(ex, args.a); },
                     [&] { std::fill(got.begin(), got.end(), 7.0f); },
                     [&](const char* exec) {
                       EXPECT_TRUE(floatsMatch(got, want, tol))
                           << "inputs in [" << lo << ", " << hi << ") on " << exec;
                     });
}

TEST(CudaUnaryF32, Relu) { checkUnaryF32<o::Relu>(U::Relu); }
TEST(CudaUnaryF32, Gelu) { checkUnaryF32<o::Gelu>(U::Gelu); }
TEST(CudaUnaryF32, GeluTanh) { checkUnaryF32<o::GeluTanh>(U::GeluTanh, -6, 6, kGeluTanhTol); }
TEST(CudaUnaryF32, Tanh) { checkUnaryF32<o::Tanh>(U::Tanh); }
TEST(CudaUnaryF32, Sigmoid) { checkUnaryF32<o::Sigmoid>(U::Sigmoid, -100, 100); }
TEST(CudaUnaryF32, Neg) { checkUnaryF32<o::Neg>(U::Neg); }
TEST(CudaUnaryF32, Exp) { checkUnaryF32<o::Exp>(U::Exp, -90, 90); }
TEST(CudaUnaryF32, Log) { checkUnaryF32<o::Log>(U::Log, 0, 100); }
TEST(CudaUnaryF32, Sqrt) { checkUnaryF32<o::Sqrt>(U::Sqrt, -1, 100); }
TEST(CudaUnaryF32, Reciprocal) { checkUnaryF32<o::Reciprocal>(U::Reciprocal); }
TEST(CudaUnaryF32, Erf) { checkUnaryF32<o::Erf>(U::Erf); }
TEST(CudaUnaryF32, Cos) { checkUnaryF32<o::Cos>(U::Cos, -100, 100); }
TEST(CudaUnaryF32, Sin) { checkUnaryF32<o::Sin>(U::Sin, -100, 100); }
TEST(CudaUnaryF32, Abs) { checkUnaryF32<o::Abs>(U::Abs); }
TEST(CudaUnaryF32, Silu) { checkUnaryF32<o::Silu>(U::Silu, -100, 100); }

TEST(CudaUnary, NegAbsI64) {
  std::vector<int64_t> x{0, 1, -1, 5, -7, INT64_MIN, INT64_MAX}, want(7), got(7);
  Args args;
  args.out(got.data(), {7});
  args.in(x.data(), {7});
  cpu::unaryI64(U::Neg, x.data(), want.data(), 7);
  runOnBothExecutors(
      [&](auto ex) { cu::unary<o::Neg, int64_t>(ex, args.a); },
      [&](const char* exec) { EXPECT_TRUE(valuesEqual(got, want)) << "neg on " << exec; });
  cpu::unaryI64(U::Abs, x.data(), want.data(), 7);
  runOnBothExecutors(
      [&](auto ex) { cu::unary<o::Abs, int64_t>(ex, args.a); },
      [&](const char* exec) { EXPECT_TRUE(valuesEqual(got, want)) << "abs on " << exec; });
}

TEST(CudaUnary, NotBool) {
  std::vector<uint8_t> b{0, 1, 2, 0, 255}, want(5), got(5);
  cpu::notBool(b.data(), want.data(), 5);
  Args args;
  args.out(got.data(), {5});
  args.in(b.data(), {5});
  runOnBothExecutors(
      [&](auto ex) { cu::unary<o::Not, uint8_t>(ex, args.a); },
      [&](const char* exec) { EXPECT_TRUE(valuesEqual(got, want)) << "on " << exec; });
}

// The elementwise kernels read their inputs through views alone: tanh of a transposed input.
TEST(CudaUnary, TanhThroughTransposedView) {
  const Dims in_dims{3, 4, 5}, out_dims{5, 3, 4};
  auto t = randomFloats(60, -3, 3);
  std::vector<float> want(60), got(60);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) want[(i * 3 + j) * 4 + k] = std::tanh(t[(j * 4 + k) * 5 + i]);
  Args args;
  args.out(got.data(), out_dims);
  args.in(t.data(), in_dims);
  args.a.view[0] = {};
  args.a.view[0].strides[0] = 1, args.a.view[0].strides[1] = 20, args.a.view[0].strides[2] = 5;
  runOnBothExecutors(
      [&](auto ex) { cu::unary<o::Tanh, float>(ex, args.a); },
      [&](const char* exec) { EXPECT_TRUE(floatsMatch(got, want, -1)) << "on " << exec; });
}

class CudaClipFakeQuant : public ::testing::Test {
 protected:
  void SetUp() override {
    x = randomFloats(500, -20, 20);
    // NaN, ties at .5 (round half to even), inf.
    x[0] = kNaN, x[1] = 2.5f, x[2] = -2.5f, x[3] = 0.35f, x[4] = 0.25f, x[5] = kInf;
    args.out(got.data(), {500});
    args.in(x.data(), {500});
  }
  std::vector<float> x, want = std::vector<float>(500), got = std::vector<float>(500);
  Args args;
};

TEST_F(CudaClipFakeQuant, Clip) {
  cpu::clipF32(x.data(), -1.5f, 3.0f, want.data(), 500);
  runOnBothExecutors(
      [&](auto ex) { cu::clip(ex, args.a, -1.5f, 3.0f); },
      [&](const char* exec) { EXPECT_TRUE(floatsMatch(got, want, -1)) << "on " << exec; });
}

TEST_F(CudaClipFakeQuant, FakeQuantInt8) {
  cpu::fakeQuantF32(x.data(), 0.1f, 3, -128.0f, 127.0f, want.data(), 500);
  runOnBothExecutors([&](auto ex) { cu::fakeQuant(ex, args.a, 0.1f, 3, -128, 127); },
                     [&](const char* exec) {
                       EXPECT_TRUE(floatsMatch(got, want, -1))
                           << "scale 0.1 zero 3 [-128, 127] on " << exec;
                     });
}

TEST_F(CudaClipFakeQuant, FakeQuantUint4) {
  cpu::fakeQuantF32(x.data(), 0.5f, 0, 0.0f, 15.0f, want.data(), 500);
  runOnBothExecutors([&](auto ex) { cu::fakeQuant(ex, args.a, 0.5f, 0, 0, 15); },
                     [&](const char* exec) {
                       EXPECT_TRUE(floatsMatch(got, want, -1)) << "scale 0.5 [0, 15] on " << exec;
                     });
}

// 64 values of From (specials first) cast to To, against cpu::cast.
template <class From, class To>
void checkCast(cpu::ElemType from, cpu::ElemType to) {
  std::vector<From> x(64);
  for (size_t i = 0; i < x.size(); ++i) {
    if constexpr (std::is_same_v<From, float>) {
      const float special[] = {kNaN, kInf, -kInf, 3e9f, -3e9f, 1e19f, -1e19f, 2.7f, -2.7f, 0.0f};
      x[i] = i < 10 ? special[i] : randomFloat(-100, 100);
    } else if constexpr (std::is_same_v<From, uint8_t>) {
      x[i] = static_cast<uint8_t>(randomInt(0, 2));
    } else if constexpr (std::is_same_v<From, int64_t>) {
      x[i] = i == 0   ? INT64_MIN
             : i == 1 ? INT64_MAX
             : i == 2 ? (int64_t(1) << 40) + 3
                      : randomInt(-1000, 1000);
    } else {
      x[i] = i == 0 ? INT32_MIN : static_cast<From>(randomInt(-1000, 1000));
    }
  }
  std::vector<To> want(64), got(64);
  cpu::cast(from, x.data(), to, want.data(), 64);
  Args args;
  args.out(got.data(), {64});
  args.in(x.data(), {64});
  runOnBothExecutors([&](auto ex) { cu::cast<From, To>(ex, args.a); },
                     [&](const char* exec) {
                       if constexpr (std::is_same_v<To, float>)
                         EXPECT_TRUE(floatsMatch(got, want, -1)) << "on " << exec;
                       else
                         EXPECT_TRUE(valuesEqual(got, want)) << "on " << exec;
                     });
}

using E = cpu::ElemType;
TEST(CudaCast, F32ToI64) { checkCast<float, int64_t>(E::F32, E::I64); }
TEST(CudaCast, F32ToI32) { checkCast<float, int32_t>(E::F32, E::I32); }
TEST(CudaCast, F32ToBool) { checkCast<float, uint8_t>(E::F32, E::Bool); }
TEST(CudaCast, I64ToF32) { checkCast<int64_t, float>(E::I64, E::F32); }
TEST(CudaCast, I64ToI32) { checkCast<int64_t, int32_t>(E::I64, E::I32); }
TEST(CudaCast, I64ToBool) { checkCast<int64_t, uint8_t>(E::I64, E::Bool); }
TEST(CudaCast, I32ToI64) { checkCast<int32_t, int64_t>(E::I32, E::I64); }
TEST(CudaCast, I32ToF32) { checkCast<int32_t, float>(E::I32, E::F32); }
TEST(CudaCast, BoolToF32) { checkCast<uint8_t, float>(E::Bool, E::F32); }
TEST(CudaCast, BoolToI64) { checkCast<uint8_t, int64_t>(E::Bool, E::I64); }
TEST(CudaCast, F32ToF32) { checkCast<float, float>(E::F32, E::F32); }

// where(cond [4,1], x [3], y [2,4,3]): three-way broadcasting.
TEST(CudaWhere, BroadcastsAllInputs) {
  const Dims c_dims{4, 1}, x_dims{3}, y_dims{2, 4, 3}, o_dims{2, 4, 3};
  std::vector<uint8_t> c{1, 0, 2, 0};
  std::vector<int64_t> x{10, 11, 12}, y(24), want(24), got(24);
  for (int i = 0; i < 24; ++i) y[i] = 100 + i;
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 3; ++j) want[(b * 4 + i) * 3 + j] = c[i] ? x[j] : y[(b * 4 + i) * 3 + j];
  Args args;
  args.out(got.data(), o_dims);
  args.in(c.data(), c_dims);
  args.in(x.data(), x_dims);
  args.in(y.data(), y_dims);
  runOnBothExecutors(
      [&](auto ex) { cu::where<int64_t>(ex, args.a); },
      [&](const char* exec) { EXPECT_TRUE(valuesEqual(got, want)) << "on " << exec; });
}

TEST(CudaFill, AllTypes) {
  std::vector<float> f(37), fw(37);
  std::vector<int64_t> i64(37), i64w(37);
  std::vector<int32_t> i32(37), i32w(37);
  std::vector<uint8_t> b(37), bw(37);
  Args fa, ia, ja, ba;
  fa.out(f.data(), {37}), ia.out(i64.data(), {37}), ja.out(i32.data(), {37});
  ba.out(b.data(), {37});
  for (double v : {1.5, -3.0, 1e30, -1e300, 0.0, 2.5e9, std::nan("")}) {
    cpu::fill(E::F32, v, fw.data(), 37);
    cpu::fill(E::I64, v, i64w.data(), 37);
    cpu::fill(E::I32, v, i32w.data(), 37);
    cpu::fill(E::Bool, v, bw.data(), 37);
    runOnBothExecutors(
        [&](auto ex) {
          cu::fill<float>(ex, fa.a, v);
          cu::fill<int64_t>(ex, ia.a, v);
          cu::fill<int32_t>(ex, ja.a, v);
          cu::fill<uint8_t>(ex, ba.a, v);
        },
        [&](const char* exec) {
          EXPECT_TRUE(floatsMatch(f, fw, -1)) << "f32 fill " << v << " on " << exec;
          EXPECT_TRUE(valuesEqual(i64, i64w)) << "i64 fill " << v << " on " << exec;
          EXPECT_TRUE(valuesEqual(i32, i32w)) << "i32 fill " << v << " on " << exec;
          EXPECT_TRUE(valuesEqual(b, bw)) << "bool fill " << v << " on " << exec;
        });
  }
}

TEST(CudaRange, AllTypes) {
  std::vector<float> f(37), fw(37);
  std::vector<int64_t> i64(37), i64w(37);
  std::vector<int32_t> i32(37), i32w(37);
  Args fa, ia, ja;
  fa.out(f.data(), {37}), ia.out(i64.data(), {37}), ja.out(i32.data(), {37});
  const double ranges[][2] = {{0.0, 0.1}, {3.0, -1.0}, {-2.5, 0.3}, {1e10, 3.7}, {5, 1e18}};
  for (const auto& r : ranges) {
    cpu::range(E::F32, r[0], r[1], fw.data(), 37);
    cpu::range(E::I64, r[0], r[1], i64w.data(), 37);
    cpu::range(E::I32, r[0], r[1], i32w.data(), 37);
    runOnBothExecutors(
        [&](auto ex) {
          cu::range<float>(ex, fa.a, r[0], r[1]);
          cu::range<int64_t>(ex, ia.a, r[0], r[1]);
          cu::range<int32_t>(ex, ja.a, r[0], r[1]);
        },
        [&](const char* exec) {
          EXPECT_TRUE(floatsMatch(f, fw, -1))
              << "f32 start " << r[0] << " delta " << r[1] << " on " << exec;
          EXPECT_TRUE(valuesEqual(i64, i64w))
              << "i64 start " << r[0] << " delta " << r[1] << " on " << exec;
          EXPECT_TRUE(valuesEqual(i32, i32w))
              << "i32 start " << r[0] << " delta " << r[1] << " on " << exec;
        });
  }
}

// Lower and upper, diagonals inside, outside and at the int64 extremes.
TEST(CudaTrilu, LowerAndUpperAllDiagonals) {
  const Dims t_dims{2, 5, 7};
  auto x = randomFloats(70);
  std::vector<float> want(70), got(70);
  Args args;
  args.out(got.data(), t_dims);
  args.in(x.data(), t_dims);
  for (bool upper : {false, true})
    for (int64_t k :
         {int64_t(0), int64_t(1), int64_t(-2), int64_t(6), int64_t(-9), INT64_MAX, INT64_MIN}) {
      cpu::trilu(x.data(), shapeOf(t_dims), upper, k, 4, want.data());
      runOnBothExecutors([&](auto ex) { cu::trilu<float>(ex, args.a, upper, k); },
                         [&](const char* exec) {
                           EXPECT_TRUE(floatsMatch(got, want, -1))
                               << (upper ? "upper" : "lower") << " k=" << k << " on " << exec;
                         });
    }
}

}  // namespace
}  // namespace llmopt::cuda_test
