// Array math under the elementwise and softmax kernels: exp, erf, GELU, tanh and sigmoid over n
// floats, and one contiguous softmax row, in one variant per instruction set, chosen once by the
// CPU's features (or LLMOPT_ISA). The scalar variant is the reference (libm, the kernels' old
// code) and the only one on non-x86 builds.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_VMATH_H
#define LLMOPT_KERNELS_CPU_GENERIC_VMATH_H

#include <cstddef>
#include <cstdint>

namespace llmopt::kernels::cpu {

// y[i] = f(x[i]) for i < n; y may alias x (exactly, not shifted). Each element's result depends on
// that element only, not on where it falls in the array.
using VMathFn = void (*)(const float* x, float* y, int64_t n);
// Softmax of x[0, n) into y (n >= 1); y may alias x.
using SoftmaxRowFn = void (*)(const float* x, float* y, int64_t n);

// Accuracy of the vector variants (checked by tests/unit/runtime/test_vmath.cpp):
//   exp: <= 2 ulp (about 1) for normal results; 0 where the result would be below FLT_MIN
//        (x < -87.3365: denormals are flushed, as producing them is slow), +inf above 88.7228,
//        exp(-inf) = 0, NaN stays NaN.
//   erf: absolute error <= 5e-7 (3.65e-7 measured over all floats), exactly +-1 from
//        |x| = 3.9192 on, NaN stays NaN.
//   gelu: 0.5 x (1 + erf(x / sqrt 2)) on that erf; gelu_tanh: x sigmoid(2u), an identity of the
//        tanh form without its cancellation; tanh and sigmoid within a few ulp (2.6 measured,
//        4 tested; sigmoid, from exp, flushes to 0 below x = -87.3365).
struct VMathVariant {
  const char* name;  // "avx512", "avx2", "scalar"
  VMathFn exp, erf, gelu, gelu_tanh, tanh, sigmoid;
  SoftmaxRowFn softmax_row;
  bool supported;  // this CPU can run it
};

// Every variant built into this library, best first (for tests and benchmarks).
const VMathVariant* vmathVariants(size_t* count);

// The variant LLMOPT_ISA names (scalar, avx2; avx512vnni: avx512) when this CPU runs it, else the
// best this CPU runs.
const VMathVariant& bestVMathVariant();

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_VMATH_H
