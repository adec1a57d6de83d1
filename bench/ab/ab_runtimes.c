/* Paired A/B timing of two builds of libllmopt_runtime on one artifact, in one process.
 *
 *   ab_runtimes A.so B.so MODEL.llmo THREADS ROUNDS NAME=DIMS [NAME=DIMS ...]
 *   ab_runtimes A.so B.so MODEL.llmo THREADS ROUNDS --decode PROMPT STEPS
 *
 * The first form times forward passes (llmopt_session_run); --decode times generation steps on
 * an artifact with a KV cache: a round prefills PROMPT tokens, then runs STEPS steps one token at
 * a time, and counts the median step. Token ids are deterministic, in [0, 100).
 *
 * Both libraries are dlopen'ed side by side (RTLD_LOCAL | RTLD_DEEPBIND: each keeps its own
 * symbols) and run the same inputs alternately, A then B, ROUNDS times after a warm-up each. On a
 * VM whose speed drifts from minute to minute, separate runs of two builds cannot resolve a few
 * percent; alternating runs see the same drift. Prints each side's median and the median of the
 * per-round ratios B/A (below 1: B is faster).
 *
 * Inputs get deterministic values: float inputs in [-1, 1), integer inputs in [0, 100). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llmopt/runtime.h"

typedef struct Api {
  const char* (*last_error)(void);
  llmopt_status (*load)(const char*, const llmopt_load_options*, llmopt_model**);
  size_t (*num_inputs)(const llmopt_model*);
  llmopt_status (*input_info)(const llmopt_model*, size_t, llmopt_tensor_info*);
  llmopt_status (*create)(const llmopt_model*, const llmopt_session_options*, llmopt_session**);
  llmopt_status (*set_input)(llmopt_session*, size_t, llmopt_dtype, int32_t, const int64_t*,
                             const void*, size_t);
  llmopt_status (*run)(llmopt_session*);
  size_t (*dtype_size)(llmopt_dtype);
  llmopt_status (*prefill)(llmopt_session*, const int64_t*, size_t);
  llmopt_status (*step)(llmopt_session*, int64_t);
  llmopt_session* session;
} Api;

static void die(const char* what, const char* detail) {
  fprintf(stderr, "error: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static void* sym(void* lib, const char* name) {
  void* p = dlsym(lib, name);
  if (!p) die("missing symbol", name);
  return p;
}

typedef struct Input {
  char name[128];
  int32_t rank;
  int64_t dims[LLMOPT_MAX_RANK];
} Input;

static void parseInput(const char* text, Input* in) {
  const char* eq = strchr(text, '=');
  if (!eq || eq == text || (size_t)(eq - text) >= sizeof in->name) die("bad NAME=DIMS", text);
  memcpy(in->name, text, (size_t)(eq - text));
  in->name[eq - text] = 0;
  in->rank = 0;
  for (const char* p = eq + 1; *p;) {
    char* end;
    long long v = strtoll(p, &end, 10);
    if (end == p || v < 1 || in->rank == LLMOPT_MAX_RANK) die("bad dims", text);
    in->dims[in->rank++] = v;
    p = *end == 'x' ? end + 1 : end;
    if (*end && *end != 'x') die("bad dims", text);
  }
}

static void openApi(const char* path, Api* api) {
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (!lib) die("cannot load", dlerror());
  api->last_error = (const char* (*)(void))sym(lib, "llmopt_last_error");
  api->load = (llmopt_status(*)(const char*, const llmopt_load_options*, llmopt_model**))sym(
      lib, "llmopt_model_load_file");
  api->num_inputs = (size_t(*)(const llmopt_model*))sym(lib, "llmopt_model_num_inputs");
  api->input_info = (llmopt_status(*)(const llmopt_model*, size_t, llmopt_tensor_info*))sym(
      lib, "llmopt_model_input_info");
  api->create = (llmopt_status(*)(const llmopt_model*, const llmopt_session_options*,
                                  llmopt_session**))sym(lib, "llmopt_session_create");
  api->set_input = (llmopt_status(*)(llmopt_session*, size_t, llmopt_dtype, int32_t,
                                     const int64_t*, const void*, size_t))sym(
      lib, "llmopt_session_set_input");
  api->run = (llmopt_status(*)(llmopt_session*))sym(lib, "llmopt_session_run");
  api->dtype_size = (size_t(*)(llmopt_dtype))sym(lib, "llmopt_dtype_size");
  api->prefill =
      (llmopt_status(*)(llmopt_session*, const int64_t*, size_t))sym(lib, "llmopt_session_prefill");
  api->step = (llmopt_status(*)(llmopt_session*, int64_t))sym(lib, "llmopt_session_step");
}

static void fill(llmopt_dtype dtype, void* data, size_t count) {
  uint32_t state = 12345;
  for (size_t i = 0; i < count; ++i) {
    state = state * 1664525u + 1013904223u;
    if (dtype == LLMOPT_DTYPE_F32)
      ((float*)data)[i] = (float)(state >> 8) / (float)(1u << 23) - 1.0f;
    else if (dtype == LLMOPT_DTYPE_I64)
      ((int64_t*)data)[i] = (int64_t)((state >> 8) % 100);
    else if (dtype == LLMOPT_DTYPE_I32)
      ((int32_t*)data)[i] = (int32_t)((state >> 8) % 100);
    else
      die("unsupported input dtype", NULL);
  }
}

static llmopt_model* openSession(Api* api, const char* model_path, int threads) {
  llmopt_model* model;
  if (api->load(model_path, NULL, &model) != LLMOPT_OK) die("load", api->last_error());
  llmopt_session_options options = LLMOPT_SESSION_OPTIONS_INIT;
  options.num_threads = threads;
  if (api->create(model, &options, &api->session) != LLMOPT_OK) die("session", api->last_error());
  return model;
}

static void prepare(Api* api, const char* model_path, int threads, const Input* inputs,
                    int num_inputs) {
  llmopt_model* model = openSession(api, model_path, threads);
  const size_t count = api->num_inputs(model);
  for (size_t i = 0; i < count; ++i) {
    llmopt_tensor_info info;
    api->input_info(model, i, &info);
    const Input* given = NULL;
    for (int j = 0; j < num_inputs; ++j)
      if (strcmp(inputs[j].name, info.name) == 0) given = &inputs[j];
    if (!given) die("no NAME=DIMS for input", info.name);
    size_t elements = 1;
    for (int d = 0; d < given->rank; ++d) elements *= (size_t)given->dims[d];
    const size_t bytes = elements * api->dtype_size(info.dtype);
    void* data = aligned_alloc(64, (bytes + 63) / 64 * 64);  // lives as long as the process
    fill(info.dtype, data, elements);
    if (api->set_input(api->session, i, info.dtype, given->rank, given->dims, data, bytes) !=
        LLMOPT_OK)
      die("set_input", api->last_error());
  }
}

static double elapsedMs(const struct timespec* t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) * 1e-6;
}

static double timedRun(Api* api) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (api->run(api->session) != LLMOPT_OK) die("run", api->last_error());
  return elapsedMs(&t0);
}

static int compare(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double median(double* v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct Decode {
  int64_t prompt, steps;
  int64_t* tokens;  // prompt + steps ids
  double* step_ms;  // scratch: one round's steps
} Decode;

/* One round of --decode: prefill, then the steps; returns the median step in ms. */
static double timedDecode(Api* api, const Decode* d) {
  if (api->prefill(api->session, d->tokens, (size_t)d->prompt) != LLMOPT_OK)
    die("prefill", api->last_error());
  for (int64_t i = 0; i < d->steps; ++i) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (api->step(api->session, d->tokens[d->prompt + i]) != LLMOPT_OK)
      die("step", api->last_error());
    d->step_ms[i] = elapsedMs(&t0);
  }
  return median(d->step_ms, (int)d->steps);
}

static double timed(Api* api, const Decode* d) { return d ? timedDecode(api, d) : timedRun(api); }

int main(int argc, char** argv) {
  if (argc < 7) {
    fprintf(stderr,
            "usage: %s A.so B.so MODEL.llmo THREADS ROUNDS NAME=DIMS...\n"
            "       %s A.so B.so MODEL.llmo THREADS ROUNDS --decode PROMPT STEPS\n",
            argv[0], argv[0]);
    return 2;
  }
  const int threads = atoi(argv[4]), rounds = atoi(argv[5]);
  if (rounds < 1) die("ROUNDS must be >= 1", argv[5]);
  Api a, b;
  openApi(argv[1], &a);
  openApi(argv[2], &b);
  Decode decode = {0, 0, NULL, NULL};
  const Decode* d = NULL;
  if (strcmp(argv[6], "--decode") == 0) {
    if (argc != 9) die("--decode takes PROMPT and STEPS", NULL);
    decode.prompt = atoll(argv[7]);
    decode.steps = atoll(argv[8]);
    if (decode.prompt < 1 || decode.steps < 1) die("PROMPT and STEPS must be >= 1", NULL);
    decode.tokens = malloc(sizeof(int64_t) * (size_t)(decode.prompt + decode.steps));
    decode.step_ms = malloc(sizeof(double) * (size_t)decode.steps);
    fill(LLMOPT_DTYPE_I64, decode.tokens, (size_t)(decode.prompt + decode.steps));
    openSession(&a, argv[3], threads);
    openSession(&b, argv[3], threads);
    d = &decode;
  } else {
    Input inputs[16];
    const int num_inputs = argc - 6;
    if (num_inputs > 16) die("too many inputs", NULL);
    for (int i = 0; i < num_inputs; ++i) parseInput(argv[6 + i], &inputs[i]);
    prepare(&a, argv[3], threads, inputs, num_inputs);
    prepare(&b, argv[3], threads, inputs, num_inputs);
  }
  for (int i = 0; i < 3; ++i) {
    timed(&a, d);
    timed(&b, d);
  }
  double* ta = malloc(sizeof(double) * (size_t)rounds);
  double* tb = malloc(sizeof(double) * (size_t)rounds);
  double* ratio = malloc(sizeof(double) * (size_t)rounds);
  for (int r = 0; r < rounds; ++r) {
    ta[r] = timed(&a, d);
    tb[r] = timed(&b, d);
    ratio[r] = tb[r] / ta[r];
  }
  const double ma = median(ta, rounds), mb = median(tb, rounds), mr = median(ratio, rounds);
  const char* what = d ? "median step" : "median";
  printf("A %s: %s %.3f ms\nB %s: %s %.3f ms\nB/A per round: median %.3f "
         "(quartiles %.3f .. %.3f)\n",
         argv[1], what, ma, argv[2], what, mb, mr, ratio[rounds / 4], ratio[(3 * rounds) / 4]);
  return 0;
}
