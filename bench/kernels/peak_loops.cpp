#include "peak_loops.h"

#ifdef LLMOPT_BENCH_X86
#include <immintrin.h>

#define LLMOPT_AVX2 __attribute__((target("avx2,fma"), noinline))
#define LLMOPT_AVX512 __attribute__((target("avx512f"), noinline))
#define LLMOPT_VNNI512 __attribute__((target("avx512f,avx512vnni"), noinline))
#define LLMOPT_VNNI256 __attribute__((target("avx2,avxvnni"), noinline))
#define LLMOPT_AMX __attribute__((target("amx-tile,amx-int8"), noinline))

// Spelled out rather than a loop, so every accumulator is a named register after inlining.
#define LLMOPT_CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
static_assert(llmopt::bench::kPeakChains == 12, "LLMOPT_CHAINS spells out 12 chains");

namespace llmopt::bench {
namespace {

// Loaded at run time, so the compiler cannot fold the chains. acc = acc * 0.9999 + 1e-4 stays
// near 1: no overflow, no denormals.
volatile float g_mul = 0.9999f;
volatile float g_add = 1e-4f;
volatile int g_byte = 1;

}  // namespace

LLMOPT_AVX512 double fmaLoopZmm(int64_t iterations) {
  const __m512 m = _mm512_set1_ps(g_mul), a = _mm512_set1_ps(g_add);
  __m512 acc[kPeakChains];
#define INIT(i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  LLMOPT_CHAINS(INIT)
#undef INIT
  for (int64_t it = 0; it < iterations; ++it) {
#define STEP(i) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
    LLMOPT_CHAINS(STEP)
#undef STEP
  }
  __m512 sum = _mm512_setzero_ps();
#define SUM(i) sum = _mm512_add_ps(sum, acc[i]);
  LLMOPT_CHAINS(SUM)
#undef SUM
  // Not _mm512_reduce_add_ps: GCC 12 warns about its undefined upper halves.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  double total = 0;
  for (float v : lanes) total += v;
  return total;
}

LLMOPT_AVX2 double fmaLoopYmm(int64_t iterations) {
  const __m256 m = _mm256_set1_ps(g_mul), a = _mm256_set1_ps(g_add);
  __m256 acc[kPeakChains];
#define INIT(i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  LLMOPT_CHAINS(INIT)
#undef INIT
  for (int64_t it = 0; it < iterations; ++it) {
#define STEP(i) acc[i] = _mm256_fmadd_ps(acc[i], m, a);
    LLMOPT_CHAINS(STEP)
#undef STEP
  }
  __m256 sum = _mm256_setzero_ps();
#define SUM(i) sum = _mm256_add_ps(sum, acc[i]);
  LLMOPT_CHAINS(SUM)
#undef SUM
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  double total = 0;
  for (float v : lanes) total += v;
  return total;
}

LLMOPT_VNNI512 double vnniLoopZmm(int64_t iterations) {
  const __m512i u = _mm512_set1_epi8(static_cast<char>(g_byte));
  const __m512i s = _mm512_set1_epi8(static_cast<char>(g_byte));
  __m512i acc[kPeakChains];
#define INIT(i) acc[i] = _mm512_set1_epi32(i);
  LLMOPT_CHAINS(INIT)
#undef INIT
  // Inline asm, not _mm512_dpbusd_epi32: GCC 12 copies every accumulator through another
  // register around each vpdpbusd intrinsic in this loop, and the copies take vector ports.
  for (int64_t it = 0; it < iterations; ++it) {
#define STEP(i) __asm__("vpdpbusd %[b], %[a], %[c]" : [c] "+v"(acc[i]) : [a] "v"(u), [b] "v"(s));
    LLMOPT_CHAINS(STEP)
#undef STEP
  }
  __m512i sum = _mm512_setzero_si512();
#define SUM(i) sum = _mm512_xor_si512(sum, acc[i]);
  LLMOPT_CHAINS(SUM)
#undef SUM
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, sum);
  double total = 0;
  for (int32_t v : lanes) total += v;
  return total;
}

LLMOPT_VNNI256 double vnniLoopYmm(int64_t iterations) {
  const __m256i u = _mm256_set1_epi8(static_cast<char>(g_byte));
  const __m256i s = _mm256_set1_epi8(static_cast<char>(g_byte));
  __m256i acc[kPeakChains];
#define INIT(i) acc[i] = _mm256_set1_epi32(i);
  LLMOPT_CHAINS(INIT)
#undef INIT
  // As above ("x": the VEX encoding reaches ymm0-15 only; %{ %} escape the braces).
  for (int64_t it = 0; it < iterations; ++it) {
#define STEP(i) \
  __asm__("%{vex%} vpdpbusd %[b], %[a], %[c]" : [c] "+x"(acc[i]) : [a] "x"(u), [b] "x"(s));
    LLMOPT_CHAINS(STEP)
#undef STEP
  }
  __m256i sum = _mm256_setzero_si256();
#define SUM(i) sum = _mm256_xor_si256(sum, acc[i]);
  LLMOPT_CHAINS(SUM)
#undef SUM
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  double total = 0;
  for (int32_t v : lanes) total += v;
  return total;
}

namespace {
// Palette 1: every tile 16 rows of 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {64, 64, 64, 64, 64, 64, 64, 64};
  uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
};
}  // namespace

// tdpbusd's latency is several times its issue interval, so four accumulators (tiles 0-3) from
// two A tiles (4, 5) times two B tiles (6, 7) keep it busy; nothing is loaded inside the loop.
LLMOPT_AMX double amxLoop(int64_t iterations) {
  alignas(64) uint8_t operands[2][1024];
  alignas(64) int32_t out[4][256];
  for (auto& tile : operands)
    for (uint8_t& b : tile) b = static_cast<uint8_t>(g_byte);
  static const TileConfig config;
  _tile_loadconfig(&config);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, operands[0], 64);
  _tile_loadd(5, operands[1], 64);
  _tile_loadd(6, operands[0], 64);
  _tile_loadd(7, operands[1], 64);
  for (int64_t it = 0; it < iterations; ++it) {
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    _tile_dpbusd(2, 5, 6);
    _tile_dpbusd(3, 5, 7);
  }
  _tile_stored(0, out[0], 64);
  _tile_stored(1, out[1], 64);
  _tile_stored(2, out[2], 64);
  _tile_stored(3, out[3], 64);
  _tile_release();
  double total = 0;
  for (auto& tile : out)
    for (int32_t v : tile) total += v;
  return total;
}

}  // namespace llmopt::bench
#endif  // LLMOPT_BENCH_X86
