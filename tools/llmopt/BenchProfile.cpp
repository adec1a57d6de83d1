//===- BenchProfile.cpp - `llmopt bench --profile` ------------------------===//
#include "tools/llmopt/BenchProfile.h"
#include "tools/llmopt/Metrics.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <map>

namespace llmopt {

bool readProfile(const llmopt_model* model, const llmopt_session* session, BenchProfile& profile,
                 std::string& error) {
  profile = BenchProfile();
  profile.runs = llmopt_session_profiled_runs(session);
  if (profile.runs == 0) {
    error = "no profiled runs";
    return false;
  }
  std::map<std::string, KernelTime> byKernel;
  const size_t count = llmopt_model_num_ops(model);
  for (size_t i = 0; i < count; ++i) {
    const char *kernel = nullptr, *node = nullptr;
    double seconds = 0;
    if (llmopt_model_op(model, i, &kernel, &node) != LLMOPT_OK ||
        llmopt_session_op_seconds(session, i, &seconds) != LLMOPT_OK) {
      error = llmopt_last_error();
      return false;
    }
    OpTime op;
    op.index = i;
    op.kernel = kernel;
    op.node = node;
    op.msPerRun = seconds * 1e3 / static_cast<double>(profile.runs);
    KernelTime& total = byKernel[op.kernel];
    total.kernel = op.kernel;
    ++total.ops;
    total.msPerRun += op.msPerRun;
    profile.totalMsPerRun += op.msPerRun;
    profile.ops.push_back(std::move(op));
  }
  for (auto& entry : byKernel) profile.kernels.push_back(entry.second);
  std::stable_sort(profile.kernels.begin(), profile.kernels.end(),
                   [](const KernelTime& a, const KernelTime& b) { return a.msPerRun > b.msPerRun; });
  return true;
}

namespace {

double share(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; }

std::string line(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string line(const char* format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  return std::string(buffer) + "\n";
}

}  // namespace

std::string profileText(const BenchProfile& p, double meanMs, size_t top) {
  std::string text = line("profile:     %llu runs; the ops take %.3f ms of the mean run's %.3f ms",
                          static_cast<unsigned long long>(p.runs), p.totalMsPerRun, meanMs);
  text += line("  %-28s %5s %10s %7s", "kernel", "ops", "ms/run", "share");
  for (const KernelTime& k : p.kernels)
    text += line("  %-28s %5zu %10.3f %6.1f%%", k.kernel.c_str(), k.ops, k.msPerRun,
                 share(k.msPerRun, p.totalMsPerRun));
  std::vector<const OpTime*> slowest;
  for (const OpTime& op : p.ops) slowest.push_back(&op);
  std::stable_sort(slowest.begin(), slowest.end(),
                   [](const OpTime* a, const OpTime* b) { return a->msPerRun > b->msPerRun; });
  if (slowest.size() > top) slowest.resize(top);
  text += line("  slowest ops:");
  text += line("  %5s %-40s %-22s %10s %7s", "op", "node", "kernel", "ms/run", "share");
  for (const OpTime* op : slowest) {
    std::string node = op->node.empty() ? "(unnamed)" : op->node;
    if (node.size() > 40) node = "..." + node.substr(node.size() - 37);
    text += line("  %5zu %-40s %-22s %10.3f %6.1f%%", op->index, node.c_str(), op->kernel.c_str(),
                 op->msPerRun, share(op->msPerRun, p.totalMsPerRun));
  }
  return text;
}

std::string profileJson(const BenchProfile& p) {
  std::string text = "{\"runs\": " + std::to_string(p.runs) + ", \"kernels\": [";
  for (size_t i = 0; i < p.kernels.size(); ++i)
    text += (i ? ", " : "") + std::string("{\"kernel\": ") + metrics::jsonString(p.kernels[i].kernel) +
            ", \"ops\": " + std::to_string(p.kernels[i].ops) +
            ", \"ms_per_run\": " + metrics::jsonNumber(p.kernels[i].msPerRun) + "}";
  text += "], \"ops\": [";
  for (size_t i = 0; i < p.ops.size(); ++i)
    text += (i ? ", " : "") + std::string("{\"index\": ") + std::to_string(p.ops[i].index) +
            ", \"kernel\": " + metrics::jsonString(p.ops[i].kernel) +
            ", \"node\": " + metrics::jsonString(p.ops[i].node) +
            ", \"ms_per_run\": " + metrics::jsonNumber(p.ops[i].msPerRun) + "}";
  return text + "]}";
}

}  // namespace llmopt
