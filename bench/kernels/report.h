// One measured number ("row") of the benchmark, and its two renderings: the table on stdout and
// the --json file.
#ifndef LLMOPT_BENCH_KERNELS_REPORT_H
#define LLMOPT_BENCH_KERNELS_REPORT_H

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cpu_info.h"
#include "settings.h"
#include "timing.h"

namespace llmopt::bench {

// The measured rate as a fraction of a machine limit.
struct Fraction {
  std::string limit;  // JSON key, e.g. "vpdpbusd_zmm"
  std::string text;   // table text after the percentage, e.g. "of vpdpbusd peak"
  double value = 0;
};

struct Row {
  std::string id;     // stable JSON id, e.g. "int8_gemm.avx512vnni.linear"
  std::string label;  // table text
  int threads = 1;
  bool supported = true;  // false: nothing was measured (the CPU lacks the instructions)
  double value = 0;       // the rate, in `unit`: the median or the best run (`statistic`)
  std::string statistic = "median";
  std::string unit;          // "GFLOP/s", "GMAC/s", "GB/s"
  std::vector<double> runs;  // every run's rate, in `unit`
  int64_t calls_per_run = 0;
  std::vector<std::pair<std::string, double>> params;  // shape, bytes, ... (JSON only)
  std::vector<Fraction> fractions;
};

// A row from a Rate in work units per second, shown in units of `scale` per second.
Row rateRow(std::string id, std::string label, int threads, const Rate& rate, double scale,
            std::string unit);
Row unsupportedRow(std::string id, std::string label, int threads);
// Adds value / limit when the limit was measured (> 0).
void addFraction(Row& row, const std::string& limit, const std::string& text, double limit_value);

void printHeader(std::ostream& out, const CpuInfo& cpu, const Settings& settings);
void printSection(std::ostream& out, const std::string& title);
void printRow(std::ostream& out, const Row& row);

// Rows of one section, each printed as soon as it is added (a full run takes a while).
class RowLog {
 public:
  explicit RowLog(std::ostream& out) : out_(out) {}
  const Row& add(Row row);
  const std::vector<Row>& rows() const { return rows_; }

 private:
  std::ostream& out_;
  std::vector<Row> rows_;
};

// Returns false (with a message on stderr) when the file cannot be written.
bool writeJson(const std::string& path, const CpuInfo& cpu, const Settings& settings,
               const std::vector<Row>& limits, const std::vector<Row>& kernels);

}  // namespace llmopt::bench

#endif  // LLMOPT_BENCH_KERNELS_REPORT_H
