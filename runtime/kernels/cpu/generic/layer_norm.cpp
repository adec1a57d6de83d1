#include "kernels/cpu/generic/layer_norm.h"

#include <cmath>

#include "kernels/cpu/generic/chunks.h"
#include "kernels/cpu/generic/qisa.h"
#include "kernels/cpu/x86/layer_norm_x86.h"
#include "kernels/cpu/x86/qgemm_x86.h"
#include "kernels/cpu/x86/vmath_x86.h"

namespace llmopt::kernels::cpu {
namespace {

// --- The scalar reference ---

// Four partial sums: independent chains the CPU overlaps (a single double chain is latency-bound).
template <class Term>
double sumOf(int64_t n, Term term) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += term(i);
    s1 += term(i + 1);
    s2 += term(i + 2);
    s3 += term(i + 3);
  }
  for (; i < n; ++i) s0 += term(i);
  return (s0 + s1) + (s2 + s3);
}

void layerNormRowScalar(const float* x, const float* scale, const float* bias, int64_t n,
                        double epsilon, float* y) {
  const double mean = sumOf(n, [&](int64_t i) { return double(x[i]); }) / static_cast<double>(n);
  const double squares = sumOf(n, [&](int64_t i) {
    const double d = x[i] - mean;
    return d * d;
  });
  const double inv = 1.0 / std::sqrt(squares / static_cast<double>(n) + epsilon);
  // x - mean in double: rounding the mean to float would cost precision when |mean| >> std.
  if (bias) {
    for (int64_t i = 0; i < n; ++i)
      y[i] = static_cast<float>((x[i] - mean) * inv) * scale[i] + bias[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>((x[i] - mean) * inv) * scale[i];
  }
}

void rmsNormRowScalar(const float* x, const float* scale, int64_t n, float epsilon, float* y) {
  const double squares = sumOf(n, [&](int64_t i) { return double(x[i]) * double(x[i]); });
  const float mean = static_cast<float>(squares / static_cast<double>(n));
  const float inv = 1.0f / std::sqrt(mean + epsilon);
  for (int64_t i = 0; i < n; ++i) y[i] = scale[i] * (x[i] * inv);
}

const IsaVariants<NormVariant>& table() {
  static const IsaVariants<NormVariant> instance = [] {
    IsaVariants<NormVariant> v;
#ifdef LLMOPT_QKERNELS_X86
    v.add(QIsa::Avx512,
          {"avx512", layerNormRowAvx512, rmsNormRowAvx512, cpuHasAvx512FFma()});
    v.add(QIsa::Avx2, {"avx2", layerNormRowAvx2, rmsNormRowAvx2, cpuHasAvx2Fma()});
#endif
    v.add(QIsa::Scalar, {"scalar", layerNormRowScalar, rmsNormRowScalar, true});
    v.choose();
    return v;
  }();
  return instance;
}

}  // namespace

const NormVariant* normVariants(size_t* count) { return table().all(count); }

const NormVariant& bestNormVariant() { return table().best(); }

void rmsNormF32(const float* x, const float* scale, int64_t rows, int64_t cols, float epsilon,
                float* y, Parallel* parallel, const NormVariant* variant) {
  if (rows <= 0 || cols <= 0) return;
  const RmsNormRowFn row = (variant ? *variant : bestNormVariant()).rms_norm_row;
  parallelRanges(parallel, rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) row(x + r * cols, scale, cols, epsilon, y + r * cols);
  });
}

void layerNormF32(const float* x, const float* scale, const float* bias, int64_t rows,
                  int64_t cols, float epsilon, float* y, Parallel* parallel,
                  const NormVariant* variant) {
  if (rows <= 0 || cols <= 0) return;
  const LayerNormRowFn row = (variant ? *variant : bestNormVariant()).layer_norm_row;
  parallelRanges(parallel, rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      row(x + r * cols, scale, bias, cols, epsilon, y + r * cols);
  });
}

}  // namespace llmopt::kernels::cpu
