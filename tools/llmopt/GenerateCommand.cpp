//===- GenerateCommand.cpp - llmopt generate ------------------------------===//
//
// Autoregressive decoding with the artifact's KV cache: the prompt runs once (prefill), then each
// new token runs alone (step), attending to the cached keys and values. Greedy by default;
// --temperature and --top-k sample with a seeded generator, so a run is reproducible. Byte-level
// models (256 logits) read --prompt as text and print text; others take --tokens ids.npy and
// print ids. Timing on stderr: time to first token (prefill + picking it) and tokens per second
// of the steps after it. --check replays the whole sequence as one plain forward pass and
// compares the logits decoding produced (the prompt's last position's, then every step's) with
// its.
// Only the runtime C API is used here.
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "llmopt/runtime.h"
#include "tools/llmopt/BenchProfile.h"
#include "tools/llmopt/Commands.h"
#include "tools/llmopt/Npy.h"
#include "tools/llmopt/RuntimeHandles.h"

namespace llmopt {
namespace {

constexpr int64_t kByteVocab = 256;
constexpr int64_t kDefaultNewTokens = 64;

struct GenerateOptions {
  std::string model;
  std::string prompt;
  bool promptGiven = false;
  std::string tokensFile;
  int64_t maxNewTokens = -1;  // -1: 64, or what the cache has room for after the prompt
  double temperature = 0.0;   // 0: greedy
  int64_t topK = 0;           // 0: every token
  uint64_t seed = 0;
  int threads = 0;
  int64_t warmup = 0;  // untimed prefill + step rounds first (weights paged in, threads up)
  std::string statsJson;
  bool check = false;
  bool profile = false;
  double checkTolerance = 1e-4;
};

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string lastError() { return llmopt_last_error(); }

/// Picks the next token from one row of logits: the arg max, or a sample of
/// softmax(logits / temperature) over the top_k largest (all when top_k is 0).
class Sampler {
 public:
  Sampler(double temperature, int64_t topK, uint64_t seed)
      : temperature(temperature), topK(topK), rng(seed) {}

  int64_t pick(const float* logits, int64_t vocab) {
    if (temperature <= 0.0) return std::max_element(logits, logits + vocab) - logits;
    order.resize(vocab);
    std::iota(order.begin(), order.end(), 0);
    int64_t keep = topK > 0 ? std::min(topK, vocab) : vocab;
    auto larger = [&](int64_t a, int64_t b) { return logits[a] > logits[b]; };
    std::partial_sort(order.begin(), order.begin() + keep, order.end(), larger);
    const double top = logits[order[0]];
    weights.resize(keep);
    double sum = 0.0;
    for (int64_t i = 0; i < keep; ++i)
      sum += weights[i] = std::exp((logits[order[i]] - top) / temperature);
    // A uniform double from the top 53 bits: the same stream on every platform.
    double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * sum;
    for (int64_t i = 0; i < keep; ++i) {
      if (u < weights[i]) return order[i];
      u -= weights[i];
    }
    return order[keep - 1];
  }

 private:
  double temperature;
  int64_t topK;
  std::mt19937_64 rng;
  std::vector<int64_t> order;
  std::vector<double> weights;
};

/// The last row of output 0, logits [1, n, vocab] (a prefill gives [1, 1, vocab]: the last
/// position only); *rows its n.
bool lastLogits(llmopt_session* session, const float** out, int64_t* vocab, int64_t* rows,
                std::string& error) {
  llmopt_tensor logits;
  if (llmopt_session_get_output(session, 0, &logits) != LLMOPT_OK) {
    error = lastError();
    return false;
  }
  if (logits.dtype != LLMOPT_DTYPE_F32 || logits.rank != 3 || logits.dims[0] != 1 ||
      logits.dims[1] < 1) {
    error = "output 0 is not f32 logits [1, seq, vocab]";
    return false;
  }
  *vocab = logits.dims[2];
  *rows = logits.dims[1];
  *out = static_cast<const float*>(logits.data) + (logits.dims[1] - 1) * logits.dims[2];
  return true;
}

/// max over rows of max|a - b| / max|b| (b the reference row).
double maxRowRelativeError(const std::vector<float>& a, const std::vector<float>& b,
                           int64_t vocab) {
  double worst = 0.0;
  for (size_t r = 0; r * vocab < b.size(); ++r) {
    double diff = 0.0, ref = 0.0;
    for (int64_t v = 0; v < vocab; ++v) {
      diff = std::max(diff, std::fabs(static_cast<double>(a[r * vocab + v]) - b[r * vocab + v]));
      ref = std::max(ref, std::fabs(static_cast<double>(b[r * vocab + v])));
    }
    worst = std::max(worst, diff / std::max(ref, 1e-30));
  }
  return worst;
}

bool readPromptTokens(const GenerateOptions& options, std::vector<int64_t>& tokens,
                      std::string& error) {
  if (options.promptGiven) {
    for (unsigned char c : options.prompt) tokens.push_back(c);
    return true;
  }
  npy::Array array;
  if (!npy::read(options.tokensFile, array, error)) {
    error = "--tokens: " + error;
    return false;
  }
  const bool rowVector =
      array.shape.size() == 1 || (array.shape.size() == 2 && array.shape[0] == 1);
  if (array.dtype != LLMOPT_DTYPE_I64 || !rowVector) {
    error = "--tokens '" + options.tokensFile + "': expected int64 token ids [S] or [1, S], got " +
            llmopt_dtype_name(array.dtype) + " of rank " + std::to_string(array.shape.size());
    return false;
  }
  tokens.resize(array.data.size() / sizeof(int64_t));
  std::memcpy(tokens.data(), array.data.data(), tokens.size() * sizeof(int64_t));
  return true;
}

int runGenerate(const GenerateOptions& options) {
  std::vector<int64_t> prompt;
  std::string error;
  if (!readPromptTokens(options, prompt, error)) return fail(error);
  if (prompt.empty()) return fail("the prompt is empty");

  llmopt_model* rawModel = nullptr;
  if (llmopt_model_load_file(options.model.c_str(), nullptr, &rawModel) != LLMOPT_OK)
    return fail(lastError());
  ModelPtr model(rawModel);
  const int64_t maxSeq = llmopt_model_max_seq(model.get());
  if (maxSeq == 0)
    return fail("'" + options.model +
                "' has no KV cache: compile it from a decoder (causal "
                "attention) without --no-kv-cache");
  const int64_t promptLength = static_cast<int64_t>(prompt.size());
  if (promptLength >= maxSeq)
    return fail("the prompt has " + std::to_string(promptLength) + " tokens; the KV cache of '" +
                options.model + "' holds " + std::to_string(maxSeq) +
                " positions, prompt and new tokens together (llmopt compile --max-seq)");
  const int64_t maxNewTokens = options.maxNewTokens >= 0
                                   ? options.maxNewTokens
                                   : std::min(kDefaultNewTokens, maxSeq - promptLength);
  const int64_t total = promptLength + maxNewTokens;
  if (total > maxSeq)
    return fail("the prompt (" + std::to_string(prompt.size()) + " tokens) and --max-new-tokens " +
                std::to_string(maxNewTokens) + " need " + std::to_string(total) +
                " positions; the KV cache of '" + options.model + "' holds " +
                std::to_string(maxSeq) + " (llmopt compile --max-seq)");
  llmopt_session_options sessionOptions = LLMOPT_SESSION_OPTIONS_INIT;
  sessionOptions.num_threads = options.threads;
  llmopt_session* rawSession = nullptr;
  if (llmopt_session_create(model.get(), &sessionOptions, &rawSession) != LLMOPT_OK)
    return fail(lastError());
  SessionPtr session(rawSession);

  Sampler sampler(options.temperature, options.topK, options.seed);
  const float* row = nullptr;
  int64_t vocab = 0, rows = 0;
  std::vector<float> decodedLogits;  // the prompt's last position's and every step's, for --check
  auto keep = [&](const float* logits) {
    if (options.check) decodedLogits.insert(decodedLogits.end(), logits, logits + vocab);
  };

  // Warm-up: page the weights in and start the threads, as a long-running server would have.
  for (int64_t i = 0; i < options.warmup; ++i)
    if (llmopt_session_prefill(session.get(), prompt.data(), prompt.size()) != LLMOPT_OK ||
        llmopt_session_step(session.get(), prompt.back()) != LLMOPT_OK)
      return fail(lastError());

  // Prefill and the first token.
  const auto start = Clock::now();
  if (llmopt_session_prefill(session.get(), prompt.data(), prompt.size()) != LLMOPT_OK)
    return fail(lastError());
  if (!lastLogits(session.get(), &row, &vocab, &rows, error)) return fail(error);
  std::vector<int64_t> generated;
  if (maxNewTokens > 0) generated.push_back(sampler.pick(row, vocab));
  const double ttftMs = millisecondsSince(start);
  if (options.promptGiven && vocab != kByteVocab)
    return fail("--prompt takes text for byte-level models (256 logits); this one has " +
                std::to_string(vocab) + ": pass token ids with --tokens");
  keep(row);

  // One step per further token; the last token picked needs no step of its own.
  if (options.profile && llmopt_session_set_profiling(session.get(), 1) != LLMOPT_OK)
    return fail(lastError());
  std::vector<double> stepMs;
  while (static_cast<int64_t>(generated.size()) < maxNewTokens) {
    const auto stepStart = Clock::now();
    if (llmopt_session_step(session.get(), generated.back()) != LLMOPT_OK) return fail(lastError());
    if (!lastLogits(session.get(), &row, &vocab, &rows, error)) return fail(error);
    generated.push_back(sampler.pick(row, vocab));
    stepMs.push_back(millisecondsSince(stepStart));
    keep(row);
  }

  // The continuation on stdout: text for byte-level models, else ids.
  if (vocab == kByteVocab) {
    std::string text(generated.begin(), generated.end());
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
  } else {
    for (size_t i = 0; i < generated.size(); ++i)
      std::printf("%s%lld", i ? " " : "", static_cast<long long>(generated[i]));
    std::printf("\n");
  }
  std::fflush(stdout);

  const double decodeMs = std::accumulate(stepMs.begin(), stepMs.end(), 0.0);
  std::vector<double> sorted = stepMs;
  std::sort(sorted.begin(), sorted.end());
  const double medianStepMs = sorted.empty() ? 0.0 : sorted[sorted.size() / 2];
  const double tokensPerSecond = decodeMs > 0 ? 1000.0 * stepMs.size() / decodeMs : 0.0;
  std::fprintf(stderr, "llmopt: prompt %zu tokens, time to first token %.2f ms", prompt.size(),
               ttftMs);
  if (!stepMs.empty())
    std::fprintf(stderr, "; %zu more tokens at %.3f ms/token median, %.1f tokens/s", stepMs.size(),
                 medianStepMs, tokensPerSecond);
  std::fprintf(stderr, "\n");

  if (options.profile && !stepMs.empty()) {
    BenchProfile profile;
    if (!readProfile(model.get(), session.get(), profile, error)) return fail(error);
    std::fprintf(stderr, "profile of the %zu decoding steps:\n%s", stepMs.size(),
                 profileText(profile, decodeMs / stepMs.size(), 10).c_str());
  }

  int status = 0;
  double checkError = -1.0;
  if (options.check && !stepMs.empty()) {
    // The whole sequence in one plain forward pass: every token decoding ran, not the last pick.
    std::vector<int64_t> sequence = prompt;
    sequence.insert(sequence.end(), generated.begin(), generated.end() - 1);
    const int64_t dims[2] = {1, static_cast<int64_t>(sequence.size())};
    if (llmopt_session_set_input(session.get(), 0, LLMOPT_DTYPE_I64, 2, dims, sequence.data(),
                                 sequence.size() * sizeof(int64_t)) != LLMOPT_OK ||
        llmopt_session_run(session.get()) != LLMOPT_OK)
      return fail(lastError());
    if (!lastLogits(session.get(), &row, &vocab, &rows, error)) return fail(error);
    // The forward pass's rows from the prompt's last position on: those decoding computed.
    const float* first = row - (rows - 1) * vocab + (promptLength - 1) * vocab;
    std::vector<float> full(first, row + vocab);
    checkError = maxRowRelativeError(decodedLogits, full, vocab);
    std::fprintf(stderr,
                 "llmopt: check: logits of %zu decoded positions against one forward pass: max "
                 "|diff| / max |ref| %.3g (tolerance %.3g)\n",
                 full.size() / vocab, checkError, options.checkTolerance);
    if (!(checkError <= options.checkTolerance))
      status = fail("decoding differs from the forward pass");
  }

  if (!options.statsJson.empty()) {
    std::ofstream out(options.statsJson);
    out << "{\"prompt_tokens\": " << prompt.size() << ", \"new_tokens\": " << generated.size()
        << ", \"ttft_ms\": " << ttftMs << ", \"decode_ms_per_token\": " << medianStepMs
        << ", \"tokens_per_second\": " << tokensPerSecond << ", \"max_seq\": " << maxSeq;
    if (checkError >= 0) out << ", \"check_error\": " << checkError;
    out << ", \"step_ms\": [";
    for (size_t i = 0; i < stepMs.size(); ++i) out << (i ? ", " : "") << stepMs[i];
    out << "], \"tokens\": [";
    for (size_t i = 0; i < generated.size(); ++i) out << (i ? ", " : "") << generated[i];
    out << "]}\n";
    if (!out) return fail("cannot write '" + options.statsJson + "'");
  }
  return status;
}

}  // namespace

std::function<int()> addGenerateCommand(CLI::App& app) {
  auto options = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "generate",
      "Generate tokens with the artifact's KV cache (prefill the prompt, then one step per token)");
  cmd->add_option("model", options->model, "Compiled artifact (.llmo) of a decoder")->required();
  auto* prompt = cmd->add_option_function<std::string>(
      "--prompt",
      [options](const std::string& text) {
        options->prompt = text;
        options->promptGiven = true;
      },
      "Prompt text (byte-level models: 256 logits)");
  auto* tokens = cmd->add_option("--tokens", options->tokensFile,
                                 "Prompt token ids: .npy int64 [S] or [1, S]");
  prompt->excludes(tokens);
  cmd->add_option("--max-new-tokens", options->maxNewTokens,
                  "Tokens to generate (default 64, fewer if the KV cache has no room for them)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24));
  cmd->add_option("--temperature", options->temperature,
                  "Sample from softmax(logits / T); 0 (default) is greedy")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--top-k", options->topK, "Sample among the K most likely tokens (0: all)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  cmd->add_option("--seed", options->seed, "Sampling seed (default 0)");
  cmd->add_option("--threads", options->threads, "Threads (default: one per core)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--warmup", options->warmup,
                  "Untimed prefill-and-step rounds before the timed generation (default 0)")
      ->check(CLI::Range(int64_t{0}, int64_t{1000}));
  cmd->add_option("--stats-json", options->statsJson,
                  "Write timing and the generated ids as JSON (ttft_ms, decode_ms_per_token, "
                  "tokens_per_second, step_ms, tokens)");
  cmd->add_flag("--profile", options->profile,
                "Time every op of the decoding steps and print the time per kernel and the "
                "slowest ops (as llmopt bench --profile)");
  cmd->add_flag("--check", options->check,
                "Afterwards, run the whole sequence as one forward pass and compare the logits "
                "of every generated position with decoding's (fails above --check-tolerance)");
  cmd->add_option("--check-tolerance", options->checkTolerance,
                  "max |diff| / max |ref| per position allowed by --check (default 1e-4)")
      ->check(CLI::Range(0.0, 1e9));
  cmd->callback([prompt, tokens] {
    if (prompt->count() == 0 && tokens->count() == 0)
      throw CLI::RequiredError("--prompt or --tokens");
  });
  return [options] { return runGenerate(*options); };
}

}  // namespace llmopt
