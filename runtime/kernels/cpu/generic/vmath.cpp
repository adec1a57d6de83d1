#include "kernels/cpu/generic/vmath.h"

#include <cmath>

#include "kernels/cpu/generic/qisa.h"
#include "kernels/cpu/x86/qgemm_x86.h"
#include "kernels/cpu/x86/vmath_x86.h"

namespace llmopt::kernels::cpu {
namespace {

// --- The scalar reference ---

struct ExpFn { float operator()(float x) const { return std::exp(x); } };
struct ErfFn { float operator()(float x) const { return std::erf(x); } };
struct GeluFn {
  float operator()(float x) const {
    return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
  }
};
struct GeluTanhFn {
  float operator()(float x) const {
    const float kSqrt2OverPi = 0.79788456080286536f;
    return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
  }
};
struct TanhFn { float operator()(float x) const { return std::tanh(x); } };
struct SigmoidFn {
  // Written so that neither branch overflows exp().
  float operator()(float x) const {
    if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
    float e = std::exp(x);
    return e / (1.0f + e);
  }
};

template <class Fn>
void mapScalar(const float* x, float* y, int64_t n) {
  Fn fn;
  for (int64_t i = 0; i < n; ++i) y[i] = fn(x[i]);
}

void softmaxRowScalar(const float* x, float* y, int64_t n) {
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::fmax(max, x[i]);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    float e = std::exp(x[i] - max);
    y[i] = e;
    sum += e;
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) y[i] *= inv;
}

const IsaVariants<VMathVariant>& table() {
  static const IsaVariants<VMathVariant> instance = [] {
    IsaVariants<VMathVariant> v;
#ifdef LLMOPT_QKERNELS_X86
    v.add(QIsa::Avx512, {"avx512", vexpAvx512, verfAvx512, vgeluAvx512, vgeluTanhAvx512,
                         vtanhAvx512, vsigmoidAvx512, softmaxRowAvx512, cpuHasAvx512FFma()});
    v.add(QIsa::Avx2, {"avx2", vexpAvx2, verfAvx2, vgeluAvx2, vgeluTanhAvx2, vtanhAvx2,
                       vsigmoidAvx2, softmaxRowAvx2, cpuHasAvx2Fma()});
#endif
    v.add(QIsa::Scalar, {"scalar", mapScalar<ExpFn>, mapScalar<ErfFn>, mapScalar<GeluFn>,
                         mapScalar<GeluTanhFn>, mapScalar<TanhFn>, mapScalar<SigmoidFn>,
                         softmaxRowScalar, true});
    v.choose();
    return v;
  }();
  return instance;
}

}  // namespace

const VMathVariant* vmathVariants(size_t* count) { return table().all(count); }

const VMathVariant& bestVMathVariant() { return table().best(); }

}  // namespace llmopt::kernels::cpu
