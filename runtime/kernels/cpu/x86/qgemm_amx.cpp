#include "kernels/cpu/x86/qgemm_amx.h"

#ifdef LLMOPT_QKERNELS_X86
#include <cpuid.h>
#include <immintrin.h>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "kernels/cpu/generic/qgemm_microkernel.h"

#define LLMOPT_AMX __attribute__((target("amx-tile,amx-int8")))

namespace llmopt::kernels::cpu {
namespace {

static_assert(kQGemmAmxMr == 16 && kQGemmPanels == 4, "the tile plan below assumes these");

// Tiles: 0-3 the int32 sums of up to four panels (16 rows x 16 channels); 4, 5 a K block of 64
// activations (16 rows x 64 bytes) and of one panel (16 quads x 64 bytes); 6, 7 the same for the
// last, shorter K block (`tail` quads).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

TileConfig tileConfig(int tail) {
  TileConfig c;
  for (int t = 0; t < 6; ++t) {
    c.colsb[t] = 64;
    c.rows[t] = 16;
  }
  if (tail > 0) {
    c.colsb[6] = static_cast<uint16_t>(4 * tail);
    c.rows[6] = 16;
    c.colsb[7] = 64;
    c.rows[7] = static_cast<uint8_t>(tail);
  }
  return c;
}

// acc tile i += A tile (a_tile) . panel i's B block at `w_block` (stride 64), for i < panels.
#define LLMOPT_AMX_PANELS(a_tile, b_tile, w_block)                    \
  do {                                                                \
    _tile_loadd(b_tile, (w_block), 64);                               \
    _tile_dpbusd(0, a_tile, b_tile);                                  \
    if (panels > 1) {                                                 \
      _tile_loadd(b_tile, (w_block) + panel_stride, 64);              \
      _tile_dpbusd(1, a_tile, b_tile);                                \
    }                                                                 \
    if (panels > 2) {                                                 \
      _tile_loadd(b_tile, (w_block) + 2 * panel_stride, 64);          \
      _tile_dpbusd(2, a_tile, b_tile);                                \
    }                                                                 \
    if (panels > 3) {                                                 \
      _tile_loadd(b_tile, (w_block) + 3 * panel_stride, 64);          \
      _tile_dpbusd(3, a_tile, b_tile);                                \
    }                                                                 \
  } while (0)

}  // namespace

LLMOPT_AMX void qgemmAmxBegin(int64_t kq) {
  const TileConfig config = tileConfig(static_cast<int>(kq % 16));
  // GCC does not see that ldtilecfg reads all 64 bytes and drops most of the stores above (the
  // instruction then faults on the garbage): make them happen first.
  asm volatile("" : : "r"(&config) : "memory");
  _tile_loadconfig(&config);
}

LLMOPT_AMX void qgemmAmxEnd() { _tile_release(); }

LLMOPT_AMX void qgemmAmx(int64_t kq, const uint8_t* a, int64_t lda, const int8_t* w,
                         int64_t panel_stride, int panels, int rows, int32_t* acc) {
  const int64_t blocks = kq / 16;
  const int tail = static_cast<int>(kq % 16);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t b = 0; b < blocks; ++b) {
    _tile_loadd(4, a + b * 64, lda);
    LLMOPT_AMX_PANELS(4, 5, w + b * 16 * 64);
  }
  if (tail > 0) {
    _tile_loadd(6, a + blocks * 64, lda);
    LLMOPT_AMX_PANELS(6, 7, w + blocks * 16 * 64);
  }
  // Whole tiles (16 rows) straight into acc, which has room for mr rows.
  (void)rows;
  const int64_t stride = kQGemmAccStride * static_cast<int64_t>(sizeof(int32_t));
  _tile_stored(0, acc, stride);
  if (panels > 1) _tile_stored(1, acc + 16, stride);
  if (panels > 2) _tile_stored(2, acc + 32, stride);
  if (panels > 3) _tile_stored(3, acc + 48, stride);
}

#undef LLMOPT_AMX_PANELS

bool cpuHasAmxInt8() {
  static const bool available = [] {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    const bool tile = edx & (1u << 24), int8 = edx & (1u << 25);
    if (!tile || !int8) return false;
    // XCR0 bits 17 (XTILECFG) and 18 (XTILEDATA): the OS saves tile state.
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return false;  // OSXSAVE
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & (3u << 17)) != (3u << 17)) return false;
#if defined(__linux__)
    // Linux hands tile data to a process only on request (kernel 5.16+).
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0) return false;
#endif
    return true;
  }();
  return available;
}

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_QKERNELS_X86
