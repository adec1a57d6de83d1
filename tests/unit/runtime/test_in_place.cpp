// Every kernel the memory plan lets run in place (op_kernel.cpp, inPlaceRule) gives the same bytes
// with its output aliasing the overwritten input as with an output of its own, serially and
// threaded, at sizes that leave vector tails and split into chunks.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <limits>
#include <utility>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/binary.h"
#include "kernels/cpu/generic/cast.h"
#include "kernels/cpu/generic/clip.h"
#include "kernels/cpu/generic/copy.h"
#include "kernels/cpu/generic/fake_quant.h"
#include "kernels/cpu/generic/layer_norm.h"
#include "kernels/cpu/generic/softmax.h"
#include "kernels/cpu/generic/unary.h"
#include "kernels/cpu/generic/vmath.h"

namespace llmopt::testing {
namespace {

using namespace kernels::cpu;
using kernels::Parallel;

// kernel(in, out, parallel) reads `in_bytes` and writes `out_bytes` (equal for a legal in-place
// op, or out_bytes <= in_bytes for the cases checked here).
using Kernel = std::function<void(const void* in, void* out, Parallel* parallel)>;

// The kernel's output written to a buffer of its own and over a copy of its input must be equal
// byte for byte.
::testing::AssertionResult sameInPlace(const void* input, size_t bytes, const Kernel& kernel,
                                       Parallel* parallel) {
  // uint64_t storage: aligned for every element type.
  std::vector<uint64_t> in((bytes + 7) / 8), separate(in.size()), aliased(in.size());
  std::memcpy(in.data(), input, bytes);
  kernel(in.data(), separate.data(), parallel);
  std::memcpy(aliased.data(), input, bytes);
  kernel(aliased.data(), aliased.data(), parallel);
  const auto* a = reinterpret_cast<const uint8_t*>(aliased.data());
  const auto* s = reinterpret_cast<const uint8_t*>(separate.data());
  for (size_t i = 0; i < bytes; ++i)
    if (a[i] != s[i])
      return ::testing::AssertionFailure()
             << "byte " << i << " of " << bytes << " differs in place";
  return ::testing::AssertionSuccess();
}

// Checks the kernel serially and on a pool of three threads.
template <class T>
void expectSameInPlace(const std::vector<T>& input, const Kernel& kernel) {
  static ThreadPoolForTests pool(3);
  EXPECT_TRUE(sameInPlace(input.data(), input.size() * sizeof(T), kernel, nullptr)) << "serial";
  EXPECT_TRUE(sameInPlace(input.data(), input.size() * sizeof(T), kernel, &pool)) << "threaded";
}

// Sizes with vector tails (8 and 16 lanes), and one the pool splits into chunks.
const int64_t kSizes[] = {1, 7, 17, 1001, 70001};

TEST(InPlaceKernels, UnaryF32) {
  for (UnaryOp op : {UnaryOp::Relu, UnaryOp::Gelu, UnaryOp::GeluTanh, UnaryOp::Tanh,
                     UnaryOp::Sigmoid, UnaryOp::Neg, UnaryOp::Exp, UnaryOp::Log, UnaryOp::Sqrt,
                     UnaryOp::Reciprocal, UnaryOp::Erf, UnaryOp::Cos, UnaryOp::Sin,
                     UnaryOp::Abs, UnaryOp::Silu})
    for (int64_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << ", n " << n);
      std::vector<float> x = randomFloats(n, static_cast<uint32_t>(n), -6.0f, 6.0f);
      expectSameInPlace(x, [&](const void* in, void* out, Parallel* p) {
        unaryF32(op, static_cast<const float*>(in), static_cast<float*>(out), n, p);
      });
    }
}

// Each instruction-set variant of the array functions under unary and softmax, not only the one
// this CPU picks.
TEST(InPlaceKernels, EveryVMathVariant) {
  size_t count = 0;
  const VMathVariant* variants = vmathVariants(&count);
  for (size_t v = 0; v < count; ++v) {
    const VMathVariant& variant = variants[v];
    if (!variant.supported) continue;
    SCOPED_TRACE(variant.name);
    for (VMathFn fn : {variant.exp, variant.erf, variant.gelu, variant.gelu_tanh, variant.tanh,
                       variant.sigmoid, variant.softmax_row})
      for (int64_t n : {1, 7, 16, 33, 1001}) {
        std::vector<float> x = randomFloats(n, static_cast<uint32_t>(n + v), -9.0f, 9.0f);
        EXPECT_TRUE(sameInPlace(x.data(), n * sizeof(float),
                                [&](const void* in, void* out, Parallel*) {
                                  fn(static_cast<const float*>(in), static_cast<float*>(out), n);
                                },
                                nullptr))
            << "n " << n;
      }
  }
}

TEST(InPlaceKernels, UnaryI64AndNot) {
  std::vector<int64_t> x(1001);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int64_t>(i * 7919) - 4000;
  x[0] = std::numeric_limits<int64_t>::min();
  for (UnaryOp op : {UnaryOp::Neg, UnaryOp::Abs})
    expectSameInPlace(x, [&](const void* in, void* out, Parallel* p) {
      unaryI64(op, static_cast<const int64_t*>(in), static_cast<int64_t*>(out), 1001, p);
    });
  std::vector<uint8_t> b(70001);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i % 3);
  expectSameInPlace(b, [&](const void* in, void* out, Parallel* p) {
    notBool(static_cast<const uint8_t*>(in), static_cast<uint8_t*>(out), 70001, p);
  });
}

TEST(InPlaceKernels, ClipAndFakeQuant) {
  for (int64_t n : kSizes) {
    std::vector<float> x = randomFloats(n, static_cast<uint32_t>(n), -3.0f, 3.0f);
    expectSameInPlace(x, [&](const void* in, void* out, Parallel* p) {
      clipF32(static_cast<const float*>(in), -1.0f, 0.5f, static_cast<float*>(out), n, p);
    });
    expectSameInPlace(x, [&](const void* in, void* out, Parallel* p) {
      fakeQuantF32(static_cast<const float*>(in), 0.02f, 3, -128.0f, 127.0f,
                   static_cast<float*>(out), n, p);
    });
  }
}

// Casts between dtypes of one size (the only ones the memory plan runs in place).
TEST(InPlaceKernels, CastOfEqualSize) {
  const int64_t n = 70001;
  std::vector<float> f = randomFloats(n, 5, -1e6f, 1e6f);
  std::vector<int32_t> i32(n);
  for (int64_t i = 0; i < n; ++i) i32[i] = static_cast<int32_t>(i * 48271 % 2000000000 - 1000000000);
  std::vector<int64_t> i64(n);
  for (int64_t i = 0; i < n; ++i) i64[i] = i * int64_t(2147483647) - 5;
  std::vector<uint8_t> b(n);
  for (int64_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i % 5);
  auto castKernel = [n](ElemType from, ElemType to) {
    return [=](const void* in, void* out, Parallel* p) { cast(from, in, to, out, n, p); };
  };
  expectSameInPlace(f, castKernel(ElemType::F32, ElemType::I32));
  expectSameInPlace(i32, castKernel(ElemType::I32, ElemType::F32));
  expectSameInPlace(f, castKernel(ElemType::F32, ElemType::F32));
  expectSameInPlace(i64, castKernel(ElemType::I64, ElemType::I64));
  expectSameInPlace(b, castKernel(ElemType::Bool, ElemType::Bool));
}

TEST(InPlaceKernels, SoftmaxRowsAndColumns) {
  // Rows (the last axis), strided lines in column blocks narrower and wider than 64, and one
  // large enough to be split across threads.
  const std::pair<Shape, int> cases[] = {{Shape{5, 37}, 1}, {Shape{3, 9, 70}, 1},
                                         {Shape{2, 5, 3}, 0}, {Shape{7, 130, 2}, 1},
                                         {Shape{64, 1031}, 1}};
  uint32_t seed = 1;
  for (const auto& [shape, axis] : cases) {
    SCOPED_TRACE(::testing::Message() << "rank " << shape.rank << " axis " << axis);
    std::vector<float> x = randomFloats(shape.elements(), seed++, -8.0f, 8.0f);
    expectSameInPlace(x, [&, shape = shape, axis = axis](const void* in, void* out, Parallel* p) {
      softmaxF32(static_cast<const float*>(in), shape, axis, static_cast<float*>(out), p);
    });
  }
}

TEST(InPlaceKernels, LayerNormAndRmsNorm) {
  using Size = std::pair<int64_t, int64_t>;  // rows, cols
  for (const Size& size : {Size{7, 33}, Size{300, 768}}) {
    const int64_t rows = size.first, cols = size.second;
    SCOPED_TRACE(::testing::Message() << rows << " x " << cols);
    std::vector<float> x = randomFloats(rows * cols, static_cast<uint32_t>(cols), -4.0f, 4.0f);
    const std::vector<float> scale = randomFloats(cols, 11), bias = randomFloats(cols, 12);
    for (const float* b : {static_cast<const float*>(nullptr), bias.data()})
      expectSameInPlace(x, [&](const void* in, void* out, Parallel* p) {
        layerNormF32(static_cast<const float*>(in), scale.data(), b, rows, cols, 1e-5f,
                     static_cast<float*>(out), p);
      });
    expectSameInPlace(x, [&](const void* in, void* out, Parallel* p) {
      rmsNormF32(static_cast<const float*>(in), scale.data(), rows, cols, 1e-6f,
                 static_cast<float*>(out), p);
    });
  }
}

// Binary ops overwrite the operand of the output's shape; the other one may be broadcast.
struct BinaryCase {
  Shape aliased, other, out;
  bool aliased_first;  // the overwritten operand is a (else b)
};

const BinaryCase kBinaryCases[] = {
    {Shape{4, 33}, Shape{33}, Shape{4, 33}, true},
    {Shape{4, 33}, Shape{4, 1}, Shape{4, 33}, false},
    {Shape{4, 33}, Shape{4, 33}, Shape{4, 33}, true},
    {Shape{4, 33}, Shape{4, 33}, Shape{4, 33}, false},
    {Shape{3, 1, 5}, Shape{1}, Shape{3, 1, 5}, false},
    {Shape{64, 1100}, Shape{64, 1}, Shape{64, 1100}, true},
};

template <class T, class Fn>
void forEachBinaryCase(Fn&& fn) {
  uint32_t seed = 20;
  for (const BinaryCase& c : kBinaryCases) {
    SCOPED_TRACE(::testing::Message() << "case " << (&c - kBinaryCases));
    std::vector<float> aliased = randomFloats(c.aliased.elements(), seed++, 0.5f, 4.0f);
    std::vector<float> other = randomFloats(c.other.elements(), seed++, 0.5f, 4.0f);
    fn(c, std::vector<T>(aliased.begin(), aliased.end()),
       std::vector<T>(other.begin(), other.end()));
  }
}

TEST(InPlaceKernels, BinaryF32) {
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Pow,
                      BinaryOp::Min, BinaryOp::Max})
    forEachBinaryCase<float>([&](const BinaryCase& c, const std::vector<float>& aliased,
                                 const std::vector<float>& other) {
      expectSameInPlace(aliased, [&](const void* in, void* out, Parallel* p) {
        const auto* x = static_cast<const float*>(in);
        if (c.aliased_first)
          binaryF32(op, x, c.aliased, other.data(), c.other, static_cast<float*>(out), c.out, p);
        else
          binaryF32(op, other.data(), c.other, x, c.aliased, static_cast<float*>(out), c.out, p);
      });
    });
}

TEST(InPlaceKernels, BinaryI64AndLogic) {
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Pow,
                      BinaryOp::Min, BinaryOp::Max})
    forEachBinaryCase<int64_t>([&](const BinaryCase& c, const std::vector<int64_t>& aliased,
                                   const std::vector<int64_t>& other) {
      expectSameInPlace(aliased, [&](const void* in, void* out, Parallel* p) {
        const auto* x = static_cast<const int64_t*>(in);
        auto* y = static_cast<int64_t*>(out);
        if (c.aliased_first)
          binaryI64(op, x, c.aliased, other.data(), c.other, y, c.out, p);
        else
          binaryI64(op, other.data(), c.other, x, c.aliased, y, c.out, p);
      });
    });
  for (BinaryOp op : {BinaryOp::And, BinaryOp::Or, BinaryOp::Xor})
    forEachBinaryCase<uint8_t>([&](const BinaryCase& c, const std::vector<uint8_t>& aliased,
                                   const std::vector<uint8_t>& other) {
      expectSameInPlace(aliased, [&](const void* in, void* out, Parallel* p) {
        const auto* x = static_cast<const uint8_t*>(in);
        auto* y = static_cast<uint8_t*>(out);
        if (c.aliased_first)
          logicBool(op, x, c.aliased, other.data(), c.other, y, c.out, p);
        else
          logicBool(op, other.data(), c.other, x, c.aliased, y, c.out, p);
      });
    });
}

// A reshape's copy onto itself leaves the bytes alone.
TEST(InPlaceKernels, Copy) {
  std::vector<float> x = randomFloats(1001, 9);
  expectSameInPlace(x, [&](const void* in, void* out, Parallel*) {
    copyBytes(in, out, x.size() * sizeof(float));
  });
}

}  // namespace
}  // namespace llmopt::testing
