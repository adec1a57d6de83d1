// Helpers for kernel tests: random data, naive reference computations, comparisons.
#ifndef LLMOPT_TESTS_UNIT_RUNTIME_KERNEL_TEST_UTIL_H
#define LLMOPT_TESTS_UNIT_RUNTIME_KERNEL_TEST_UTIL_H

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/cpu/shape.h"
#include "thread_pool.h"

namespace llmopt::testing {

using kernels::Shape;

// The runtime's pool, for checking that threaded kernels match their serial runs.
using ThreadPoolForTests = rt::ThreadPool;

std::vector<float> randomFloats(size_t count, uint32_t seed, float low = -1.0f,
                                float high = 1.0f);

// Row-major index of `index` (a multi-index over `shape`).
int64_t flatIndex(const Shape& shape, const int64_t* index);

// Calls fn(multi_index) for every element of shape, in row-major order.
template <class Fn>
void forEachIndex(const Shape& shape, Fn&& fn) {
  int64_t index[kernels::kMaxRank] = {};
  const int64_t total = shape.elements();
  for (int64_t n = 0; n < total; ++n) {
    fn(static_cast<const int64_t*>(index));
    for (int d = shape.rank - 1; d >= 0; --d) {
      if (++index[d] < shape.dims[d]) break;
      index[d] = 0;
    }
  }
}

// Naive C[m][n] = A[m][k] . B[k][n] (+ bias), accumulated in double.
std::vector<float> naiveMatmul(const std::vector<float>& a, const std::vector<float>& b,
                               const float* bias, int64_t m, int64_t k, int64_t n);

// Max |x - y| / (1 + |y|) must stay under tolerance; reports the first offender.
::testing::AssertionResult allClose(const std::vector<float>& actual,
                                    const std::vector<float>& expected, float tolerance);
::testing::AssertionResult allClose(const float* actual, const float* expected, size_t count,
                                    float tolerance);

}  // namespace llmopt::testing

#endif  // LLMOPT_TESTS_UNIT_RUNTIME_KERNEL_TEST_UTIL_H
