// llmopt-kernel-bench: this machine's limits (fp32 FMA and int8 dot-product peaks of one core,
// memory bandwidth) and the runtime's kernels as fractions of them. See bench/README.md.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cpu_info.h"
#include "kernels.h"
#include "limits.h"
#include "report.h"
#include "settings.h"
#include "thread_pool.h"

namespace {

using llmopt::bench::Settings;

constexpr const char* kUsage =
    "usage: llmopt-kernel-bench [options]\n"
    "  --threads N           threads of the multi-threaded lines (default: one per cpu)\n"
    "  --only limits|kernels|bandwidth\n"
    "                        measure only the machine limits, only the kernels (no fractions\n"
    "                        of the limits then), or only the read bandwidth (a benchmark\n"
    "                        measures it beside its own runs: bench/bench_peers.py)\n"
    "  --json FILE           also write every number to FILE\n"
    "  --bandwidth-bytes N   buffer of the bandwidth test (default 1G; suffixes K, M, G)\n"
    "  --gemv-bytes N        weight bytes the GEMV lines cycle through\n"
    "                        (default: the bandwidth buffer's, at least 4 x last-level cache)\n"
    "  --gemm MxKxN          shape of the int8 and fp32 GEMM lines (default 128x768x3072)\n"
    "  --gemv KxN            shape of the single-row GEMV lines (default 768x50257, GPT-2's LM\n"
    "                        head; 768x2304 is one of its layers' QKV projection)\n"
    "  --runs N              timed runs per kernel (median) or peak (best) (default 5)\n"
    "  --min-time SECONDS    least duration of one run (default 0.2)\n"
    "  --quick               tiny sizes and short runs: checks the program, not the machine\n";

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "llmopt-kernel-bench: error: " << message << "\n"
            << "run llmopt-kernel-bench --help for the options\n";
  std::exit(1);
}

// A byte count: digits with an optional K, M or G (powers of 1024).
int64_t parseBytes(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  double scale = 1;
  const std::string suffix(end);
  if (suffix == "K" || suffix == "k")
    scale = 1 << 10;
  else if (suffix == "M" || suffix == "m")
    scale = 1 << 20;
  else if (suffix == "G" || suffix == "g")
    scale = 1 << 30;
  else if (!suffix.empty())
    fail(option + ": not a byte count: " + text);
  if (end == text.c_str() || !(value > 0)) fail(option + ": not a byte count: " + text);
  return static_cast<int64_t>(value * scale);
}

int parseCount(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || value < 1 || value > 4096)
    fail(option + ": expected a whole number from 1 to 4096, got " + text);
  return static_cast<int>(value);
}

// `count` dims "AxBx..", each from 1 to 65536, for `option` (whose form is `form`).
template <int count>
std::array<long, count> parseShape(const std::string& option, const std::string& form,
                                   const std::string& text) {
  std::array<long, count> dims;
  const char* p = text.c_str();
  for (int i = 0; i < count; ++i) {
    char* end = nullptr;
    dims[i] = std::strtol(p, &end, 10);
    const char expected = i < count - 1 ? 'x' : '\0';
    if (end == p || *end != expected || dims[i] < 1 || dims[i] > 65536)
      fail(option + ": expected " + form + " with each from 1 to 65536, got " + text);
    p = end + 1;
  }
  return dims;
}

Settings parseArgs(int argc, char** argv, const llmopt::bench::CpuInfo& cpu) {
  Settings s;
  s.threads = llmopt::rt::resolveThreadCount(0);
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--quick") == 0) {
      s.quick = true;
      s.timing.runs = 2;
      s.timing.min_seconds = 0.005;
      s.bandwidth_passes = 2;
      s.bandwidth_bytes = int64_t(8) << 20;
      s.gemm_m = 32, s.gemm_k = 256, s.gemm_n = 512;
      s.gemv_k = 256, s.gemv_n = 1000;
      s.gemv_bytes = int64_t(1) << 20;
    }
  bool gemv_bytes_set = s.quick;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (arg == "--quick") {
      // Applied first (above), so that the options given with it override its settings.
    } else if (arg == "--threads") {
      s.threads = parseCount(arg, value());
    } else if (arg == "--only") {
      const std::string what = value();
      if (what != "limits" && what != "kernels" && what != "bandwidth")
        fail("--only: expected limits, kernels or bandwidth");
      s.limits = what != "kernels";
      s.kernels = what == "kernels";
      s.peaks = what == "limits";
    } else if (arg == "--json") {
      s.json_path = value();
    } else if (arg == "--bandwidth-bytes") {
      s.bandwidth_bytes = parseBytes(arg, value());
      if (s.bandwidth_bytes < (int64_t(1) << 20)) fail("--bandwidth-bytes: at least 1M");
    } else if (arg == "--gemv-bytes") {
      s.gemv_bytes = parseBytes(arg, value());
      gemv_bytes_set = true;
    } else if (arg == "--gemm") {
      const auto dims = parseShape<3>(arg, "MxKxN", value());
      s.gemm_m = dims[0], s.gemm_k = dims[1], s.gemm_n = dims[2];
    } else if (arg == "--gemv") {
      const auto dims = parseShape<2>(arg, "KxN", value());
      s.gemv_k = dims[0], s.gemv_n = dims[1];
    } else if (arg == "--runs") {
      s.timing.runs = parseCount(arg, value());
    } else if (arg == "--min-time") {
      char* end = nullptr;
      s.timing.min_seconds = std::strtod(value().c_str(), &end);
      if (*end != '\0' || !(s.timing.min_seconds > 0) || s.timing.min_seconds > 60)
        fail("--min-time: expected seconds, more than 0 and at most 60");
    } else {
      fail("unknown option " + arg);
    }
  }
  // As many bytes as the read-bandwidth buffer: whatever share of a cyclic working set the
  // last-level cache keeps, it keeps the same share of both.
  if (!gemv_bytes_set) s.gemv_bytes = std::max<int64_t>(s.bandwidth_bytes, 4 * cpu.llc_bytes);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace llmopt::bench;
  const CpuInfo cpu = detectCpu();
  const Settings s = parseArgs(argc, argv, cpu);
  try {
    printHeader(std::cout, cpu, s);
    RowLog limit_rows(std::cout), kernel_rows(std::cout);
    Limits limits;
    if (s.limits) {
      printSection(std::cout, "machine limits (one core, unless more threads are shown)");
      limits = measureLimits(cpu, s, limit_rows);
    }
    if (s.kernels) {
      printSection(std::cout, "kernels");
      benchInt8Gemm(s, limits, kernel_rows);
      benchFp32Gemm(s, limits, kernel_rows);
      benchGemv(s, limits, kernel_rows);
      benchDecodeAttention(s, limits, kernel_rows);
    }
    if (!s.json_path.empty() &&
        !writeJson(s.json_path, cpu, s, limit_rows.rows(), kernel_rows.rows()))
      return 1;
  } catch (const std::exception& e) {
    std::cerr << "llmopt-kernel-bench: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
