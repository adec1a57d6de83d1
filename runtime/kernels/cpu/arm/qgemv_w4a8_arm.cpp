#include "kernels/cpu/arm/qgemv_w4a8_arm.h"

#ifdef LLMOPT_KERNELS_ARM
#include <arm_neon.h>

namespace llmopt::kernels::cpu {
namespace {

// The Int4 layout keeps the 16 channels of one k row together (8 bytes of nibble pairs); sdot
// wants 4 consecutive k of one channel in each 32-bit lane. Four k rows (32 bytes) are regrouped
// by two rounds of byte zips: lane i of `low`/`high` = byte i (low) or i + 4 (high) of the four
// rows, in k order. Its low nibbles are channels 2i (low: 0, 2, 4, 6; high: 8, ..., 14), its high
// nibbles 2i + 1. The nibbles (0..15) are exact as signed bytes.
struct Quad {
  int8x16_t w[4];  // channels {0,2,4,6}, {1,3,5,7}, {8,...,14}, {9,...,15}
};

LLMOPT_INLINE Quad loadQuad(const uint8_t* rows4) {
  const uint8x16_t first = vld1q_u8(rows4), second = vld1q_u8(rows4 + 16);  // rows 0-1, 2-3
  const uint8x16_t even = vzip1q_u8(first, second);  // bytes of rows 0 and 2, interleaved
  const uint8x16_t odd = vzip2q_u8(first, second);   // rows 1 and 3
  const uint8x16_t low = vzip1q_u8(even, odd), high = vzip2q_u8(even, odd);
  const uint8x16_t nibble = vdupq_n_u8(0x0f);
  Quad quad;
  quad.w[0] = vreinterpretq_s8_u8(vandq_u8(low, nibble));
  quad.w[1] = vreinterpretq_s8_u8(vshrq_n_u8(low, 4));
  quad.w[2] = vreinterpretq_s8_u8(vandq_u8(high, nibble));
  quad.w[3] = vreinterpretq_s8_u8(vshrq_n_u8(high, 4));
  return quad;
}

template <int Rows, int Lane>
LLMOPT_DOTPROD LLMOPT_INLINE void dotQuad(const uint8_t* rows4, const int8x16_t (&xq)[Rows],
                                          int32x4_t (&dot)[Rows][4]) {
  const Quad quad = loadQuad(rows4);
  for (int r = 0; r < Rows; ++r)
    for (int i = 0; i < 4; ++i) dot[r][i] = vdotq_laneq_s32(dot[r][i], quad.w[i], xq[r], Lane);
}

// 16 fp16 values in the accumulators' channel order.
LLMOPT_INLINE void halvesByParity(const uint16_t* h, float32x4_t (&out)[4]) {
  const float32x4_t q0 = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h)));
  const float32x4_t q1 = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h + 4)));
  const float32x4_t q2 = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h + 8)));
  const float32x4_t q3 = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h + 12)));
  out[0] = vuzp1q_f32(q0, q1);
  out[1] = vuzp2q_f32(q0, q1);
  out[2] = vuzp1q_f32(q2, q3);
  out[3] = vuzp2q_f32(q2, q3);
}

// Every lane sums one channel, so the float epilogue is the portable one's per channel (the
// integer sums are exact; the float rounding may differ where the compiler fuses the portable
// code's multiply and add).
template <int Rows>
LLMOPT_DOTPROD LLMOPT_INLINE void gemvRows(const QPanelSource& s, int64_t p, const W4A8Rows& x,
                                           int64_t row0, const float* bias, float* y, int64_t ldy,
                                           int cols) {
  const uint8_t* w = static_cast<const uint8_t*>(s.w) + p * s.k * 8;
  float32x4_t acc[Rows][4];
  for (int r = 0; r < Rows; ++r)
    for (int i = 0; i < 4; ++i) acc[r][i] = vdupq_n_f32(0.0f);
  for (int64_t g = 0; g < x.groups; ++g) {
    const int64_t k0 = g * s.group_size, k1 = k0 + s.group_size < s.k ? k0 + s.group_size : s.k;
    int32x4_t dot[Rows][4];
    for (int r = 0; r < Rows; ++r)
      for (int i = 0; i < 4; ++i) dot[r][i] = vdupq_n_s32(0);
    for (int64_t kk = k0; kk < k1; kk += kW4A8Step) {
      static_assert(kW4A8Step == 16, "a step is four quads of k rows");
      int8x16_t xq[Rows];
      for (int r = 0; r < Rows; ++r) xq[r] = vld1q_s8(x.q + (row0 + r) * x.k + kk);
      const uint8_t* rows16 = w + kk * 8;
      dotQuad<Rows, 0>(rows16, xq, dot);
      dotQuad<Rows, 1>(rows16 + 32, xq, dot);
      dotQuad<Rows, 2>(rows16 + 64, xq, dot);
      dotQuad<Rows, 3>(rows16 + 96, xq, dot);
    }
    const int64_t at = (p * x.groups + g) * 16;
    float32x4_t scale[4], offset[4];
    halvesByParity(s.group_scale + at, scale);
    halvesByParity(s.group_offset + at, offset);
    for (int r = 0; r < Rows; ++r) {
      const int64_t at_x = (row0 + r) * x.groups + g;
      const float32x4_t xs = vdupq_n_f32(x.scale[at_x]), sum = vdupq_n_f32(x.sum[at_x]);
      for (int i = 0; i < 4; ++i) {
        const float32x4_t scaled = vmulq_f32(vcvtq_f32_s32(dot[r][i]), vmulq_f32(scale[i], xs));
        acc[r][i] = vaddq_f32(acc[r][i], vaddq_f32(scaled, vmulq_f32(sum, offset[i])));
      }
    }
  }
  for (int r = 0; r < Rows; ++r) {
    float out[16];
    vst1q_f32(out, vzip1q_f32(acc[r][0], acc[r][1]));  // channels 0-3
    vst1q_f32(out + 4, vzip2q_f32(acc[r][0], acc[r][1]));
    vst1q_f32(out + 8, vzip1q_f32(acc[r][2], acc[r][3]));
    vst1q_f32(out + 12, vzip2q_f32(acc[r][2], acc[r][3]));
    for (int j = 0; j < cols; ++j) y[r * ldy + j] = out[j] + (bias ? bias[j] : 0.0f);
  }
}

}  // namespace

LLMOPT_DOTPROD void gemvW4A8PanelNeonDot(const QPanelSource& s, int64_t p, const W4A8Rows& x,
                                         int64_t row0, int rows, const float* bias, float* y,
                                         int64_t ldy, int cols) {
  static_assert(kW4A8MaxRows == 2, "update the row dispatch below");
  if (rows == 2)
    gemvRows<2>(s, p, x, row0, bias, y, ldy, cols);
  else
    gemvRows<1>(s, p, x, row0, bias, y, ldy, cols);
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_KERNELS_ARM
