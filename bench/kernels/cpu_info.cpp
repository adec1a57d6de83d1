#include "cpu_info.h"

#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "arch.h"

#ifdef LLMOPT_BENCH_X86
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#endif

namespace llmopt::bench {
namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  const size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

void readProcCpuinfo(CpuInfo& info) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::set<std::pair<std::string, std::string>> cores;
  std::string physical;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (key == "model name" && info.model.empty()) info.model = value;
    if (key == "physical id") physical = value;
    if (key == "core id") cores.insert({physical, value});
  }
  if (info.model.empty()) info.model = "unknown";
  if (!cores.empty()) info.cores = static_cast<int>(cores.size());
}

// The largest cache of the highest level cpu0 sees, e.g. "107520K".
int64_t lastLevelCacheBytes() {
  int best_level = 0;
  int64_t best_bytes = 0;
  for (int index = 0; index < 16; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
    std::ifstream level_in(dir + "/level"), size_in(dir + "/size");
    int level = 0;
    std::string size;
    if (!(level_in >> level) || !(size_in >> size) || size.empty()) continue;
    int64_t bytes = std::stoll(size);
    if (size.back() == 'K') bytes <<= 10;
    if (size.back() == 'M') bytes <<= 20;
    if (level > best_level || (level == best_level && bytes > best_bytes)) {
      best_level = level;
      best_bytes = bytes;
    }
  }
  return best_bytes;
}

#ifdef LLMOPT_BENCH_X86
// AVX-VNNI and AMX are read from CPUID directly: clang 14's __builtin_cpu_supports does not know
// "avxvnni" or "amx-int8".
bool osSavesState(unsigned mask) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return false;  // OSXSAVE
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (lo & mask) == mask;
}

bool hasAvxVnni() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
  return (eax & (1u << 4)) && osSavesState(0x6);  // XMM and YMM state
}

bool enableAmxInt8() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  if (!(edx & (1u << 24)) || !(edx & (1u << 25))) return false;  // AMX-TILE, AMX-INT8
  if (!osSavesState(3u << 17)) return false;                     // XTILECFG, XTILEDATA
#if defined(__linux__)
  // Linux gives a process tile data only on request (ARCH_REQ_XCOMP_PERM, kernel 5.16+).
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}
#endif  // LLMOPT_BENCH_X86

}  // namespace

CpuInfo detectCpu() {
  CpuInfo info;
  const unsigned logical = std::thread::hardware_concurrency();
  info.logical_cpus = logical ? static_cast<int>(logical) : 1;
  info.cores = info.logical_cpus;
  readProcCpuinfo(info);
  info.llc_bytes = lastLevelCacheBytes();
#ifdef LLMOPT_BENCH_X86
  __builtin_cpu_init();
  info.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  info.avx512f = __builtin_cpu_supports("avx512f");
  info.avx512vnni = info.avx512f && __builtin_cpu_supports("avx512bw") &&
                    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  info.avxvnni = info.avx2_fma && hasAvxVnni();
  info.amx_int8 = enableAmxInt8();
#endif
  return info;
}

}  // namespace llmopt::bench
