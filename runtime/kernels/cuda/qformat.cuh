// The weight layouts the linear kernels read (plan.fbs LinearParams, QuantLinearParams;
// runtime/kernels/cpu/generic/qpack.h), each behind one accessor that decodes a row kk of 16
// consecutive output channels c0 .. c0 + 15 to fp32 (0 past n), with the CPU's formulas
// (qdecode.cpp): w = q * scale (Int8), q * scale + offset in fp32 (Int4), the exact value of
// F16 / BF16.
//
// An accessor has kStep (rows of k a lane takes at once: 64 bytes of a panel, so a warp reads
// 2 KiB in one sweep), a Cursor (per column group state: scales, the current Int4 group),
// fast(c0) (c0 starts a panel and the data are aligned for vector loads), begin() and row().
// The slow path decodes channel by channel with unaligned-safe loads: for a column group that
// does not start a panel (the up half of a swiglu layer with n/2 not a multiple of 16), or for
// misaligned data.
#ifndef LLMOPT_KERNELS_CUDA_QFORMAT_CUH
#define LLMOPT_KERNELS_CUDA_QFORMAT_CUH

#include <cstdint>

#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/team.cuh"

namespace llmopt::cuda {
namespace qformat {
struct W8A8 {};  // plan.fbs Int8W8A8
struct Int8 {};
struct Int4 {};
struct F16 {};
struct BF16 {};
}  // namespace qformat

constexpr int kPanel = 16;  // channels per panel

// fp32 PackedN16: panel p is [k][16] row-major.
struct PackedF32Weights {
  static constexpr int kStep = 1;
  struct Cursor {};
  const float* w;
  int64_t n, k;
  bool aligned;

  LLMOPT_HD PackedF32Weights(const void* data, int64_t n_, int64_t k_)
      : w(static_cast<const float*>(data)), n(n_), k(k_), aligned(isAligned(data, 16)) {}
  LLMOPT_HD bool fast(int64_t c0) const { return aligned && c0 % kPanel == 0; }
  LLMOPT_HD void begin(Cursor&, int64_t, bool) const {}
  LLMOPT_HD void row(Cursor&, int64_t kk, int64_t c0, bool is_fast, float* out) const {
    if (is_fast) {
      const float* src = w + (c0 / kPanel * k + kk) * kPanel;
      uint32_t words[16];
      LLMOPT_UNROLL
      for (int i = 0; i < 4; ++i) loadWords<16>(src + 4 * i, true, words + 4 * i);
      LLMOPT_UNROLL
      for (int j = 0; j < 16; ++j) out[j] = floatFromBits(words[j]);
      return;
    }
    LLMOPT_UNROLL
    for (int j = 0; j < 16; ++j) {
      const int64_t c = c0 + j;
      out[j] = c < n ? loadUnaligned<float>(w + ((c >> 4) * k + kk) * kPanel + (c & 15)) : 0.0f;
    }
  }
};

// fp32 row-major [k][ld] (the KN layout, and MatMul's right operand): always channel by channel,
// the columns having no alignment to speak of.
struct KnF32Weights {
  static constexpr int kStep = 1;
  struct Cursor {};
  const float* w;
  int64_t n, ld;

  LLMOPT_HD KnF32Weights(const float* data, int64_t n_, int64_t ld_) : w(data), n(n_), ld(ld_) {}
  LLMOPT_HD bool fast(int64_t) const { return false; }
  LLMOPT_HD void begin(Cursor&, int64_t, bool) const {}
  LLMOPT_HD void row(Cursor&, int64_t kk, int64_t c0, bool, float* out) const {
    const float* src = w + kk * ld;
    LLMOPT_UNROLL
    for (int j = 0; j < 16; ++j) out[j] = c0 + j < n ? src[c0 + j] : 0.0f;
  }
};

// Int8 PackedN16: 16 bytes per panel row; fp32 scale per channel.
struct Int8Weights {
  static constexpr int kStep = 4;
  struct Cursor {
    float scale[16];
  };
  const int8_t* w;
  const float* scale;
  int64_t n, k;
  bool aligned;

  LLMOPT_HD Int8Weights(const void* data, const void* scales, int64_t n_, int64_t k_)
      : w(static_cast<const int8_t*>(data)),
        scale(static_cast<const float*>(scales)),
        n(n_),
        k(k_),
        aligned(isAligned(data, 16)) {}
  LLMOPT_HD bool fast(int64_t c0) const { return aligned && c0 % kPanel == 0; }
  LLMOPT_HD void begin(Cursor& cur, int64_t c0, bool) const {
    LLMOPT_UNROLL
    for (int j = 0; j < 16; ++j)
      cur.scale[j] = c0 + j < n ? loadUnaligned<float>(scale + c0 + j) : 0.0f;
  }
  LLMOPT_HD void row(Cursor& cur, int64_t kk, int64_t c0, bool is_fast, float* out) const {
    int8_t q[16];
    if (is_fast) {
      uint32_t words[4];
      loadWords<16>(w + (c0 / kPanel * k + kk) * kPanel, true, words);
      LLMOPT_UNROLL
      for (int j = 0; j < 16; ++j) q[j] = static_cast<int8_t>(words[j / 4] >> (8 * (j % 4)));
    } else {
      LLMOPT_UNROLL
      for (int j = 0; j < 16; ++j) {
        const int64_t c = c0 + j;
        q[j] = c < n ? w[((c >> 4) * k + kk) * kPanel + (c & 15)] : int8_t(0);
      }
    }
    LLMOPT_UNROLL
    for (int j = 0; j < 16; ++j) out[j] = static_cast<float>(q[j]) * cur.scale[j];
  }
};

// Int4: 8 bytes per panel row (channel 2i in the low nibble of byte i, 2i + 1 in the high one),
// fp16 scale and offset per group of group_size rows laid out [panel][group][16].
struct Int4Weights {
  static constexpr int kStep = 8;
  struct Cursor {
    int64_t group;  // whose scale and offset are loaded; -1: none yet
    float scale[16], offset[16];
  };
  const uint8_t* w;
  const uint16_t* scales;
  const uint16_t* offsets;
  int64_t n, k, group_size, groups;
  bool aligned;

  LLMOPT_HD Int4Weights(const void* data, const void* scale_data, const void* offset_data,
                        int64_t n_, int64_t k_, int64_t group_size_)
      : w(static_cast<const uint8_t*>(data)),
        scales(static_cast<const uint16_t*>(scale_data)),
        offsets(static_cast<const uint16_t*>(offset_data)),
        n(n_),
        k(k_),
        group_size(group_size_ > 0 ? group_size_ : 1),
        groups((k_ + group_size - 1) / group_size),
        aligned(isAligned(data, 8) && isAligned(scale_data, 16) && isAligned(offset_data, 16)) {}
  LLMOPT_HD bool fast(int64_t c0) const { return aligned && c0 % kPanel == 0; }
  LLMOPT_HD void begin(Cursor& cur, int64_t, bool) const { cur.group = -1; }

  LLMOPT_HD void loadGroup(Cursor& cur, int64_t g, int64_t c0, bool is_fast) const {
    cur.group = g;
    if (is_fast) {
      const int64_t at = (c0 / kPanel * groups + g) * kPanel;
      uint32_t s[8], o[8];
      loadWords<16>(scales + at, true, s);
      loadWords<16>(scales + at + 8, true, s + 4);
      loadWords<16>(offsets + at, true, o);
      loadWords<16>(offsets + at + 8, true, o + 4);
      LLMOPT_UNROLL
      for (int j = 0; j < 16; ++j) {
        cur.scale[j] = halfToFloat(static_cast<uint16_t>(s[j / 2] >> (16 * (j % 2))));
        cur.offset[j] = halfToFloat(static_cast<uint16_t>(o[j / 2] >> (16 * (j % 2))));
      }
      return;
    }
    LLMOPT_UNROLL
    for (int j = 0; j < 16; ++j) {
      const int64_t c = c0 + j;
      const int64_t at = ((c >> 4) * groups + g) * kPanel + (c & 15);
      cur.scale[j] = c < n ? halfToFloat(loadUnaligned<uint16_t>(scales + at)) : 0.0f;
      cur.offset[j] = c < n ? halfToFloat(loadUnaligned<uint16_t>(offsets + at)) : 0.0f;
    }
  }

  LLMOPT_HD void row(Cursor& cur, int64_t kk, int64_t c0, bool is_fast, float* out) const {
    const int64_t g = kk / group_size;
    if (g != cur.group) loadGroup(cur, g, c0, is_fast);
    uint8_t q[16];
    if (is_fast) {
      uint32_t words[2];
      loadWords<8>(w + (c0 / kPanel * k + kk) * 8, true, words);
      LLMOPT_UNROLL
      for (int j = 0; j < 16; ++j) q[j] = (words[j / 8] >> (4 * (j % 8))) & 0xfu;
    } else {
      LLMOPT_UNROLL
      for (int j = 0; j < 16; ++j) {
        const int64_t c = c0 + j;
        const uint8_t byte = c < n ? w[((c >> 4) * k + kk) * 8 + (c & 15) / 2] : uint8_t(0);
        q[j] = (c & 1) ? byte >> 4 : byte & 0xfu;
      }
    }
    // q * scale is exact (4 bits by 11): fused or not, the same value.
    LLMOPT_UNROLL
    for (int j = 0; j < 16; ++j) out[j] = static_cast<float>(q[j]) * cur.scale[j] + cur.offset[j];
  }
};

// F16 / BF16 PackedN16: 16 uint16 per panel row.
template <bool kBF16>
struct Half16Weights {
  static constexpr int kStep = 2;
  struct Cursor {};
  const uint16_t* w;
  int64_t n, k;
  bool aligned;

  LLMOPT_HD Half16Weights(const void* data, int64_t n_, int64_t k_)
      : w(static_cast<const uint16_t*>(data)), n(n_), k(k_), aligned(isAligned(data, 16)) {}
  LLMOPT_HD bool fast(int64_t c0) const { return aligned && c0 % kPanel == 0; }
  LLMOPT_HD void begin(Cursor&, int64_t, bool) const {}
  LLMOPT_HD static float decode(uint16_t h) { return kBF16 ? bf16ToFloat(h) : halfToFloat(h); }
  LLMOPT_HD void row(Cursor&, int64_t kk, int64_t c0, bool is_fast, float* out) const {
    if (is_fast) {
      const uint16_t* src = w + (c0 / kPanel * k + kk) * kPanel;
      uint32_t words[8];
      loadWords<16>(src, true, words);
      loadWords<16>(src + 8, true, words + 4);
      LLMOPT_UNROLL
      for (int j = 0; j < 16; ++j)
        out[j] = decode(static_cast<uint16_t>(words[j / 2] >> (16 * (j % 2))));
      return;
    }
    LLMOPT_UNROLL
    for (int j = 0; j < 16; ++j) {
      const int64_t c = c0 + j;
      out[j] = c < n ? decode(loadUnaligned<uint16_t>(w + ((c >> 4) * k + kk) * kPanel + (c & 15)))
                     : 0.0f;
    }
  }
};

}  // namespace llmopt::cuda

#endif  // LLMOPT_KERNELS_CUDA_QFORMAT_CUH
