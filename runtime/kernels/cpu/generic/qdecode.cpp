#include "kernels/cpu/generic/qdecode.h"

#include "kernels/cpu/arm/qarm.h"
#include "kernels/cpu/arm/qgemv_w4a8_arm.h"
#include "kernels/cpu/generic/qfloat16.h"
#include "kernels/cpu/generic/qgemv_w4a8.h"
#include "kernels/cpu/generic/qgemv_w4a8_loops.h"
#include "kernels/cpu/generic/qisa.h"
#include "kernels/cpu/x86/qdecode_x86.h"
#include "kernels/cpu/x86/qgemv_w4a8_x86.h"
#include "kernels/cpu/x86/qgemm_x86.h"

namespace llmopt::kernels::cpu {
namespace {

// The portable variant: one row of 16 channels at a time, in plain C++.
struct Params {
  float scale[16];
  float offset[16];
};

// The scale and offset of the group holding row kk of panel p.
template <QWeightFormat F>
void loadParams(const QPanelSource& s, int64_t p, int64_t kk, Params* params) {
  if constexpr (F == QWeightFormat::Int8) {
    for (int j = 0; j < 16; ++j) params->scale[j] = s.scale[p * 16 + j];
  } else if constexpr (F == QWeightFormat::Int4) {
    const int64_t at = (p * qGroupCount(s) + kk / s.group_size) * 16;
    for (int j = 0; j < 16; ++j) {
      params->scale[j] = halfToFloat(s.group_scale[at + j]);
      params->offset[j] = halfToFloat(s.group_offset[at + j]);
    }
  }
}

// Packed row `row` (p * k + kk) decoded.
template <QWeightFormat F>
void decodeRow(const void* w, int64_t row, const Params& params, float* out) {
  if constexpr (F == QWeightFormat::Int8) {
    const int8_t* q = static_cast<const int8_t*>(w) + row * 16;
    for (int j = 0; j < 16; ++j) out[j] = static_cast<float>(q[j]) * params.scale[j];
  } else if constexpr (F == QWeightFormat::Int4) {
    const uint8_t* bytes = static_cast<const uint8_t*>(w) + row * 8;
    for (int j = 0; j < 16; ++j) {
      const int q = (j & 1) ? bytes[j / 2] >> 4 : bytes[j / 2] & 0xf;
      const float scaled = static_cast<float>(q) * params.scale[j];
      out[j] = scaled + params.offset[j];
    }
  } else if constexpr (F == QWeightFormat::F16) {
    const uint16_t* h = static_cast<const uint16_t*>(w) + row * 16;
    for (int j = 0; j < 16; ++j) out[j] = halfToFloat(h[j]);
  } else {
    const uint16_t* b = static_cast<const uint16_t*>(w) + row * 16;
    for (int j = 0; j < 16; ++j) out[j] = bfloat16ToFloat(b[j]);
  }
}

template <QWeightFormat F>
void decodePanelT(const QPanelSource& s, int64_t p, int64_t k0, int64_t kc, float* out) {
  Params params;
  for (int64_t kk = k0; kk < k0 + kc;) {
    const int64_t end = qSegmentEnd(s, kk, k0 + kc);
    loadParams<F>(s, p, kk, &params);
    for (; kk < end; ++kk) decodeRow<F>(s.w, p * s.k + kk, params, out + (kk - k0) * 16);
  }
}

template <QWeightFormat F>
void gemvPanelT(const QPanelSource& s, int64_t p, const float* x, int64_t ldx, int rows,
                const float* bias, float* y, int64_t ldy, int cols) {
  float acc[kQGemvMaxRows][16] = {};
  float w[16];
  Params params;
  for (int64_t kk = 0; kk < s.k;) {
    const int64_t end = qSegmentEnd(s, kk, s.k);
    loadParams<F>(s, p, kk, &params);
    for (; kk < end; ++kk) {
      decodeRow<F>(s.w, p * s.k + kk, params, w);
      for (int r = 0; r < rows; ++r) {
        const float xv = x[r * ldx + kk];
        for (int j = 0; j < 16; ++j) acc[r][j] += xv * w[j];
      }
    }
  }
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < cols; ++j) y[r * ldy + j] = acc[r][j] + (bias ? bias[j] : 0.0f);
}

void decodePanelPortable(const QPanelSource& s, int64_t p, int64_t k0, int64_t kc, float* out) {
  switch (s.format) {
    case QWeightFormat::Int8: return decodePanelT<QWeightFormat::Int8>(s, p, k0, kc, out);
    case QWeightFormat::Int4: return decodePanelT<QWeightFormat::Int4>(s, p, k0, kc, out);
    case QWeightFormat::F16: return decodePanelT<QWeightFormat::F16>(s, p, k0, kc, out);
    case QWeightFormat::BF16: return decodePanelT<QWeightFormat::BF16>(s, p, k0, kc, out);
  }
}

void gemvPanelPortable(const QPanelSource& s, int64_t p, const float* x, int64_t ldx, int rows,
                       const float* bias, float* y, int64_t ldy, int cols) {
  switch (s.format) {
    case QWeightFormat::Int8:
      return gemvPanelT<QWeightFormat::Int8>(s, p, x, ldx, rows, bias, y, ldy, cols);
    case QWeightFormat::Int4:
      return gemvPanelT<QWeightFormat::Int4>(s, p, x, ldx, rows, bias, y, ldy, cols);
    case QWeightFormat::F16:
      return gemvPanelT<QWeightFormat::F16>(s, p, x, ldx, rows, bias, y, ldy, cols);
    case QWeightFormat::BF16:
      return gemvPanelT<QWeightFormat::BF16>(s, p, x, ldx, rows, bias, y, ldy, cols);
  }
}

}  // namespace

void gemvW4A8PanelPortable(const QPanelSource& s, int64_t p, const W4A8Rows& x, int64_t row0,
                           int rows, const float* bias, float* y, int64_t ldy, int cols) {
  gemvW4A8Panel(s, p, x, row0, rows, bias, y, ldy, cols);
}

namespace {

const IsaVariants<QDecodeVariant>& table() {
  static const IsaVariants<QDecodeVariant> instance = [] {
    IsaVariants<QDecodeVariant> v;
#ifdef LLMOPT_QKERNELS_X86
    // W4A8 needs VNNI for its AVX-512 form; AVX-512 CPUs without it run the AVX2 one.
    v.add(QIsa::Avx512, {"avx512", qdecodePanelAvx512, qgemvPanelAvx512,
                         cpuHasAvx512Vbmi()   ? gemvW4A8PanelAvx512Vbmi
                         : cpuHasAvx512Vnni() ? gemvW4A8PanelAvx512Vnni
                                              : gemvW4A8PanelAvx2,
                         cpuHasAvx512F16c()});
    v.add(QIsa::Avx2, {"avx2", qdecodePanelAvx2, qgemvPanelAvx2, gemvW4A8PanelAvx2,
                       cpuHasAvx2F16c()});
#endif
#ifdef LLMOPT_KERNELS_ARM
    // sdot for W4A8; the fp32 decoding is the portable code, which the compiler vectorises for
    // NEON (part of armv8-a). Without dot products the portable variant runs.
    v.add(QIsa::NeonDot, {"neondot", decodePanelPortable, gemvPanelPortable,
                          gemvW4A8PanelNeonDot, cpuHasDotProd()});
#endif
    v.add(QIsa::Scalar,
          {"portable", decodePanelPortable, gemvPanelPortable, gemvW4A8PanelPortable, true});
    v.choose();
    return v;
  }();
  return instance;
}

}  // namespace

const QDecodeVariant* qdecodeVariants(size_t* count) { return table().all(count); }

const QDecodeVariant& bestQDecodeVariant() { return table().best(); }

}  // namespace llmopt::kernels::cpu
