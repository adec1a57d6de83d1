// Linear layers (fp32 and quantized weights) and MatMul. One warp per tile of kTileRows rows of
// x by 16 output columns: the lanes split k (each takes kStep rows of k at a time, so a warp
// reads consecutive rows of a weight panel and of x), keep the tile's partial sums in registers,
// add them up across the warp, and share the epilogue y = act(x . W + b) + residual.
// W8A8 quantizes each row of x to int8 inside the tile (as the CPU's qw8a8_rows.h does) and
// accumulates int8 dot products (dp4a) in int32.
// Swiglu tiles hold both halves of the product (gate columns c and up columns c + n/2), at half
// the rows.
#ifndef LLMOPT_KERNELS_CUDA_LINEAR_CUH
#define LLMOPT_KERNELS_CUDA_LINEAR_CUH

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/movement.cuh"
#include "kernels/cuda/numeric.cuh"
#include "kernels/cuda/op_args.h"
#include "kernels/cuda/qformat.cuh"
#include "kernels/cuda/team.cuh"

namespace llmopt::cuda {

constexpr int kTileRows = 4;  // rows of x per tile (2 with swiglu)

// Tile geometry of a linear layer: in a GEMV kernel (a block per tile) one row of x, so that
// the kernel keeps few registers and many blocks stream weights at once; otherwise kTileRows.
template <class Act, bool kGemv = false>
struct LinearTile {
  static constexpr bool kSwiglu = std::is_same_v<Act, ops::ActSwiglu>;
  static constexpr int kGroups = kSwiglu ? 2 : 1;  // 16-column groups of the product per tile
  static constexpr int kRows = kGemv ? 1 : kTileRows / kGroups;
  static constexpr int kCols = kPanel * kGroups;
};

// acc[r][g * 16 + j] = sum over kk < k of x[r * k + kk] * W[kk][c0[g] + j] for r < rows, summed
// across the team (every lane ends with the whole sums).
template <int R, int G, class Team, class W>
LLMOPT_DEV void dotTileF32(const Team& t, const W& w, const float* x, int64_t k, int rows,
                           const int64_t* c0, float (&acc)[R][G * kPanel]) {
  typename W::Cursor cur[G];
  bool fast[G];
  LLMOPT_UNROLL
  for (int g = 0; g < G; ++g) {
    fast[g] = w.fast(c0[g]);
    w.begin(cur[g], c0[g], fast[g]);
  }
  LLMOPT_UNROLL
  for (int r = 0; r < R; ++r) {
    LLMOPT_UNROLL
    for (int j = 0; j < G * kPanel; ++j) acc[r][j] = 0.0f;
  }
  for (int64_t step = t.lane(); step * W::kStep < k; step += t.size()) {
    LLMOPT_UNROLL
    for (int i = 0; i < W::kStep; ++i) {
      const int64_t kk = step * W::kStep + i;
      if (kk >= k) break;
      float xv[R];
      LLMOPT_UNROLL
      for (int r = 0; r < R; ++r) xv[r] = r < rows ? x[r * k + kk] : 0.0f;
      LLMOPT_UNROLL
      for (int g = 0; g < G; ++g) {
        float wr[kPanel];
        w.row(cur[g], kk, c0[g], fast[g], wr);
        LLMOPT_UNROLL
        for (int r = 0; r < R; ++r) {
          if (r >= rows) break;
          LLMOPT_UNROLL
          for (int j = 0; j < kPanel; ++j) acc[r][g * kPanel + j] += xv[r] * wr[j];
        }
      }
    }
  }
  LLMOPT_UNROLL
  for (int r = 0; r < R; ++r)
    if (r < rows) t.sumEach(acc[r]);  // rows is the same on every lane
}

// Where a linear layer's epilogue reads and writes.
struct LinearIo {
  float* y;               // [m][n_out]
  const float* bias;      // [n] or null
  const float* residual;  // [m][n_out] or null
  int64_t n, n_out, m;
};

// The bias and residual inputs: the residual last, the bias just before it (plan.fbs).
template <bool kHasBias, bool kResidual>
LLMOPT_HD LinearIo linearIo(const OpArgs& a, int64_t n) {
  LinearIo io;
  io.y = static_cast<float*>(a.out.data);
  io.n = n;
  io.n_out = n;
  io.bias = kHasBias ? static_cast<const float*>(a.in[a.num_inputs - 1 - kResidual].data) : nullptr;
  io.residual = kResidual ? static_cast<const float*>(a.in[a.num_inputs - 1].data) : nullptr;
  io.m = 0;
  return io;
}

// Stores the tile of rows row0 .. row0 + rows - 1, output columns oc0 .. oc0 + 15:
// product(r, e, c) is the tile's x . W at row r, tile column e (product column c), before the
// bias. Every lane holds every sum; each takes its share of the tile's elements (lane + u * size)
// into a few registers first, so that the epilogue's code appears once per share, not once per
// element of the tile.
template <class Tile, class Act, class Team, class Product>
LLMOPT_DEV void storeLinearTile(const Team& t, const LinearIo& io, int64_t row0, int rows,
                                int64_t oc0, Product product) {
  constexpr int kElems = Tile::kRows * kPanel;
  constexpr int kShare = (kElems + Team::kSize - 1) / Team::kSize;
  const int64_t half = io.n / 2;
  float gate[kShare], up[kShare];  // up: swiglu's second half
  LLMOPT_UNROLL
  for (int u = 0; u < kShare; ++u) gate[u] = up[u] = 0.0f;
  LLMOPT_UNROLL
  for (int e = 0; e < kElems; ++e) {
    const int r = e / kPanel, j = e % kPanel;
    if (e % Team::kSize != t.lane() || r >= rows || oc0 + j >= io.n_out) continue;
    gate[e / Team::kSize] = product(r, j, oc0 + j);
    if constexpr (Tile::kSwiglu) up[e / Team::kSize] = product(r, kPanel + j, oc0 + j + half);
  }
  LLMOPT_UNROLL
  for (int u = 0; u < kShare; ++u) {
    const int e = t.lane() + u * Team::kSize, r = e / kPanel;
    const int64_t oc = oc0 + e % kPanel;
    if (e >= kElems || r >= rows || oc >= io.n_out) continue;
    float v;
    if constexpr (Tile::kSwiglu) {
      float g = gate[u], p = up[u];
      if (io.bias) {
        g = addRn(g, io.bias[oc]);
        p = addRn(p, io.bias[oc + half]);
      }
      v = mulRn(ops::Silu()(g), p);
    } else {
      v = gate[u];
      if (io.bias) v = addRn(v, io.bias[oc]);
      v = Act()(v);
    }
    const int64_t at = (row0 + r) * io.n_out + oc;
    if (io.residual) v = addRn(v, io.residual[at]);
    io.y[at] = v;
  }
}

// Tiles of a linear layer: row tile and column tile of item (columns fastest, so neighbouring
// warps share rows of x).
struct TileIndex {
  int64_t row0, oc0;
  int rows;
};
LLMOPT_HD inline TileIndex tileOf(int64_t item, int64_t col_tiles, int64_t m, int tile_rows) {
  TileIndex ti;
  const int64_t rt = item / col_tiles;
  ti.row0 = rt * tile_rows;
  ti.oc0 = (item - rt * col_tiles) * kPanel;
  const int64_t left = m - ti.row0;
  ti.rows = static_cast<int>(left < tile_rows ? left : tile_rows);
  return ti;
}

// y = act(x . W + b) + residual for any fp32-decoded weight accessor.
template <class Act, bool kHasBias, bool kResidual, class Exec, class W>
LLMOPT_DEV void linearDecoded(const Exec& ex, const OpArgs& a, const W& w, int64_t n, int64_t k) {
  using Tile = LinearTile<Act, Exec::kGemv>;
  LinearIo io = linearIo<kHasBias, kResidual>(a, n);
  io.n_out = Tile::kSwiglu ? n / 2 : n;
  if (io.n_out <= 0) return;
  io.m = a.out.numel / io.n_out;
  const float* x = static_cast<const float*>(a.in[0].data);
  const int64_t col_tiles = (io.n_out + kPanel - 1) / kPanel;
  const int64_t row_tiles = (io.m + Tile::kRows - 1) / Tile::kRows;
  auto tile = [&](const auto& t, int64_t item) {
    const TileIndex ti = tileOf(item, col_tiles, io.m, Tile::kRows);
    int64_t c0[Tile::kGroups];  // swiglu's second group: the up half, n / 2 columns on
    for (int g = 0; g < Tile::kGroups; ++g) c0[g] = ti.oc0 + g * (n / 2);
    float acc[Tile::kRows][Tile::kCols];
    dotTileF32<Tile::kRows, Tile::kGroups>(t, w, x + ti.row0 * k, k, ti.rows, c0, acc);
    storeLinearTile<Tile, Act>(t, io, ti.row0, ti.rows, ti.oc0,
                               [&](int r, int e, int64_t) { return acc[r][e]; });
  };
  if constexpr (Exec::kGemv)
    ex.forEachBlockTeam(row_tiles * col_tiles, tile);
  else
    ex.forEachTeam(row_tiles * col_tiles, tile);
}

// plan.fbs LinearParams: inputs [x, w] + [bias] + [residual]; w PackedN16 (ceil(n/16) panels
// of [k][16]) or, with kKnLayout, row-major [k][n].
template <bool kKnLayout, class Act, bool kHasBias, bool kResidual, class Exec>
LLMOPT_DEV void linearF32(const Exec& ex, const OpArgs& a, int64_t n, int64_t k) {
  if constexpr (kKnLayout) {
    const KnF32Weights w(static_cast<const float*>(a.in[1].data), n, n);
    linearDecoded<Act, kHasBias, kResidual>(ex, a, w, n, k);
  } else {
    const PackedF32Weights w(a.in[1].data, n, k);
    linearDecoded<Act, kHasBias, kResidual>(ex, a, w, n, k);
  }
}

// ONNX MatMul of fp32 in0 [..., M, K] by in1 [..., K, N], batch dims broadcast numpy-style; a
// 1-D in0 is [1, K] (M dropped from out), a 1-D in1 [K, 1] (N dropped).
template <class Exec>
LLMOPT_DEV void matmulF32(const Exec& ex, const OpArgs& a) {
  const TensorArg &A = a.in[0], &B = a.in[1];
  const bool drop_m = A.rank == 1, drop_n = B.rank == 1;
  const int64_t m = drop_m ? 1 : A.dims[A.rank - 2], k = A.dims[A.rank - 1];
  const int64_t n = drop_n ? 1 : B.dims[B.rank - 1];
  const int a_rank = drop_m ? 0 : A.rank - 2, b_rank = drop_n ? 0 : B.rank - 2;
  const int y_rank = a.out.rank - (drop_m ? 0 : 1) - (drop_n ? 0 : 1);
  const int64_t batches = dimProduct(a.out, 0, y_rank);
  if (batches == 0 || m == 0 || n == 0) return;
  const float* ap = static_cast<const float*>(A.data);
  const float* bp = static_cast<const float*>(B.data);
  float* y = static_cast<float*>(a.out.data);
  const int64_t col_tiles = (n + kPanel - 1) / kPanel;
  const int64_t row_tiles = (m + kTileRows - 1) / kTileRows;
  const int64_t tiles = row_tiles * col_tiles;
  ex.forEachTeam(batches * tiles, [&](const auto& t, int64_t item) {
    const int64_t batch = item / tiles;
    const TileIndex ti = tileOf(item - batch * tiles, col_tiles, m, kTileRows);
    // The operands' matrices of this batch: y's batch index right-aligned onto theirs, size-1
    // dims broadcast.
    int64_t a_mat = 0, b_mat = 0, a_stride = 1, b_stride = 1, rest = batch;
    for (int d = y_rank - 1; d >= 0; --d) {
      const int64_t index = rest % a.out.dims[d];
      rest /= a.out.dims[d];
      const int da = d - (y_rank - a_rank), db = d - (y_rank - b_rank);
      if (da >= 0) {
        if (A.dims[da] != 1) a_mat += index * a_stride;
        a_stride *= A.dims[da];
      }
      if (db >= 0) {
        if (B.dims[db] != 1) b_mat += index * b_stride;
        b_stride *= B.dims[db];
      }
    }
    const KnF32Weights w(bp + b_mat * k * n, n, n);
    const int64_t c0[1] = {ti.oc0};
    float acc[kTileRows][kPanel];
    dotTileF32<kTileRows, 1>(t, w, ap + (a_mat * m + ti.row0) * k, k, ti.rows, c0, acc);
    float* yb = y + (batch * m + ti.row0) * n;
    LLMOPT_UNROLL
    for (int e = 0; e < kTileRows * kPanel; ++e) {
      if (e % t.kSize != t.lane()) continue;
      const int r = e / kPanel, j = e % kPanel;
      if (r < ti.rows && ti.oc0 + j < n) yb[r * n + ti.oc0 + j] = acc[r][j];
    }
  });
}

struct MaxU32 {
  LLMOPT_HD uint32_t operator()(uint32_t x, uint32_t y) const { return x > y ? x : y; }
};

// One row of x quantized as the CPU's quantizeW8A8RowImpl does: s = max|x| / 127, q =
// round_half_even(x * (1 / s)) (x / s where 1 / s overflows) clamped to +-127. A row of zeros
// (s = 0) or holding inf or NaN (s = NaN) quantizes to all 0.
struct RowQuant {
  // A tile's rows past the matrix are never init()ed: they quantize to zeros.
  float scale = 0.0f, inv = 0.0f;
  bool zero = true, divide = false;

  template <class Team>
  LLMOPT_DEV void init(const Team& t, const float* x, int64_t k) {
    uint32_t max_bits = 0;
    for (int64_t kk = t.lane(); kk < k; kk += t.size()) {
      const uint32_t b = floatBits(x[kk]) & 0x7fffffffu;  // NaN above inf, finite by magnitude
      max_bits = b > max_bits ? b : max_bits;
    }
    max_bits = t.reduce(max_bits, MaxU32());
    const float s = floatFromBits(max_bits) / 127.0f;
    zero = max_bits >= 0x7f800000u || s == 0.0f;
    scale = max_bits >= 0x7f800000u ? quietNaN() : s;
    inv = zero ? 0.0f : 1.0f / s;
    divide = !(inv <= 3.4028234e38f);
  }
  LLMOPT_HD int32_t quantize(float v) const {
    if (zero) return 0;
    int32_t q = static_cast<int32_t>(roundHalfEven(divide ? v / scale : v * inv));
    return q < -127 ? -127 : (q > 127 ? 127 : q);
  }
  // x[4q .. 4q + 3] (0 past k) as four signed bytes.
  LLMOPT_HD uint32_t quad(const float* x, int64_t q, int64_t k) const {
    uint32_t packed = 0;
    for (int i = 0; i < 4; ++i) {
      const int64_t kk = 4 * q + i;
      const int32_t v = kk < k ? quantize(x[kk]) : 0;
      packed |= static_cast<uint32_t>(static_cast<uint8_t>(static_cast<int8_t>(v))) << (8 * i);
    }
    return packed;
  }
};

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
// W8A8 on the tensor cores (mma.sync m16n8k32 s8 x s8 -> s32, sm_80+), for prefill-sized m: a
// warp per tile of 32 rows of x by 64 output columns, with no shared memory. The PackedN16K4
// panels are already the B fragments' layout: a lane's register is channel c's four bytes of one
// quad of k, and a warp's loads of a quad row of two panels are 128 contiguous bytes. x is
// quantized row by row as RowQuant does, while its A fragments are loaded. The sums are the same
// int32 as dp4a's (exact either way), and the epilogue is storeLinearTile's, so the outputs are
// bit for bit those of the generic path below.
constexpr int kMmaRows = 32, kMmaCols = 64;
// A warp per tile does a tile's whole k and quantizes its rows of x itself: that pays only with
// enough tiles to fill the GPU (measured on an H100: GPT-2's lm_head at 128 tokens, 3144 tiles,
// 3.3x faster than dp4a; its 768- to 3072-column layers, 48 to 192 tiles, 2x slower).
constexpr int64_t kMmaMinTiles = 1024;

__device__ inline void mmaS8(int32_t (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

template <class Act, bool kHasBias, bool kResidual>
__device__ void linearW8A8Mma(const DeviceExec& ex, const OpArgs& a, const LinearIo& io,
                              int64_t k) {
  const float* x = static_cast<const float*>(a.in[0].data);
  const uint8_t* w = static_cast<const uint8_t*>(a.in[1].data);
  const float* w_scale = static_cast<const float*>(a.in[3].data);
  const int64_t n = io.n, kq = k / 4, panels = (n + kPanel - 1) / kPanel;
  const int64_t col_tiles = (n + kMmaCols - 1) / kMmaCols;
  const int64_t row_tiles = (io.m + kMmaRows - 1) / kMmaRows;
  ex.forEachTeam(row_tiles * col_tiles, [&](const WarpTeam& t, int64_t item) {
    const int64_t row0 = item / col_tiles * kMmaRows, oc0 = item % col_tiles * kMmaCols;
    const int g = t.lane() >> 2, tig = t.lane() & 3;  // the fragments' groupID, thread in group
    // This lane's rows: row0 + 8 * i + g, i < 4 (m16 tile i / 2, its upper half when i is odd).
    RowQuant rq[4];
    const float* xr[4];
    bool live[4];
    for (int r = 0; r < kMmaRows; ++r) {
      if (row0 + r >= io.m) break;  // the same on every lane
      RowQuant q;
      q.init(t, x + (row0 + r) * k, k);
      if ((r & 7) == g) rq[r >> 3] = q;
    }
    LLMOPT_UNROLL
    for (int i = 0; i < 4; ++i) {
      live[i] = row0 + 8 * i + g < io.m;
      xr[i] = x + (live[i] ? row0 + 8 * i + g : 0) * k;
    }
    int32_t acc[2][8][4] = {};
    for (int64_t q0 = 0; q0 < kq; q0 += 8) {  // 32 of k per step
      uint32_t af[2][4];
      LLMOPT_UNROLL
      for (int f = 0; f < 2; ++f) {
        LLMOPT_UNROLL
        for (int j = 0; j < 4; ++j) {  // a0..a3: rows +0/+8, k +0/+16
          const int i = 2 * f + (j & 1);
          af[f][j] = live[i] ? rq[i].quad(xr[i], q0 + tig + 4 * (j >> 1), k) : 0u;
        }
      }
      LLMOPT_UNROLL
      for (int nt = 0; nt < 8; ++nt) {
        const int64_t p = (oc0 >> 4) + (nt >> 1);
        if (p >= panels) break;  // the same on every lane
        const uint8_t* src = w + (p * kq + q0 + tig) * 64 + ((nt & 1) * 8 + g) * 4;
        const uint32_t b0 = *reinterpret_cast<const uint32_t*>(src);
        const uint32_t b1 = *reinterpret_cast<const uint32_t*>(src + 4 * 64);
        mmaS8(acc[0][nt], af[0], b0, b1);
        mmaS8(acc[1][nt], af[1], b0, b1);
      }
    }
    // The epilogue of storeLinearTile, per element this lane holds.
    LLMOPT_UNROLL
    for (int f = 0; f < 2; ++f) {
      LLMOPT_UNROLL
      for (int nt = 0; nt < 8; ++nt) {
        LLMOPT_UNROLL
        for (int e = 0; e < 4; ++e) {
          const int i = 2 * f + (e >> 1);
          const int64_t row = row0 + 8 * i + g, c = oc0 + 8 * nt + 2 * tig + (e & 1);
          if (!live[i] || c >= n) continue;
          float v = mulRn(static_cast<float>(acc[f][nt][e]), mulRn(rq[i].scale, w_scale[c]));
          if (kHasBias) v = addRn(v, io.bias[c]);
          v = Act()(v);
          if (kResidual) v = addRn(v, io.residual[row * n + c]);
          io.y[row * n + c] = v;
        }
      }
    }
  });
}
#endif

// plan.fbs Int8W8A8: inputs [x, w (PackedN16K4), colsum (unused: the activations are signed
// here), scale] + [bias] + [residual]; y = acc * s_row * scale[c] (+ b), then the epilogue.
template <class Act, bool kHasBias, bool kResidual, class Exec>
LLMOPT_DEV void linearW8A8(const Exec& ex, const OpArgs& a, int64_t n, int64_t k) {
  using Tile = LinearTile<Act, Exec::kGemv>;
  constexpr int R = Tile::kRows, G = Tile::kGroups;
  LinearIo io = linearIo<kHasBias, kResidual>(a, n);
  io.n_out = Tile::kSwiglu ? n / 2 : n;
  if (io.n_out <= 0) return;
  io.m = a.out.numel / io.n_out;
  const float* x = static_cast<const float*>(a.in[0].data);
  const uint8_t* w = static_cast<const uint8_t*>(a.in[1].data);
  const float* w_scale = static_cast<const float*>(a.in[3].data);
  const bool aligned = isAligned(w, 16);
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  if constexpr (!Tile::kSwiglu && !Exec::kGemv) {
    const int64_t tiles = (io.m + kMmaRows - 1) / kMmaRows * ((n + kMmaCols - 1) / kMmaCols);
    if (aligned && k % 32 == 0 && tiles >= kMmaMinTiles)
      return linearW8A8Mma<Act, kHasBias, kResidual>(ex, a, io, k);
  }
#endif
  const int64_t kq = (k + 3) / 4;
  const int64_t col_tiles = (io.n_out + kPanel - 1) / kPanel;
  const int64_t row_tiles = (io.m + R - 1) / R;
  auto tile = [&](const auto& t, int64_t item) {
    const TileIndex ti = tileOf(item, col_tiles, io.m, R);
    int64_t c0[G];
    for (int g = 0; g < G; ++g) c0[g] = ti.oc0 + g * (n / 2);
    const float* xt = x + ti.row0 * k;
    RowQuant rq[R];
    LLMOPT_UNROLL
    for (int r = 0; r < R; ++r)
      if (r < ti.rows) rq[r].init(t, xt + r * k, k);  // rows is the same on every lane
    int32_t acc[R][G * kPanel];
    LLMOPT_UNROLL
    for (int r = 0; r < R; ++r) {
      LLMOPT_UNROLL
      for (int j = 0; j < G * kPanel; ++j) acc[r][j] = 0;
    }
    for (int64_t q = t.lane(); q < kq; q += t.size()) {
      uint32_t xq[R];
      LLMOPT_UNROLL
      for (int r = 0; r < R; ++r) xq[r] = r < ti.rows ? rq[r].quad(xt + r * k, q, k) : 0u;
      LLMOPT_UNROLL
      for (int g = 0; g < G; ++g) {
        // Channel j's four bytes of this quad: 64 bytes per panel and quad.
        uint32_t wq[kPanel];
        if (aligned && c0[g] % kPanel == 0) {
          const uint8_t* src = w + (c0[g] / kPanel * kq + q) * 64;
          LLMOPT_UNROLL
          for (int i = 0; i < 4; ++i) loadWords<16>(src + 16 * i, true, wq + 4 * i);
        } else {
          LLMOPT_UNROLL
          for (int j = 0; j < kPanel; ++j) {
            const int64_t c = c0[g] + j;
            wq[j] =
                c < n ? loadUnaligned<uint32_t>(w + ((c >> 4) * kq + q) * 64 + (c & 15) * 4) : 0u;
          }
        }
        LLMOPT_UNROLL
        for (int r = 0; r < R; ++r) {
          if (r >= ti.rows) break;
          LLMOPT_UNROLL
          for (int j = 0; j < kPanel; ++j)
            acc[r][g * kPanel + j] = dp4a(xq[r], wq[j], acc[r][g * kPanel + j]);
        }
      }
    }
    LLMOPT_UNROLL
    for (int r = 0; r < R; ++r)
      if (r < ti.rows) t.sumEach(acc[r]);
    // Two roundings as the CPU: acc * (s_row * scale[c]).
    storeLinearTile<Tile, Act>(t, io, ti.row0, ti.rows, ti.oc0, [&](int r, int e, int64_t c) {
      return mulRn(static_cast<float>(acc[r][e]), mulRn(rq[r].scale, w_scale[c]));
    });
  };
  if constexpr (Exec::kGemv)
    ex.forEachBlockTeam(row_tiles * col_tiles, tile);
  else
    ex.forEachTeam(row_tiles * col_tiles, tile);
}

// plan.fbs QuantLinearParams, the inputs as it lists them per format.
template <class Format, class Act, bool kHasBias, bool kResidual, class Exec>
LLMOPT_DEV void linearQuant(const Exec& ex, const OpArgs& a, int64_t n, int64_t k,
                            int64_t group_size) {
  if constexpr (std::is_same_v<Format, qformat::W8A8>) {
    linearW8A8<Act, kHasBias, kResidual>(ex, a, n, k);
  } else if constexpr (std::is_same_v<Format, qformat::Int8>) {
    const Int8Weights w(a.in[1].data, a.in[2].data, n, k);
    linearDecoded<Act, kHasBias, kResidual>(ex, a, w, n, k);
  } else if constexpr (std::is_same_v<Format, qformat::Int4>) {
    const Int4Weights w(a.in[1].data, a.in[2].data, a.in[3].data, n, k, group_size);
    linearDecoded<Act, kHasBias, kResidual>(ex, a, w, n, k);
  } else if constexpr (std::is_same_v<Format, qformat::F16>) {
    const Half16Weights<false> w(a.in[1].data, n, k);
    linearDecoded<Act, kHasBias, kResidual>(ex, a, w, n, k);
  } else {
    static_assert(std::is_same_v<Format, qformat::BF16>, "W8A8, Int8, Int4, F16 or BF16");
    const Half16Weights<true> w(a.in[1].data, n, k);
    linearDecoded<Act, kHasBias, kResidual>(ex, a, w, n, k);
  }
}

}  // namespace llmopt::cuda

#endif  // LLMOPT_KERNELS_CUDA_LINEAR_CUH
