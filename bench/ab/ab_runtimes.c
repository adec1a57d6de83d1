/* Paired A/B timing of two builds of libllmopt_runtime on one artifact, in one process.
 *
 *   ab_runtimes A.so B.so MODEL.llmo THREADS ROUNDS NAME=DIMS [NAME=DIMS ...]
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

static void prepare(Api* api, const char* model_path, int threads, const Input* inputs,
                    int num_inputs) {
  llmopt_model* model;
  if (api->load(model_path, NULL, &model) != LLMOPT_OK) die("load", api->last_error());
  llmopt_session_options options = LLMOPT_SESSION_OPTIONS_INIT;
  options.num_threads = threads;
  if (api->create(model, &options, &api->session) != LLMOPT_OK) die("session", api->last_error());
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

static double timedRun(Api* api) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (api->run(api->session) != LLMOPT_OK) die("run", api->last_error());
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-6;
}

static int compare(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double median(double* v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char** argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s A.so B.so MODEL.llmo THREADS ROUNDS NAME=DIMS...\n", argv[0]);
    return 2;
  }
  const int threads = atoi(argv[4]), rounds = atoi(argv[5]);
  if (rounds < 1) die("ROUNDS must be >= 1", argv[5]);
  Input inputs[16];
  const int num_inputs = argc - 6;
  if (num_inputs > 16) die("too many inputs", NULL);
  for (int i = 0; i < num_inputs; ++i) parseInput(argv[6 + i], &inputs[i]);

  Api a, b;
  openApi(argv[1], &a);
  openApi(argv[2], &b);
  prepare(&a, argv[3], threads, inputs, num_inputs);
  prepare(&b, argv[3], threads, inputs, num_inputs);
  for (int i = 0; i < 3; ++i) {
    timedRun(&a);
    timedRun(&b);
  }
  double* ta = malloc(sizeof(double) * (size_t)rounds);
  double* tb = malloc(sizeof(double) * (size_t)rounds);
  double* ratio = malloc(sizeof(double) * (size_t)rounds);
  for (int r = 0; r < rounds; ++r) {
    ta[r] = timedRun(&a);
    tb[r] = timedRun(&b);
    ratio[r] = tb[r] / ta[r];
  }
  const double ma = median(ta, rounds), mb = median(tb, rounds), mr = median(ratio, rounds);
  printf("A %s: median %.3f ms\nB %s: median %.3f ms\nB/A per round: median %.3f "
         "(quartiles %.3f .. %.3f)\n",
         argv[1], ma, argv[2], mb, mr, ratio[rounds / 4], ratio[(3 * rounds) / 4]);
  return 0;
}
