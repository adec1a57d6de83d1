#include "kernels/cpu/arm/qgemm_arm.h"

#ifdef LLMOPT_KERNELS_ARM
#include <arm_neon.h>

#include <cstring>

#include "kernels/cpu/generic/qgemm_microkernel.h"

namespace llmopt::kernels::cpu {
namespace {

uint32_t load4(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// --- sdot ---------------------------------------------------------------------------------------
//
// sdot multiplies signed bytes by signed bytes; the activations are unsigned. With a' = a - 128
// (a XOR 0x80 read as int8), sum a * w = sum a' * w + 128 * sum w: the tile also sums each
// channel's weights (sdot with ones, shared by all its rows) and adds them, shifted by 7, at the
// end. Integer arithmetic throughout, so the sums are exactly the scalar reference's.
//
// A tile is Rows rows by Vecs vectors of 4 channels (a channel's 4 k of one quad are one 32-bit
// lane of the PackedN16K4 quad, which is what sdot sums). One 16-byte load of a row holds 4 quads;
// sdot's lane form takes quad `Lane` of it. Up to 4 rows take a panel's 16 channels at once (16
// accumulators, 4 channel sums, 4 rows of activations, 4 weight vectors, the ones: 29 of the 32
// registers), 5 or 6 rows half a panel at a time.

template <int Rows, int Vecs, int Lane>
LLMOPT_DOTPROD LLMOPT_INLINE void dotQuad(const int8_t* quad, const int8x16_t (&av)[Rows],
                                          int8x16_t ones, int32x4_t (&c)[Rows][Vecs],
                                          int32x4_t (&sums)[Vecs]) {
  for (int v = 0; v < Vecs; ++v) {
    const int8x16_t b = vld1q_s8(quad + 16 * v);
    sums[v] = vdotq_s32(sums[v], b, ones);
    for (int r = 0; r < Rows; ++r) c[r][v] = vdotq_laneq_s32(c[r][v], b, av[r], Lane);
  }
}

// Columns [0, 4 * Vecs) of the quads at `w` (64 bytes apart); acc rows kQGemmAccStride apart.
template <int Rows, int Vecs>
LLMOPT_DOTPROD LLMOPT_INLINE void dotTile(int64_t kq, const uint8_t* a, int64_t lda,
                                          const int8_t* w, int32_t* acc) {
  const uint8x16_t flip = vdupq_n_u8(0x80);
  const int8x16_t ones = vdupq_n_s8(1);
  int32x4_t c[Rows][Vecs], sums[Vecs];
  for (int v = 0; v < Vecs; ++v) {
    sums[v] = vdupq_n_s32(0);
    for (int r = 0; r < Rows; ++r) c[r][v] = vdupq_n_s32(0);
  }
  int8x16_t av[Rows];
  int64_t q = 0;
  for (; q + 4 <= kq; q += 4) {
    for (int r = 0; r < Rows; ++r)
      av[r] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(a + r * lda + 4 * q), flip));
    const int8_t* quads = w + 64 * q;
    dotQuad<Rows, Vecs, 0>(quads, av, ones, c, sums);
    dotQuad<Rows, Vecs, 1>(quads + 64, av, ones, c, sums);
    dotQuad<Rows, Vecs, 2>(quads + 128, av, ones, c, sums);
    dotQuad<Rows, Vecs, 3>(quads + 192, av, ones, c, sums);
  }
  for (; q < kq; ++q) {
    for (int r = 0; r < Rows; ++r)
      av[r] = vreinterpretq_s8_u8(
          veorq_u8(vreinterpretq_u8_u32(vdupq_n_u32(load4(a + r * lda + 4 * q))), flip));
    dotQuad<Rows, Vecs, 0>(w + 64 * q, av, ones, c, sums);
  }
  for (int v = 0; v < Vecs; ++v) {
    const int32x4_t shift = vshlq_n_s32(sums[v], 7);
    for (int r = 0; r < Rows; ++r)
      vst1q_s32(acc + r * kQGemmAccStride + 4 * v, vaddq_s32(c[r][v], shift));
  }
}

template <int Rows>
LLMOPT_DOTPROD void dotRows(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w,
                            int64_t panel_stride, int panels, int32_t* acc) {
  for (int i = 0; i < panels; ++i) {
    const int8_t* panel = w + i * panel_stride;
    if (Rows <= 4) {
      dotTile<Rows, 4>(kq, a, lda, panel, acc + 16 * i);
    } else {
      dotTile<Rows, 2>(kq, a, lda, panel, acc + 16 * i);
      dotTile<Rows, 2>(kq, a, lda, panel + 32, acc + 16 * i + 8);
    }
  }
}

// --- NEON without dot products ------------------------------------------------------------------
//
// ld4 splits a 64-byte quad into its 4 k (16 channels each); widened to int16, each multiplies the
// row's activation of that k (0..255, exact in int16) by lane, accumulating in int32 (smlal). A
// tile is up to 4 rows by 16 channels: 16 accumulators.

template <int Rows, int Lane>
LLMOPT_INLINE void mlalK(int8x16_t wk, const int16x4_t (&av)[Rows], int32x4_t (&c)[Rows][4]) {
  const int16x8_t low = vmovl_s8(vget_low_s8(wk)), high = vmovl_high_s8(wk);
  for (int r = 0; r < Rows; ++r) {
    c[r][0] = vmlal_lane_s16(c[r][0], vget_low_s16(low), av[r], Lane);
    c[r][1] = vmlal_high_lane_s16(c[r][1], low, av[r], Lane);
    c[r][2] = vmlal_lane_s16(c[r][2], vget_low_s16(high), av[r], Lane);
    c[r][3] = vmlal_high_lane_s16(c[r][3], high, av[r], Lane);
  }
}

template <int Rows>
LLMOPT_INLINE void neonPanel(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* panel,
                             int32_t* acc) {
  int32x4_t c[Rows][4];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 4; ++v) c[r][v] = vdupq_n_s32(0);
  for (int64_t q = 0; q < kq; ++q) {
    const int8x16x4_t wk = vld4q_s8(panel + 64 * q);
    int16x4_t av[Rows];
    for (int r = 0; r < Rows; ++r)
      av[r] = vreinterpret_s16_u16(
          vget_low_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(load4(a + r * lda + 4 * q))))));
    mlalK<Rows, 0>(wk.val[0], av, c);
    mlalK<Rows, 1>(wk.val[1], av, c);
    mlalK<Rows, 2>(wk.val[2], av, c);
    mlalK<Rows, 3>(wk.val[3], av, c);
  }
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 4; ++v) vst1q_s32(acc + r * kQGemmAccStride + 4 * v, c[r][v]);
}

}  // namespace

LLMOPT_DOTPROD void qgemmNeonDot(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w,
                                 int64_t panel_stride, int panels, int rows, int32_t* acc) {
  using DotRowsFn = void (*)(int64_t, const uint8_t*, int64_t, const int8_t*, int64_t, int,
                            int32_t*);
  static constexpr DotRowsFn kByRows[kQGemmNeonMr] = {dotRows<1>, dotRows<2>, dotRows<3>,
                                                      dotRows<4>, dotRows<5>, dotRows<6>};
  static_assert(kQGemmNeonMr == 6, "update the table above");
  kByRows[rows - 1](kq, a, lda, w, panel_stride, panels, acc);
}

// Rows in passes of up to 4 over each panel, the panel's quads read again from L1.
void qgemmNeon(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w, int64_t panel_stride,
               int panels, int rows, int32_t* acc) {
  for (int i = 0; i < panels; ++i)
    for (int r = 0; r < rows; r += 4) {
      const uint8_t* a_rows = a + r * lda;
      const int8_t* panel = w + i * panel_stride;
      int32_t* out = acc + r * kQGemmAccStride + 16 * i;
      switch (rows - r) {
        case 1:
          neonPanel<1>(kq, a_rows, lda, panel, out);
          break;
        case 2:
          neonPanel<2>(kq, a_rows, lda, panel, out);
          break;
        case 3:
          neonPanel<3>(kq, a_rows, lda, panel, out);
          break;
        default:
          neonPanel<4>(kq, a_rows, lda, panel, out);
          break;
      }
    }
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_KERNELS_ARM
