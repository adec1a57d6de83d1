#include "report.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace llmopt::bench {
namespace {

constexpr int kLabelWidth = 52;

std::string format(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, value);
  return buf;
}

std::string mib(int64_t bytes) {
  return format("%.0f MiB", static_cast<double>(bytes) / (1 << 20));
}

// --- a minimal JSON writer: enough for objects, arrays, strings and numbers ---
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string number(double v) { return std::isfinite(v) ? format("%.9g", v) : "null"; }
std::string boolean(bool v) { return v ? "true" : "false"; }

std::string rowJson(const Row& r) {
  std::ostringstream o;
  o << "{\"id\": " << quoted(r.id) << ", \"label\": " << quoted(r.label)
    << ", \"threads\": " << r.threads << ", \"supported\": " << boolean(r.supported)
    << ", \"value\": " << (r.supported ? number(r.value) : "null")
    << ", \"unit\": " << quoted(r.unit) << ", \"statistic\": " << quoted(r.statistic)
    << ", \"runs\": [";
  for (size_t i = 0; i < r.runs.size(); ++i) o << (i ? ", " : "") << number(r.runs[i]);
  o << "], \"calls_per_run\": " << r.calls_per_run << ", \"params\": {";
  for (size_t i = 0; i < r.params.size(); ++i)
    o << (i ? ", " : "") << quoted(r.params[i].first) << ": " << number(r.params[i].second);
  o << "}, \"fraction_of\": {";
  for (size_t i = 0; i < r.fractions.size(); ++i)
    o << (i ? ", " : "") << quoted(r.fractions[i].limit) << ": " << number(r.fractions[i].value);
  o << "}}";
  return o.str();
}

void rowsJson(std::ostream& o, const std::vector<Row>& rows) {
  o << "[";
  for (size_t i = 0; i < rows.size(); ++i) o << (i ? ",\n    " : "\n    ") << rowJson(rows[i]);
  o << (rows.empty() ? "]" : "\n  ]");
}

}  // namespace

Row rateRow(std::string id, std::string label, int threads, const Rate& rate, double scale,
            std::string unit) {
  Row row;
  row.id = std::move(id);
  row.label = std::move(label);
  row.threads = threads;
  row.value = rate.median / scale;
  row.unit = std::move(unit);
  for (double r : rate.runs) row.runs.push_back(r / scale);
  row.calls_per_run = rate.calls_per_run;
  return row;
}

Row unsupportedRow(std::string id, std::string label, int threads) {
  Row row;
  row.id = std::move(id);
  row.label = std::move(label);
  row.threads = threads;
  row.supported = false;
  return row;
}

void addFraction(Row& row, const std::string& limit, const std::string& text, double limit_value) {
  if (row.supported && limit_value > 0)
    row.fractions.push_back({limit, text, row.value / limit_value});
}

void printHeader(std::ostream& out, const CpuInfo& cpu, const Settings& s) {
  out << "cpu: " << cpu.model << "\n"
      << "cores: " << cpu.cores << " (" << cpu.logical_cpus << " logical cpus), last-level cache "
      << (cpu.llc_bytes ? mib(cpu.llc_bytes) : std::string("unknown")) << "\n"
      << "timing: " << s.timing.runs << " runs of >= " << format("%.3g", s.timing.min_seconds)
      << " s each, the best for peaks, the median for kernels; bandwidth: best of "
      << s.bandwidth_passes << " passes"
      << (s.quick ? "\n--quick: tiny sizes, the numbers mean nothing" : "") << "\n";
}

void printSection(std::ostream& out, const std::string& title) { out << "\n" << title << "\n"; }

void printRow(std::ostream& out, const Row& r) {
  char head[160];
  std::snprintf(head, sizeof head, "  %-*s %3d thread%s", kLabelWidth, r.label.c_str(), r.threads,
                r.threads == 1 ? " " : "s");
  out << head;
  if (!r.supported) {
    out << "   not supported\n";
    return;
  }
  char value[64];
  // The unit padded only when fractions follow it: no trailing blanks.
  std::snprintf(value, sizeof value, " %9.1f %-*s", r.value, r.fractions.empty() ? 0 : 7,
                r.unit.c_str());
  out << value;
  for (size_t i = 0; i < r.fractions.size(); ++i)
    out << (i ? ", " : "  ") << format("%5.1f%%", 100 * r.fractions[i].value) << " "
        << r.fractions[i].text;
  out << "\n";
}

const Row& RowLog::add(Row row) {
  printRow(out_, row);
  out_.flush();
  rows_.push_back(std::move(row));
  return rows_.back();
}

bool writeJson(const std::string& path, const CpuInfo& cpu, const Settings& s,
               const std::vector<Row>& limits, const std::vector<Row>& kernels) {
  std::ofstream o(path);
  o << "{\n  \"program\": \"llmopt-kernel-bench\",\n"
    << "  \"machine\": {\"cpu\": " << quoted(cpu.model) << ", \"cores\": " << cpu.cores
    << ", \"logical_cpus\": " << cpu.logical_cpus << ", \"llc_bytes\": " << cpu.llc_bytes
    << ", \"features\": {\"avx2_fma\": " << boolean(cpu.avx2_fma)
    << ", \"avx512f\": " << boolean(cpu.avx512f) << ", \"avx512vnni\": " << boolean(cpu.avx512vnni)
    << ", \"avxvnni\": " << boolean(cpu.avxvnni) << ", \"amx_int8\": " << boolean(cpu.amx_int8)
    << "}},\n"
    << "  \"settings\": {\"threads\": " << s.threads << ", \"quick\": " << boolean(s.quick)
    << ", \"limits\": " << boolean(s.limits) << ", \"kernels\": " << boolean(s.kernels)
    << ", \"runs\": " << s.timing.runs << ", \"min_seconds\": " << number(s.timing.min_seconds)
    << ", \"bandwidth_passes\": " << s.bandwidth_passes
    << ", \"bandwidth_bytes\": " << s.bandwidth_bytes << ", \"gemm\": [" << s.gemm_m << ", "
    << s.gemm_k << ", " << s.gemm_n << "], \"gemv\": [1, " << s.gemv_k << ", " << s.gemv_n
    << "], \"gemv_bytes\": " << s.gemv_bytes << "},\n"
    << "  \"limits\": ";
  rowsJson(o, limits);
  o << ",\n  \"kernels\": ";
  rowsJson(o, kernels);
  o << "\n}\n";
  o.close();
  if (!o) {
    std::cerr << "llmopt-kernel-bench: error: cannot write " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace llmopt::bench
