//===- EvalCommand.cpp - llmopt eval --------------------------------------===//
//
// Bits per byte of a byte-level language model on a raw byte file (the charlm-gpt protocol,
// ../shared/eval/charlm-gpt/README.md): windows of L + 1 bytes with stride L, input_ids = the
// first L bytes, targets = the next byte at each position; nll = -log_softmax(logits)[target] in
// double; mean over all W * L predictions; bpb = mean / ln 2; ppl = exp(mean).
// --decode scores the same predictions as generation computes them: each window through the
// artifact's KV cache, its first byte as the prompt, then one step per byte.
// Only the runtime C API is used here.
//===----------------------------------------------------------------------===//
#include "tools/llmopt/Commands.h"
#include "tools/llmopt/Metrics.h"
#include "tools/llmopt/RuntimeHandles.h"

#include "llmopt/runtime.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace llmopt {
namespace {

struct EvalOptions {
  std::string model;
  std::string bytesFile;
  int64_t window = 256;
  int64_t batch = 8;
  bool batchGiven = false;
  int64_t maxWindows = 0;  // 0: all
  int threads = 0;
  bool json = false;
  bool decode = false;
};


std::string describe(const llmopt_tensor_info& info) {
  return std::string(llmopt_dtype_name(info.dtype)) + " " + formatTensorShape(info);
}

std::string tensorShape(const llmopt_tensor& t) {
  std::string text = "[";
  for (int i = 0; i < t.rank; ++i) text += (i ? ", " : "") + std::to_string(t.dims[i]);
  return text + "]";
}

/// Reads a whole file; on failure returns false with a one-line reason.
bool readBytes(const std::string& path, std::vector<uint8_t>& out, std::string& error) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  }
  struct stat info;
  if (fstat(fileno(file), &info) == 0 && S_ISDIR(info.st_mode)) {
    error = "cannot read '" + path + "': it is a directory";
    std::fclose(file);
    return false;
  }
  out.clear();
  uint8_t buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) out.insert(out.end(), buffer, buffer + got);
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed) {
    error = "cannot read '" + path + "': read error";
    return false;
  }
  return true;
}

/// Progress on stderr: a line rewritten in place on a terminal, else a line every ~10 %.
class Progress {
 public:
  explicit Progress(int64_t total) : total(total), terminal(isatty(STDERR_FILENO)) {}
  void update(int64_t done) {
    if (terminal) {
      std::fprintf(stderr, "\reval: %lld/%lld windows", static_cast<long long>(done),
                   static_cast<long long>(total));
      if (done == total) std::fprintf(stderr, "\n");
      std::fflush(stderr);
      return;
    }
    int64_t decile = done * 10 / total;
    if (decile == lastDecile) return;
    lastDecile = decile;
    std::fprintf(stderr, "eval: %lld/%lld windows (%lld%%)\n", static_cast<long long>(done),
                 static_cast<long long>(total), static_cast<long long>(done * 100 / total));
  }

 private:
  int64_t total;
  bool terminal;
  int64_t lastDecile = 0;
};

/// Window by window through the KV cache: prefill the window's first byte, then step each next
/// byte; the logits after byte t predict byte t + 1. Adds each window's NLL to *sumNll.
int decodeWindows(llmopt_session* session, const std::string& outputName, size_t logitsIndex,
                  const std::vector<uint8_t>& bytes, int64_t windows, int64_t L, Progress& progress,
                  double* sumNll) {
  for (int64_t w = 0; w < windows; ++w) {
    const uint8_t* window = bytes.data() + w * L;
    for (int64_t t = 0; t < L; ++t) {
      const int64_t id = window[t];
      if ((t == 0 ? llmopt_session_prefill(session, &id, 1) : llmopt_session_step(session, id)) !=
          LLMOPT_OK)
        return fail(llmopt_last_error());
      llmopt_tensor logits;
      if (llmopt_session_get_output(session, logitsIndex, &logits) != LLMOPT_OK)
        return fail(llmopt_last_error());
      if (logits.dtype != LLMOPT_DTYPE_F32 || logits.rank != 3 || logits.dims[0] != 1 ||
          logits.dims[1] != 1 || logits.dims[2] < 256)
        return fail("output '" + outputName + "' is " + llmopt_dtype_name(logits.dtype) + " " +
                    tensorShape(logits) +
                    " for one decoded byte; eval --decode needs float32 [1, 1, V] with V >= 256");
      const double nll = metrics::negLogLikelihood(static_cast<const float*>(logits.data),
                                                   logits.dims[2], window[t + 1]);
      if (!std::isfinite(nll))
        return fail("output '" + outputName + "': window " + std::to_string(w) + ", position " +
                    std::to_string(t) +
                    ": the logits give a non-finite NLL (NaN or infinite logits)");
      *sumNll += nll;
    }
    progress.update(w + 1);
  }
  return 0;
}

int runEval(const EvalOptions& options) {
  const int64_t L = options.window;
  const std::string& model = options.model;

  // The text first: reading it is cheap, loading a large model is not.
  std::vector<uint8_t> bytes;
  std::string error;
  if (!readBytes(options.bytesFile, bytes, error)) return fail(error);
  const int64_t N = static_cast<int64_t>(bytes.size());
  int64_t windows = metrics::windowCount(N, L);
  if (windows == 0)
    return fail("'" + options.bytesFile + "' has " + std::to_string(N) + " bytes; --window " +
                std::to_string(L) + " needs at least " + std::to_string(L + 1) +
                " (one window of L + 1 bytes)");
  if (options.maxWindows > 0 && options.maxWindows < windows) windows = options.maxWindows;

  llmopt_model* rawModel = nullptr;
  if (llmopt_model_load_file(model.c_str(), nullptr, &rawModel) != LLMOPT_OK)
    return fail(llmopt_last_error());
  ModelPtr m(rawModel);

  // The model's interface: one input input_ids int64 [batch, seq] and float32 logits [batch, seq, V].
  size_t numInputs = llmopt_model_num_inputs(m.get());
  if (numInputs != 1) {
    std::string names;
    for (size_t i = 0; i < numInputs; ++i) {
      llmopt_tensor_info info;
      llmopt_model_input_info(m.get(), i, &info);
      names += (i ? ", " : "") + std::string(info.name);
    }
    return fail(model + ": eval needs a model with one input, 'input_ids' (int64 [batch, seq]); this one has " +
                std::to_string(numInputs) + (numInputs ? ": " + names : ""));
  }
  llmopt_tensor_info input;
  llmopt_model_input_info(m.get(), 0, &input);
  if (std::strcmp(input.name, "input_ids") != 0 || input.dtype != LLMOPT_DTYPE_I64 || input.rank != 2)
    return fail(model + ": eval needs the input 'input_ids' int64 [batch, seq]; the model's input is '" +
                input.name + "' " + describe(input));
  if (input.dims[1] >= 0 && input.dims[1] != L)
    return fail(model + ": input 'input_ids' has a fixed seq of " + std::to_string(input.dims[1]) +
                "; give --window " + std::to_string(input.dims[1]) + " (--window is " + std::to_string(L) + ")");
  if (options.decode) {
    if (options.batchGiven) return fail("--decode runs one window at a time: leave out --batch");
    const int64_t maxSeq = llmopt_model_max_seq(m.get());
    if (maxSeq == 0)
      return fail("'" + model +
                  "' has no KV cache: eval --decode needs one (compile it from a decoder "
                  "(causal attention) without --no-kv-cache)");
    if (maxSeq < L)
      return fail("--window " + std::to_string(L) + " needs " + std::to_string(L) +
                  " positions; the KV cache of '" + model + "' holds " + std::to_string(maxSeq) +
                  " (llmopt compile --max-seq, or a shorter --window)");
  }
  int64_t batch = options.decode ? 1 : options.batch;
  bool padLastBatch = false;  // a fixed batch dim: the last batch is padded, its extra rows ignored
  if (input.dims[0] >= 0 && !options.decode) {
    if (options.batchGiven && options.batch != input.dims[0])
      return fail(model + ": input 'input_ids' has a fixed batch of " + std::to_string(input.dims[0]) +
                  "; give --batch " + std::to_string(input.dims[0]) + " or leave it out");
    batch = input.dims[0];
    padLastBatch = true;
  }
  if (batch > windows && !padLastBatch) batch = windows;

  size_t numOutputs = llmopt_model_num_outputs(m.get());
  size_t logitsIndex = numOutputs;
  std::string outputNames;
  for (size_t i = 0; i < numOutputs; ++i) {
    llmopt_tensor_info info;
    llmopt_model_output_info(m.get(), i, &info);
    if (std::strcmp(info.name, "logits") == 0) logitsIndex = i;
    outputNames += (i ? ", " : "") + std::string(info.name);
  }
  if (logitsIndex == numOutputs && numOutputs == 1) logitsIndex = 0;
  if (logitsIndex == numOutputs)
    return fail(model + ": eval needs an output named 'logits' or a single output; this model has " +
                std::to_string(numOutputs) + ": " + outputNames);
  llmopt_tensor_info output;
  llmopt_model_output_info(m.get(), logitsIndex, &output);
  const std::string outputName = output.name;
  const std::string expected = "float32 [batch, " + std::to_string(L) + ", V] with V >= 256";
  if (output.dtype != LLMOPT_DTYPE_F32 || output.rank != 3 || (output.dims[1] >= 0 && output.dims[1] != L) ||
      (output.dims[2] >= 0 && output.dims[2] < 256))
    return fail(model + ": output '" + outputName + "' is " + describe(output) + "; eval needs " + expected);

  llmopt_session_options sessionOptions = LLMOPT_SESSION_OPTIONS_INIT;
  sessionOptions.num_threads = options.threads;
  llmopt_session* rawSession = nullptr;
  if (llmopt_session_create(m.get(), &sessionOptions, &rawSession) != LLMOPT_OK)
    return fail(std::string("cannot create a session: ") + llmopt_last_error());
  SessionPtr session(rawSession);

  if (batch * L > (int64_t{1} << 28))
    return fail("--batch " + std::to_string(batch) + " x --window " + std::to_string(L) +
                " is too many tokens for one run (at most 2^28)");
  std::vector<int64_t> ids(static_cast<size_t>(batch) * static_cast<size_t>(L));
  Progress progress(windows);
  double sumNll = 0;
  auto start = std::chrono::steady_clock::now();
  if (options.decode) {
    if (int status = decodeWindows(session.get(), outputName, logitsIndex, bytes, windows, L,
                                   progress, &sumNll))
      return status;
  }
  for (int64_t first = 0; first < windows && !options.decode; first += batch) {
    int64_t rows = std::min(batch, windows - first);
    int64_t boundRows = padLastBatch ? batch : rows;
    for (int64_t r = 0; r < boundRows; ++r) {
      const uint8_t* w = bytes.data() + (first + std::min(r, rows - 1)) * L;
      for (int64_t t = 0; t < L; ++t) ids[r * L + t] = w[t];
    }
    int64_t dims[2] = {boundRows, L};
    if (llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_I64, 2, dims, ids.data(),
                                 static_cast<size_t>(boundRows * L) * sizeof(int64_t)) != LLMOPT_OK ||
        llmopt_session_run(session.get()) != LLMOPT_OK)
      return fail(llmopt_last_error());
    llmopt_tensor logits;
    if (llmopt_session_get_output(session.get(), logitsIndex, &logits) != LLMOPT_OK)
      return fail(llmopt_last_error());
    if (logits.dtype != LLMOPT_DTYPE_F32 || logits.rank != 3 || logits.dims[0] != boundRows ||
        logits.dims[1] != L || logits.dims[2] < 256)
      return fail("output '" + outputName + "' is " + llmopt_dtype_name(logits.dtype) + " " + tensorShape(logits) +
                  " for input_ids [" + std::to_string(boundRows) + ", " + std::to_string(L) + "]; eval needs float32 [" +
                  std::to_string(boundRows) + ", " + std::to_string(L) + ", V] with V >= 256");
    const int64_t V = logits.dims[2];
    const float* data = static_cast<const float*>(logits.data);
    for (int64_t r = 0; r < rows; ++r) {
      double sum = 0;
      int64_t bad = 0;
      if (!metrics::windowNll(data + r * L * V, L, V, bytes.data() + (first + r) * L, sum, bad))
        return fail("output '" + outputName + "': window " + std::to_string(first + r) + ", position " +
                    std::to_string(bad) + ": the logits give a non-finite NLL (NaN or infinite logits)");
      sumNll += sum;
    }
    progress.update(first + rows);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const int64_t predictions = windows * L;
  metrics::Score s = metrics::score(sumNll, predictions);
  double bytesPerSecond = seconds > 0 ? predictions / seconds : 0;
  if (options.json) {
    std::printf(
        "{\"model\": %s, \"file\": %s, \"window\": %lld, \"batch\": %lld, \"decode\": %s, "
        "\"windows\": %lld, \"predictions\": %lld, \"mean_nll\": %s, \"bpb\": %s, \"ppl\": %s, "
        "\"seconds\": %s, \"bytes_per_second\": %s}\n",
        metrics::jsonString(model).c_str(), metrics::jsonString(options.bytesFile).c_str(),
        static_cast<long long>(L), static_cast<long long>(batch), options.decode ? "true" : "false",
        static_cast<long long>(windows), static_cast<long long>(predictions),
        metrics::jsonNumber(s.meanNll).c_str(), metrics::jsonNumber(s.bpb).c_str(),
        metrics::jsonNumber(s.ppl).c_str(), metrics::jsonNumber(seconds).c_str(),
        metrics::jsonNumber(bytesPerSecond).c_str());
    return 0;
  }
  int64_t allWindows = metrics::windowCount(N, L);
  std::printf("model:        %s\n", model.c_str());
  std::printf("file:         %s (%lld bytes)\n", options.bytesFile.c_str(), static_cast<long long>(N));
  std::printf("windows:      %lld", static_cast<long long>(windows));
  if (windows < allWindows) std::printf(" of %lld", static_cast<long long>(allWindows));
  if (options.decode)
    std::printf(" (window %lld, decoded through the %s KV cache)\n", static_cast<long long>(L),
                kvCacheTypeName(llmopt_model_kv_cache_dtype(m.get())));
  else
    std::printf(" (window %lld, batch %lld)\n", static_cast<long long>(L),
                static_cast<long long>(batch));
  std::printf("predictions:  %lld\n", static_cast<long long>(predictions));
  std::printf("mean NLL:     %.6f nats/byte\n", s.meanNll);
  std::printf("bpb:          %.6f bits/byte\n", s.bpb);
  std::printf("perplexity:   %.4f (per byte)\n", s.ppl);
  std::printf("time:         %.2f s (%.0f bytes/s)\n", seconds, bytesPerSecond);
  return 0;
}

}  // namespace

std::function<int()> addEvalCommand(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Bits per byte of a byte-level language model on a file (input_ids int64 [batch, seq] -> logits)");
  cmd->add_option("artifact", options->model, "Compiled model (.llmo)")->required();
  cmd->add_option("--bytes", options->bytesFile, "Text to evaluate, read as raw bytes")->required();
  cmd->add_option("--window", options->window, "Window length L: the model's context (default 256)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  CLI::Option* batch = cmd->add_option("--batch", options->batch, "Windows per run (default 8)")
                           ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--max-windows", options->maxWindows, "Evaluate only the first K windows (default: all)")
      ->check(CLI::Range(int64_t{1}, INT64_MAX));
  cmd->add_option("--threads", options->threads, "Threads (default: one per core)")->check(CLI::Range(0, 65536));
  cmd->add_flag("--json", options->json, "Print one JSON object on stdout instead of the summary");
  cmd->add_flag("--decode", options->decode,
                "Score each window through the KV cache as generation does (its first byte as "
                "the prompt, then one step per byte) instead of one forward pass per batch");
  return [options, batch] {
    options->batchGiven = batch->count() > 0;
    return runEval(*options);
  };
}

}  // namespace llmopt
