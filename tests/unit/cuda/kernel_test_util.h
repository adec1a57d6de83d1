// Helpers for the CUDA kernel host tests: tensors and views as the kernels receive them (OpArgs),
// random data, bit-exact / tolerance comparisons as gtest assertions, and running a kernel on
// both executors (the serial HostExec and the emulated warps).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/cpu/shape.h"
#include "kernels/cuda/kernels.cuh"
#include "warp_emulator.h"

namespace llmopt::cuda_test {

using Dims = std::vector<int64_t>;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// On aarch64 the runtime's scalar gelu_tanh (vmath.cpp) is built with its polynomial contracted to
// FMAs, the CUDA kernel's host build here is not (-ffp-contract=off): they differ by an ulp or two
// there (seen under qemu in the cross build). Exact on x86-64; a tolerance on aarch64.
#if defined(__aarch64__)
constexpr float kGeluTanhTol = 1e-6f;
#else
constexpr float kGeluTanhTol = -1.0f;
#endif

inline int64_t numel(const Dims& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

inline std::string dimsStr(const Dims& d) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < d.size(); ++i) s << (i ? "," : "") << d[i];
  s << "]";
  return s.str();
}

inline llmopt::kernels::Shape shapeOf(const Dims& d) {
  llmopt::kernels::Shape s;
  for (int64_t x : d) s.dims[s.rank++] = x;
  return s;
}

inline cu::TensorArg tensorArg(const void* data, const Dims& dims, int dtype = 0) {
  cu::TensorArg t{};
  t.data = const_cast<void*>(data);
  t.rank = static_cast<int32_t>(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) t.dims[i] = dims[i];
  t.numel = numel(dims);
  t.dtype = dtype;
  return t;
}

inline std::vector<int64_t> contiguousStrides(const Dims& d) {
  std::vector<int64_t> s(d.size());
  int64_t stride = 1;
  for (int i = static_cast<int>(d.size()) - 1; i >= 0; --i) {
    s[i] = stride;
    stride *= d[i];
  }
  return s;
}

// The view reading `in` broadcast (numpy, right-aligned) onto `out`.
inline cu::StridedView broadcastView(const Dims& in, const Dims& out) {
  cu::StridedView v{};
  const auto s = contiguousStrides(in);
  const int shift = static_cast<int>(out.size()) - static_cast<int>(in.size());
  for (size_t d = 0; d < out.size(); ++d) {
    const int di = static_cast<int>(d) - shift;
    v.strides[d] = (di < 0 || in[di] == 1) ? 0 : s[di];
  }
  return v;
}

// OpArgs under construction: out() first, then in() per input (broadcast view onto out).
struct Args {
  cu::OpArgs a{};
  int32_t fault = 0;
  Args() {
    std::memset(&a, 0, sizeof(a));
    a.fault = &fault;
  }
  void out(void* data, const Dims& dims) { a.out = tensorArg(data, dims); }
  void in(const void* data, const Dims& dims) {
    a.in[a.num_inputs] = tensorArg(data, dims);
    a.view[a.num_inputs] = broadcastView(dims, Dims(a.out.dims, a.out.dims + a.out.rank));
    ++a.num_inputs;
  }
};

// One generator for all tests; test_main.cpp reseeds it before every test, so a test's data
// does not depend on which tests ran before it (--gtest_filter reproduces a failure).
inline std::mt19937& rng() {
  static std::mt19937 r(12345);
  return r;
}
inline std::vector<float> randomFloats(int64_t n, float lo = -2.0f, float hi = 2.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng());
  return v;
}
inline float randomFloat(float lo = -2.0f, float hi = 2.0f) { return randomFloats(1, lo, hi)[0]; }
inline int64_t randomInt(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng());
}

inline uint32_t bitsOf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Same bits, or both NaN (any payload).
inline bool sameFloat(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return bitsOf(a) == bitsOf(b);
}

inline bool closeFloat(float a, float b, float tol) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return std::fabs(a - b) <= tol * (1.0f + std::fabs(b));
}

// n floats: bit-exact when tol < 0, else relative tolerance tol. Lists the first differences.
inline ::testing::AssertionResult floatsMatch(const float* got, const float* want, int64_t n,
                                              float tol) {
  int64_t bad = 0;
  std::ostringstream msg;
  msg.precision(9);
  for (int64_t i = 0; i < n; ++i) {
    const bool ok = tol < 0 ? sameFloat(got[i], want[i]) : closeFloat(got[i], want[i], tol);
    if (ok) continue;
    if (bad < 5) msg << "\n  [" << i << "]: got " << got[i] << " want " << want[i];
    ++bad;
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << n << " differ (" << (tol < 0 ? std::string("exact") : "tol ")
         << (tol < 0 ? std::string() : std::to_string(tol)) << ")" << msg.str();
}
inline ::testing::AssertionResult floatsMatch(const std::vector<float>& got,
                                              const std::vector<float>& want, float tol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  return floatsMatch(got.data(), want.data(), static_cast<int64_t>(got.size()), tol);
}

// Bitwise equal elements (integers, bools, raw words).
template <class T>
::testing::AssertionResult valuesEqual(const std::vector<T>& got, const std::vector<T>& want) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  int64_t bad = 0;
  std::ostringstream msg;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::memcmp(&got[i], &want[i], sizeof(T)) == 0) continue;
    if (bad < 5)
      msg << "\n  [" << i << "]: got " << static_cast<long long>(got[i]) << " want "
          << static_cast<long long>(want[i]);
    ++bad;
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << got.size() << " differ" << msg.str();
}

// Runs kernel(exec) on HostExec and on EmuExec: reset() before each run, check(executor name)
// after it.
template <class Kernel, class Reset, class Check>
void runOnBothExecutors(Kernel kernel, Reset reset, Check check) {
  reset();
  kernel(cu::HostExec());
  check("HostExec");
  reset();
  kernel(EmuExec());
  check("EmuExec (32 lanes)");
}
template <class Kernel, class Check>
void runOnBothExecutors(Kernel kernel, Check check) {
  runOnBothExecutors(
      kernel, [] {}, check);
}

}  // namespace llmopt::cuda_test
