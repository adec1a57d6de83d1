// The register-blocked inner loop of the W8A8 GEMM: exact int32 dot products of up to kQGemmMr
// rows of unsigned 8-bit activations with up to kQGemmPanels PackedN16K4 weight panels, in one
// variant per instruction set, chosen once by the CPU's features (or LLMOPT_ISA).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QGEMM_MICROKERNEL_H
#define LLMOPT_KERNELS_CPU_GENERIC_QGEMM_MICROKERNEL_H

#include <cstddef>
#include <cstdint>

namespace llmopt::kernels::cpu {

constexpr int kQGemmMr = 6;       // activation rows per call of the AVX2 and scalar variants
constexpr int kQGemmAmxMr = 16;   // rows per call of the AMX variant (one tile)
constexpr int kQGemmMaxMr = 16;   // the most rows any variant takes (and reads)
constexpr int kQGemmPanels = 4;  // weight panels (16 channels each) per microkernel call
constexpr int kQGemmAccStride = kQGemmPanels * 16;  // int32s per row of the accumulator tile

// acc[r][16 * i + j] = sum over t < 4 * kq of a[r * lda + t] * P_i[t][j], for r < rows (1 to
// the variant's mr), i < panels (1 to kQGemmPanels), j < 16; panel i's kq quads of 64 bytes
// start at w + i * panel_stride. acc rows are kQGemmAccStride apart. A variant with
// reads_whole_tile reads all mr rows of a (4 * kq bytes each) and writes all mr rows of acc
// whatever `rows` is; the rows past `rows` hold nothing meaningful. Every variant gives the same
// result in the first `rows`.
using QGemmMicrokernelFn = void (*)(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w,
                                    int64_t panel_stride, int panels, int rows, int32_t* acc);

// The row work around the microkernel, built for the variant's instruction set (qw8a8_rows.h):
// quantizing one activation row, and the dequantizing epilogue of one tile.
using QuantizeW8A8RowFn = void (*)(const float* x, int64_t k, int64_t padded, uint8_t* u,
                                   float* scale);
using StoreW8A8TileFn = void (*)(const int32_t* acc, int rows, int64_t cols,
                                 const float* row_scales, const int32_t* colsum,
                                 const float* w_scale, const float* bias, float* y, int64_t ldy);

// Called by a thread before a run of microkernel calls with one kq, and after it (QGemmRun):
// the AMX variant loads its tile configuration there, once per run rather than per call
// (LDTILECFG cost about a fifth of the calls' time at GPT-2's K = 768), and releases the tiles.
// Null for variants without such state.
using QGemmBeginFn = void (*)(int64_t kq);
using QGemmEndFn = void (*)();

struct QGemmVariant {
  const char* name;  // "amx", "avx512vnni", "avxvnni", "avx2"; "neondot", "neon"; "scalar"
  QGemmMicrokernelFn microkernel;  // between begin(kq) and end() of the same kq
  int mr;  // rows per microkernel call
  QuantizeW8A8RowFn quantize_row;
  StoreW8A8TileFn store_tile;
  QGemmBeginFn begin;
  QGemmEndFn end;
  bool reads_whole_tile;  // reads (and writes) all mr rows of a call, not just `rows`
  bool supported;         // this CPU can run it
};

// Brackets a thread's run of microkernel calls with one kq.
class QGemmRun {
 public:
  QGemmRun(const QGemmVariant& variant, int64_t kq) : variant_(variant) {
    if (variant_.begin) variant_.begin(kq);
  }
  ~QGemmRun() {
    if (variant_.end) variant_.end();
  }
  QGemmRun(const QGemmRun&) = delete;
  QGemmRun& operator=(const QGemmRun&) = delete;

 private:
  const QGemmVariant& variant_;
};

// Every variant built into this library, best first (for tests and benchmarks).
const QGemmVariant* qgemmVariants(size_t* count);

// The variant LLMOPT_ISA names when this CPU runs it, else the best this CPU runs.
const QGemmVariant& bestQGemmVariant();

// The variant for an m-row product: the best one, unless it would compute mostly padding rows
// (AMX's 16-row tiles for a single token) and a supported variant with fewer rows per call
// follows it. All variants give the same result.
const QGemmVariant& qgemmVariantForRows(int64_t m);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QGEMM_MICROKERNEL_H
