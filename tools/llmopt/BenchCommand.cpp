//===- BenchCommand.cpp - llmopt bench ------------------------------------===//
//
// Times llmopt_session_run on inputs read from .npy files (--input, as `llmopt run` reads them)
// or random ones of given shapes (--shape): warmup runs, then timed runs; median, p10, p90 (and
// min, mean) in milliseconds; with --profile, where the timed runs' time went, per kernel and per
// op; with --against OTHER.llmo, the other artifact's runs alternate with these on the same
// inputs and the median of the paired ratios is printed (robust to a machine whose speed drifts
// between separate runs). Only the runtime C API is used here.
//===----------------------------------------------------------------------===//
#include "tools/llmopt/BenchProfile.h"
#include "tools/llmopt/Commands.h"
#include "tools/llmopt/InputFiles.h"
#include "tools/llmopt/InputShapes.h"
#include "tools/llmopt/Metrics.h"
#include "tools/llmopt/RuntimeHandles.h"

#include "llmopt/runtime.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace llmopt {
namespace {

struct BenchOptions {
  std::string model;
  std::vector<std::string> shapes;  // NAME=AxBxC
  std::vector<std::string> inputs;  // NAME=FILE.npy
  int threads = 0;
  int warmup = 3;
  int iterations = 20;
  bool json = false;
  bool profile = false;
  int top = 10;  // --profile: the slowest ops listed
  bool cuda_graphs = false;  // the artifact's runs replayed as a CUDA graph (not --against's)
  std::string against;  // a second artifact timed alternately with the first
};


/// The most memory this process has had resident so far, in bytes (Linux counts ru_maxrss in
/// KiB); 0 when unknown.
uint64_t peakRssBytes() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

/// Fills `data` with values from a fixed-seed generator: integers in [0, 256) ([0, 128) for
/// int8, {0, 1} for bool), floats from N(0, 1). False for a dtype it cannot fill.
bool fillRandom(llmopt_dtype dtype, size_t count, std::vector<char>& data, std::mt19937_64& rng) {
  data.assign(count * llmopt_dtype_size(dtype), 0);
  std::uniform_int_distribution<int> byte(0, 255);
  switch (dtype) {
    case LLMOPT_DTYPE_F32: {
      std::normal_distribution<float> normal(0.0f, 1.0f);
      float* p = reinterpret_cast<float*>(data.data());
      for (size_t i = 0; i < count; ++i) p[i] = normal(rng);
      return true;
    }
    case LLMOPT_DTYPE_I64: {
      int64_t* p = reinterpret_cast<int64_t*>(data.data());
      for (size_t i = 0; i < count; ++i) p[i] = byte(rng);
      return true;
    }
    case LLMOPT_DTYPE_I32: {
      int32_t* p = reinterpret_cast<int32_t*>(data.data());
      for (size_t i = 0; i < count; ++i) p[i] = byte(rng);
      return true;
    }
    case LLMOPT_DTYPE_U8:
      for (size_t i = 0; i < count; ++i) data[i] = static_cast<char>(byte(rng));
      return true;
    case LLMOPT_DTYPE_I8:
      for (size_t i = 0; i < count; ++i) data[i] = static_cast<char>(byte(rng) & 127);
      return true;
    case LLMOPT_DTYPE_BOOL:
      for (size_t i = 0; i < count; ++i) data[i] = static_cast<char>(byte(rng) & 1);
      return true;
    default:
      return false;
  }
}

struct BoundInput {
  std::string name;
  llmopt_dtype dtype = LLMOPT_DTYPE_F32;
  std::vector<int64_t> dims;
  std::vector<char> data;
  std::string file;  // empty for random data
};

/// A session of `model` on `threads` with `inputs` bound; null after fail() when the model
/// refuses them (the message starts with `prefix`).
SessionPtr boundSession(llmopt_model* model, int threads, const std::vector<BoundInput>& inputs,
                        const std::string& prefix) {
  llmopt_session_options sessionOptions = LLMOPT_SESSION_OPTIONS_INIT;
  sessionOptions.num_threads = threads;
  llmopt_session* rawSession = nullptr;
  if (llmopt_session_create(model, &sessionOptions, &rawSession) != LLMOPT_OK) {
    fail(prefix + "cannot create a session: " + llmopt_last_error());
    return nullptr;
  }
  SessionPtr session(rawSession);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const BoundInput& in = inputs[i];
    if (llmopt_session_set_input(session.get(), i, in.dtype, static_cast<int32_t>(in.dims.size()),
                                 in.dims.data(), in.data.data(), in.data.size()) != LLMOPT_OK) {
      fail(prefix + llmopt_last_error());
      return nullptr;
    }
  }
  return session;
}

/// Milliseconds one run of `session` takes; negative after fail() when the run fails.
double timedRun(llmopt_session* session) {
  auto start = std::chrono::steady_clock::now();
  if (llmopt_session_run(session) != LLMOPT_OK) {
    fail(llmopt_last_error());
    return -1;
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

/// `values` as JSON numbers separated by commas (the inside of an array).
std::string jsonNumbers(const std::vector<double>& values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + metrics::jsonNumber(values[i]);
  return text;
}

/// --against: the other artifact's times and the paired ratios (this run / the other's).
struct Comparison {
  std::vector<double> times, ratios;
  double median = 0, ratioMedian = 0, ratioP25 = 0, ratioP75 = 0;
};

int runBench(const BenchOptions& options) {
  // The program alone (its shared libraries: tens of MB) before the model adds to it.
  uint64_t rssBeforeLoad = peakRssBytes();
  llmopt_model* rawModel = nullptr;
  if (llmopt_model_load_file(options.model.c_str(), nullptr, &rawModel) != LLMOPT_OK)
    return fail(llmopt_last_error());
  ModelPtr model(rawModel);

  // Files first (their shapes stand for --shape), then the shapes of the others.
  std::vector<InputFile> files;
  std::string error;
  if (!readInputFiles(model.get(), options.inputs, files, error)) return fail(error);
  std::vector<bool> fromFile(files.size());
  for (size_t i = 0; i < files.size(); ++i) fromFile[i] = files[i].given;
  std::vector<InputShape> shapes;
  if (!resolveInputShapes(model.get(), options.shapes, shapes, error, fromFile)) return fail(error);
  size_t numInputs = shapes.size();
  std::vector<BoundInput> inputs(numInputs);
  for (size_t i = 0; i < numInputs; ++i) {
    inputs[i].name = shapes[i].info.name;
    inputs[i].dtype = shapes[i].info.dtype;
    inputs[i].dims = shapes[i].dims;
    if (!files[i].given) continue;
    npy::Array& array = files[i].array;
    // Both given: they must agree. The dtype, rank and dims are checked by set_input below.
    if (!inputs[i].dims.empty() && inputs[i].dims != array.shape)
      return fail("input '" + inputs[i].name + "': --shape gives " + shapeText(inputs[i].dims) + " but '" +
                  files[i].path + "' is " + shapeText(array.shape));
    inputs[i].dtype = array.dtype;
    inputs[i].dims = array.shape;
    inputs[i].data = std::move(array.data);
    inputs[i].file = files[i].path;
  }

  // Random data for the others, fixed seed, inputs in model order.
  std::mt19937_64 rng(20240611);
  for (BoundInput& input : inputs) {
    if (!input.file.empty()) continue;
    size_t count = 1;
    for (int64_t d : input.dims)
      if (__builtin_mul_overflow(count, static_cast<size_t>(d), &count) || count > (size_t{1} << 36))
        return fail("input '" + input.name + "': shape " + shapeText(input.dims) + " is too large");
    try {
      if (!fillRandom(input.dtype, count, input.data, rng))
        return fail("input '" + input.name + "' is " + llmopt_dtype_name(input.dtype) +
                    "; bench makes random inputs of float32, int64, int32, int8, uint8 and bool only");
    } catch (const std::bad_alloc&) {
      return fail("input '" + input.name + "': shape " + shapeText(input.dims) + ": out of memory");
    }
  }

  SessionPtr session = boundSession(model.get(), options.threads, inputs, "");
  if (!session) return 1;
  if (options.cuda_graphs && llmopt_session_set_graph_replay(session.get(), 1) != LLMOPT_OK)
    return fail(std::string("--cuda-graphs: ") + llmopt_last_error());
  // --against: the same inputs bound to the other artifact (the runtime checks that they fit).
  ModelPtr otherModel;
  SessionPtr otherSession;
  if (!options.against.empty()) {
    llmopt_model* rawOther = nullptr;
    if (llmopt_model_load_file(options.against.c_str(), nullptr, &rawOther) != LLMOPT_OK)
      return fail(options.against + ": " + llmopt_last_error());
    otherModel.reset(rawOther);
    if (llmopt_model_num_inputs(otherModel.get()) != numInputs)
      return fail("--against " + options.against + ": it has " +
                  std::to_string(llmopt_model_num_inputs(otherModel.get())) + " inputs, " +
                  options.model + " has " + std::to_string(numInputs));
    otherSession = boundSession(otherModel.get(), options.threads, inputs,
                                "--against " + options.against + ": ");
    if (!otherSession) return 1;
  }

  for (int i = 0; i < options.warmup; ++i) {
    if (timedRun(session.get()) < 0) return 1;
    if (otherSession && timedRun(otherSession.get()) < 0) return 1;
  }
  // Profiling times every op of the timed runs (two clock reads per op: well under 1% of a run).
  if (options.profile && llmopt_session_set_profiling(session.get(), 1) != LLMOPT_OK)
    return fail(llmopt_last_error());
  std::vector<double> times;
  times.reserve(options.iterations);
  Comparison comparison;
  for (int i = 0; i < options.iterations; ++i) {
    // The pair's order alternates, so that neither side always runs with the other's data in cache.
    double other = 0;
    if (otherSession && i % 2 == 1 && (other = timedRun(otherSession.get())) < 0) return 1;
    double t = timedRun(session.get());
    if (t < 0) return 1;
    if (otherSession && i % 2 == 0 && (other = timedRun(otherSession.get())) < 0) return 1;
    times.push_back(t);
    if (otherSession) {
      comparison.times.push_back(other);
      comparison.ratios.push_back(t / other);
    }
  }
  if (otherSession) {
    std::vector<double> sortedOther = comparison.times, sortedRatios = comparison.ratios;
    comparison.median = metrics::percentile(sortedOther, 50);
    comparison.ratioMedian = metrics::percentile(sortedRatios, 50);
    comparison.ratioP25 = metrics::percentile(sortedRatios, 25);
    comparison.ratioP75 = metrics::percentile(sortedRatios, 75);
  }
  std::vector<double> sorted = times;
  double median = metrics::percentile(sorted, 50), p10 = metrics::percentile(sorted, 10),
         p90 = metrics::percentile(sorted, 90);
  double mean = 0;
  for (double t : times) mean += t / static_cast<double>(times.size());
  double min = sorted.front();
  uint64_t arena = llmopt_session_arena_bytes(session.get());
  // Peak RSS ~ the program + weights (mapped, all read by a run) + arena; the rest is the inputs
  // and the threads' stacks.
  uint64_t weights = llmopt_model_weight_bytes(model.get());
  uint64_t peakRss = peakRssBytes();
  BenchProfile profile;
  if (options.profile && !readProfile(model.get(), session.get(), profile, error))
    return fail("--profile: " + error);

  if (options.json) {
    std::string text = "{\"model\": " + metrics::jsonString(options.model) + ", \"inputs\": [";
    for (size_t i = 0; i < inputs.size(); ++i) {
      text += (i ? ", " : "") + std::string("{\"name\": ") + metrics::jsonString(inputs[i].name) +
              ", \"dtype\": " + metrics::jsonString(llmopt_dtype_name(inputs[i].dtype)) + ", \"shape\": [";
      for (size_t d = 0; d < inputs[i].dims.size(); ++d)
        text += (d ? ", " : "") + std::to_string(inputs[i].dims[d]);
      text += "], \"file\": " + (inputs[i].file.empty() ? "null" : metrics::jsonString(inputs[i].file)) + "}";
    }
    text += "], \"threads\": " + std::to_string(options.threads) + ", \"warmup\": " + std::to_string(options.warmup) +
            ", \"iterations\": " + std::to_string(options.iterations) +
            ", \"cuda_graphs\": " + (options.cuda_graphs ? "true" : "false") +
            ", \"median_ms\": " + metrics::jsonNumber(median) + ", \"p10_ms\": " + metrics::jsonNumber(p10) +
            ", \"p90_ms\": " + metrics::jsonNumber(p90) + ", \"min_ms\": " + metrics::jsonNumber(min) +
            ", \"mean_ms\": " + metrics::jsonNumber(mean) + ", \"arena_bytes\": " + std::to_string(arena) +
            ", \"weight_bytes\": " + std::to_string(weights) +
            ", \"peak_rss_bytes\": " + std::to_string(peakRss) +
            ", \"rss_before_load_bytes\": " + std::to_string(rssBeforeLoad) + ", \"times_ms\": [";
    text += jsonNumbers(times) + "]";
    if (otherSession) {
      text += ", \"against\": {\"model\": " + metrics::jsonString(options.against) +
              ", \"median_ms\": " + metrics::jsonNumber(comparison.median) +
              ", \"ratio_median\": " + metrics::jsonNumber(comparison.ratioMedian) +
              ", \"ratio_p25\": " + metrics::jsonNumber(comparison.ratioP25) +
              ", \"ratio_p75\": " + metrics::jsonNumber(comparison.ratioP75) + ", \"times_ms\": [" +
              jsonNumbers(comparison.times) + "]}";
    }
    if (options.profile) text += ", \"profile\": " + profileJson(profile);
    text += "}";
    std::printf("%s\n", text.c_str());
    return 0;
  }
  std::printf("model:       %s\n", options.model.c_str());
  for (const BoundInput& in : inputs)
    std::printf("input:       %s %s %s%s\n", in.name.c_str(), llmopt_dtype_name(in.dtype), shapeText(in.dims).c_str(),
                in.file.empty() ? " (random)" : (" from " + in.file).c_str());
  if (options.threads > 0)
    std::printf("threads:     %d\n", options.threads);
  else
    std::printf("threads:     one per core\n");
  std::printf("runs:        %d warmup, %d timed%s\n", options.warmup, options.iterations,
              options.cuda_graphs ? ", replayed as a CUDA graph" : "");
  std::printf("median:      %.3f ms\n", median);
  std::printf("p10 / p90:   %.3f / %.3f ms\n", p10, p90);
  std::printf("min / mean:  %.3f / %.3f ms\n", min, mean);
  std::printf("weights:     %llu bytes\n", static_cast<unsigned long long>(weights));
  std::printf("arena:       %llu bytes\n", static_cast<unsigned long long>(arena));
  std::printf("peak rss:    %llu bytes (weights + arena = %llu bytes; %llu bytes before loading the model)\n",
              static_cast<unsigned long long>(peakRss), static_cast<unsigned long long>(weights + arena),
              static_cast<unsigned long long>(rssBeforeLoad));
  if (otherSession) {
    std::printf("against:     %s: median %.3f ms\n", options.against.c_str(), comparison.median);
    std::printf("ratio:       %.3f (this / against, median of %d alternating pairs; quartiles %.3f .. %.3f)\n",
                comparison.ratioMedian, options.iterations, comparison.ratioP25, comparison.ratioP75);
  }
  if (options.profile) std::printf("%s", profileText(profile, mean, static_cast<size_t>(options.top)).c_str());
  return 0;
}

}  // namespace

std::function<int()> addBenchCommand(CLI::App& app) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Time an artifact on given or random inputs");
  cmd->add_option("artifact", options->model, "Compiled model (.llmo)")->required();
  cmd->add_option("--shape", options->shapes,
                  "NAME=DIMxDIM..., once per input with dynamic dims (e.g. input_ids=1x128)")
      ->allow_extra_args(false);
  cmd->add_option("-i,--input", options->inputs,
                  "NAME=FILE.npy: that input's values (and shape) from a file; the others are random")
      ->allow_extra_args(false);
  cmd->add_option("--threads", options->threads, "Threads (default: one per core)")->check(CLI::Range(0, 65536));
  cmd->add_option("--warmup", options->warmup, "Untimed runs first (default 3)")->check(CLI::Range(0, 1000000));
  cmd->add_option("--iterations", options->iterations, "Timed runs (default 20)")->check(CLI::Range(1, 1000000));
  cmd->add_flag("--json", options->json, "Print one JSON object on stdout instead of the summary");
  cmd->add_flag("--profile", options->profile,
                "Time every op of the timed runs: totals per kernel and the slowest ops (JSON: every op)");
  cmd->add_option("--top", options->top, "--profile: how many of the slowest ops to list (default 10)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_flag("--cuda-graphs", options->cuda_graphs,
                "A cuda artifact: replay its runs as one CUDA graph instead of a launch per op "
                "(not --against's: compare the two with --against the same artifact)")
      ->excludes("--profile");
  cmd->add_option("--against", options->against,
                  "OTHER.llmo: time it on the same inputs, alternating run by run, and print the median "
                  "ratio of the pairs (this / other)");
  return [options] { return runBench(*options); };
}

}  // namespace llmopt
