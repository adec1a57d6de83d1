#include "limits.h"

#include <cstdint>
#include <string>

#include "aligned_buffer.h"
#include "bandwidth.h"
#include "peak_loops.h"

namespace llmopt::bench {
namespace {

#ifdef LLMOPT_BENCH_X86
volatile double g_sink;  // peak loop results end here, so the loops cannot be dropped

double valueOf(const Row& row) { return row.supported ? row.value : 0; }

struct PeakLoop {
  const char* id;
  const char* label;
  bool supported;
  double (*loop)(int64_t rounds);
  int64_t rounds;         // per call: about 0.1 ms, so calibration steps are fine-grained
  double work_per_round;  // flops or MACs
  const char* unit;
  double Limits::*limit;
};

Row peakRow(const Settings& s, const PeakLoop& p) {
  if (!p.supported) return unsupportedRow(p.id, p.label, 1);
  const Rate rate = measureRate(s.timing, static_cast<double>(p.rounds) * p.work_per_round,
                                [&] { g_sink = g_sink + p.loop(p.rounds); });
  Row row = rateRow(p.id, p.label, 1, rate, 1e9, p.unit);
  // A limit is what the core can do: another process or a frequency dip only ever lowers a run.
  row.value = rate.best / 1e9;
  row.statistic = "best";
  row.params = {{"chains", kPeakChains}, {"rounds_per_call", static_cast<double>(p.rounds)}};
  return row;
}
#endif

Row bandwidthRow(const std::string& id, const std::string& label, int threads,
                 const BandwidthResult& r) {
  Row row;
  row.id = id;
  row.label = label;
  row.threads = threads;
  row.value = r.best / 1e9;
  row.unit = "GB/s";
  row.statistic = "best";
  for (double p : r.passes) row.runs.push_back(p / 1e9);
  row.calls_per_run = 1;
  row.params = {{"bytes_per_pass", static_cast<double>(r.bytes)}};
  return row;
}

// Every 8-byte word of the buffer different, so that nothing below the program (a hypervisor
// merging identical pages, a memory controller compressing zeros) can serve the reads from less
// memory than they name. (On this project's AMD EPYC VMs the 2-thread read bandwidth is bimodal,
// about 34 or about 65 GB/s from one run to the next, with zeros and with these words alike: the
// two vCPUs on one CCD or on two, presumably. Benchmarks that divide by it say which they got.)
void fillDistinctWords(AlignedBuffer& buffer) {
  auto* words = buffer.as<uint64_t>();
  const size_t count = buffer.size() / sizeof(uint64_t);
  for (size_t i = 0; i < count; ++i) words[i] = (i + 1) * 0x9E3779B97F4A7C15ull;
}

}  // namespace

Limits measureLimits(const CpuInfo& cpu, const Settings& s, RowLog& log) {
  Limits lim;
#ifdef LLMOPT_BENCH_X86
  constexpr int64_t kVector = int64_t(1) << 14, kAmx = int64_t(1) << 10;
  const PeakLoop loops[] = {
      {"fp32_fma.zmm", "fp32 fma peak, zmm vfmadd231ps (avx512f)", cpu.avx512f, fmaLoopZmm, kVector,
       kPeakChains * 16 * 2.0, "GFLOP/s", &Limits::fma_zmm_gflops},
      {"fp32_fma.ymm", "fp32 fma peak, ymm vfmadd231ps (avx2)", cpu.avx2_fma, fmaLoopYmm, kVector,
       kPeakChains * 8 * 2.0, "GFLOP/s", &Limits::fma_ymm_gflops},
      {"int8_dot.vnni_zmm", "int8 dot peak, zmm vpdpbusd (avx512vnni)", cpu.avx512vnni, vnniLoopZmm,
       kVector, kPeakChains * 64.0, "GMAC/s", &Limits::vnni_zmm_gmacs},
      {"int8_dot.vnni_ymm", "int8 dot peak, ymm vpdpbusd (avxvnni)", cpu.avxvnni, vnniLoopYmm,
       kVector, kPeakChains * 32.0, "GMAC/s", &Limits::vnni_ymm_gmacs},
      {"int8_dot.amx", "int8 dot peak, tdpbusd (amx-int8)", cpu.amx_int8, amxLoop, kAmx,
       4 * 16 * 16 * 64.0, "GMAC/s", &Limits::amx_gmacs},
  };
  if (s.peaks)
    for (const PeakLoop& p : loops) lim.*p.limit = valueOf(log.add(peakRow(s, p)));
#else
  if (s.peaks)
    for (const char* id :
         {"fp32_fma.zmm", "fp32_fma.ymm", "int8_dot.vnni_zmm", "int8_dot.vnni_ymm", "int8_dot.amx"})
      log.add(unsupportedRow(id, std::string(id) + " (x86 only)", 1));
#endif

  AlignedBuffer buffer(static_cast<size_t>(s.bandwidth_bytes));
  fillDistinctWords(buffer);
  const std::string size = std::to_string(s.bandwidth_bytes >> 20) + " MiB";
  const std::string read_label =
      std::string("read bandwidth, ") + readLoopName(cpu) + " loads, " + size;
  const std::string copy_label = "copy bandwidth, memcpy, read+write bytes, " + size;
  std::vector<int> thread_counts = {1};
  if (s.threads > 1) thread_counts.push_back(s.threads);
  for (int threads : thread_counts) {
    const BandwidthResult r =
        measureRead(cpu, buffer, s.bandwidth_bytes, threads, s.bandwidth_passes);
    const Row& row =
        log.add(bandwidthRow("memory.read." + std::to_string(threads), read_label, threads, r));
    (threads == 1 ? lim.read_gbs_1 : lim.read_gbs_n) = row.value;
  }
  if (s.threads == 1) lim.read_gbs_n = lim.read_gbs_1;
  if (!s.peaks) return lim;
  for (int threads : thread_counts) {
    const BandwidthResult r = measureCopy(buffer, s.bandwidth_bytes, threads, s.bandwidth_passes);
    log.add(bandwidthRow("memory.copy." + std::to_string(threads), copy_label, threads, r));
  }
  return lim;
}

}  // namespace llmopt::bench
