//===- BenchProfile.h - `llmopt bench --profile`: where a run's time goes --===//
//
// Reads the runtime's per-op timing (llmopt_session_op_seconds) into totals per kernel and a
// list of the slowest ops, as text and as JSON.
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_BENCHPROFILE_H
#define LLMOPT_TOOLS_LLMOPT_BENCHPROFILE_H

#include "llmopt/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llmopt {

struct OpTime {
  size_t index = 0;
  std::string kernel;  // "linear_f32", ...
  std::string node;    // the ONNX node name
  double msPerRun = 0;
};

struct KernelTime {
  std::string kernel;
  size_t ops = 0;
  double msPerRun = 0;
};

struct BenchProfile {
  uint64_t runs = 0;
  std::vector<OpTime> ops;          // in plan order
  std::vector<KernelTime> kernels;  // most time first
  double totalMsPerRun = 0;         // the ops' sum
};

/// The totals of the runs profiled on `session` (a session of `model`). False with `error` set
/// when the runtime refuses.
bool readProfile(const llmopt_model* model, const llmopt_session* session, BenchProfile& profile,
                 std::string& error);

/// Per-kernel table and the `top` slowest ops; `meanMs` is the mean timed run, which the ops'
/// sum is compared with (the rest is the run's own overhead).
std::string profileText(const BenchProfile& profile, double meanMs, size_t top);

/// {"runs": R, "kernels": [{"kernel", "ops", "ms_per_run"}...], "ops": [{"index", "kernel",
/// "node", "ms_per_run"}...]} with every op in plan order.
std::string profileJson(const BenchProfile& profile);

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_BENCHPROFILE_H
