/* llmopt runtime: loads a compiled artifact (.llmo) and executes it.
 *
 * Plain C API, no dependency on the compiler (MLIR, LLVM, protobuf, ONNX, Eigen).
 *
 * Ownership: every object created by an llmopt_*_create / llmopt_model_load_* call is freed by the
 * matching llmopt_*_free. A session borrows its model (free sessions before their model); a model
 * loaded from memory borrows that memory (keep it alive and unchanged until llmopt_model_free).
 *
 * Errors: every fallible call returns an llmopt_status; on failure, llmopt_last_error() returns a
 * one-line message for the calling thread, valid until its next llmopt call.
 *
 *   llmopt_model* model; llmopt_session* session;
 *   if (llmopt_model_load_file("m.llmo", NULL, &model)) { puts(llmopt_last_error()); return 1; }
 *   llmopt_session_create(model, NULL, &session);
 *   int64_t dims[2] = {2, 16};
 *   llmopt_session_set_input(session, 0, LLMOPT_DTYPE_F32, 2, dims, data, sizeof data);
 *   llmopt_session_run(session);
 *   llmopt_tensor out; llmopt_session_get_output(session, 0, &out);
 */
#ifndef LLMOPT_RUNTIME_H
#define LLMOPT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LLMOPT_FORMAT_VERSION 4 /* the artifact format this runtime reads */

typedef enum llmopt_status {
  LLMOPT_OK = 0,
  LLMOPT_ERROR_IO = 1,               /* file missing, unreadable, mmap failed */
  LLMOPT_ERROR_INVALID_ARTIFACT = 2, /* bad magic, truncated, checksum, verifier, bounds */
  LLMOPT_ERROR_UNSUPPORTED = 3,      /* newer format version, unknown target or op */
  LLMOPT_ERROR_INVALID_ARGUMENT = 4, /* wrong index, dtype, rank, shape, null pointer */
  LLMOPT_ERROR_OUT_OF_MEMORY = 5,
  LLMOPT_ERROR_STATE = 6,            /* e.g. run before every input is set */
  /* Not a status: makes the enum span int, so any int a C caller passes is a valid value in C++
   * (the runtime then refuses it) rather than undefined behaviour. */
  LLMOPT_STATUS_MAX_ENUM = 0x7fffffff
} llmopt_status;

typedef enum llmopt_dtype {
  LLMOPT_DTYPE_F32 = 0,
  LLMOPT_DTYPE_F16 = 1,
  LLMOPT_DTYPE_BF16 = 2,
  LLMOPT_DTYPE_I8 = 3,
  LLMOPT_DTYPE_U8 = 4,
  LLMOPT_DTYPE_I32 = 5,
  LLMOPT_DTYPE_I64 = 6,
  LLMOPT_DTYPE_BOOL = 7,
  LLMOPT_DTYPE_MAX_ENUM = 0x7fffffff /* not a dtype: see LLMOPT_STATUS_MAX_ENUM */
} llmopt_dtype;

#define LLMOPT_MAX_RANK 8

/* Static facts about one model input or output. A dynamic dim is -1, and dim_names[i] names its
 * symbol ("batch"); static dims have dim_names[i] == NULL. Strings live as long as the model. */
typedef struct llmopt_tensor_info {
  const char* name;
  llmopt_dtype dtype;
  int32_t rank;
  int64_t dims[LLMOPT_MAX_RANK];
  const char* dim_names[LLMOPT_MAX_RANK];
} llmopt_tensor_info;

/* A view of tensor data owned by the runtime or the caller. */
typedef struct llmopt_tensor {
  llmopt_dtype dtype;
  int32_t rank;
  int64_t dims[LLMOPT_MAX_RANK];
  const void* data;
  size_t size_bytes;
} llmopt_tensor;

typedef struct llmopt_load_options {
  int verify_checksum; /* 1 (default): hash the whole file at load and refuse a mismatch */
} llmopt_load_options;
#define LLMOPT_LOAD_OPTIONS_INIT {1}

typedef struct llmopt_session_options {
  int num_threads; /* 0 (default): one per core; the calling thread is one of them */
} llmopt_session_options;
#define LLMOPT_SESSION_OPTIONS_INIT {0}

typedef struct llmopt_model llmopt_model;
typedef struct llmopt_session llmopt_session;

/* The message of the last failed call on this thread ("" if none). */
const char* llmopt_last_error(void);
const char* llmopt_status_name(llmopt_status status);
const char* llmopt_dtype_name(llmopt_dtype dtype);
size_t llmopt_dtype_size(llmopt_dtype dtype);

/* The kernel variant each kernel family runs on this CPU, chosen once from its features or
 * forced by the environment variable LLMOPT_ISA (scalar | avx2 | avx512vnni | amx; a variant the
 * CPU cannot run is never chosen), e.g. "gemm=avx512 qgemm=amx qdecode=avx512 vmath=avx512
 * attention=avx512". */
const char* llmopt_kernel_variants(void);

/* Loading. options may be NULL (defaults). A file is mmapped read-only. Memory passed to
 * llmopt_model_load_memory must be 8-byte aligned (malloc'd memory is). */
llmopt_status llmopt_model_load_file(const char* path, const llmopt_load_options* options,
                                     llmopt_model** out_model);
llmopt_status llmopt_model_load_memory(const void* data, size_t size,
                                       const llmopt_load_options* options,
                                       llmopt_model** out_model);
void llmopt_model_free(llmopt_model* model);

/* Model facts. */
uint32_t llmopt_model_format_version(const llmopt_model* model);
/* "cpu" or "cuda". A "cuda" artifact holds the same plan plus its GPU code (sessions of it run
 * on the GPU, see llmopt_session_create). */
const char* llmopt_model_target(const llmopt_model* model);
/* "cuda" artifacts: the GPU architectures its code is for ("sm_80,sm_90") and that code's size in
 * bytes (counted in llmopt_model_weight_bytes too); "" and 0 for a "cpu" artifact. */
const char* llmopt_model_cuda_archs(const llmopt_model* model);
uint64_t llmopt_model_cuda_code_bytes(const llmopt_model* model);
const char* llmopt_model_producer(const llmopt_model* model);
uint64_t llmopt_model_weight_bytes(const llmopt_model* model);
size_t llmopt_model_num_ops(const llmopt_model* model);
/* The kernel name of op i ("linear_f32", "add_f32", ...) and its ONNX node name. */
llmopt_status llmopt_model_op(const llmopt_model* model, size_t index, const char** out_kernel,
                              const char** out_node_name);
/* The input of op i that the op overwrites with its output (the two share arena memory: the op
 * runs in place), or -1 when its output has memory of its own (also for a NULL model or an index
 * out of range). */
int32_t llmopt_model_op_in_place_input(const llmopt_model* model, size_t index);
size_t llmopt_model_num_inputs(const llmopt_model* model);
size_t llmopt_model_num_outputs(const llmopt_model* model);
llmopt_status llmopt_model_input_info(const llmopt_model* model, size_t index,
                                      llmopt_tensor_info* out_info);
llmopt_status llmopt_model_output_info(const llmopt_model* model, size_t index,
                                       llmopt_tensor_info* out_info);

/* Sessions: one per concurrent caller. options may be NULL.
 *
 * A session of a "cuda" artifact runs the plan on GPU 0 through the CUDA driver, which the
 * runtime loads when the session is created (libcuda.so.1, or the file named by the environment
 * variable LLMOPT_CUDA_DRIVER; the runtime itself links no CUDA library). Creating it fails with
 * LLMOPT_ERROR_UNSUPPORTED when there is no driver or no GPU, or when the artifact has no code for
 * this GPU's architecture (the message names both). It copies the weights to the GPU once;
 * num_threads is checked but unused. The functions below work as for the CPU, except:
 * - run copies the inputs to the GPU, runs one kernel per op and copies the outputs back into
 *   page-locked memory the session owns (get_output gives that); it fails with
 *   LLMOPT_ERROR_OUT_OF_MEMORY when GPU memory runs out, and with LLMOPT_ERROR_STATE when the GPU
 *   fails (a kernel fault, a lost device: the process's CUDA context may then be unusable);
 * - llmopt_session_arena_bytes is the GPU arena (the CUDA kernels take no scratch), and
 *   llmopt_session_allocations counts GPU allocations (the arena and the inputs' copies);
 * - profiling times each op on the GPU (CUDA events);
 * - llmopt_session_set_graph_replay launches the ops as one CUDA graph;
 * - the KV cache does not run on the GPU yet: reset, extend, prefill and step fail with
 *   LLMOPT_ERROR_UNSUPPORTED, and the cache length is 0 (run does a plain forward pass). */
llmopt_status llmopt_session_create(const llmopt_model* model,
                                    const llmopt_session_options* options,
                                    llmopt_session** out_session);
void llmopt_session_free(llmopt_session* session);

/* Binds input `index` to caller memory (not copied: keep it alive until run returns). dtype, rank
 * and static dims must match the model; dynamic dims bind the model's symbols, and a symbol bound by
 * two inputs must get the same value from both. A binding stays until replaced, so a later run
 * without set_input reads the same memory again. To change a symbol (e.g. batch), set every input
 * that carries it: set_input compares only with inputs set since the last run (or attempt to run), and run
 * checks all of them. data must be aligned to the dtype size. */
llmopt_status llmopt_session_set_input(llmopt_session* session, size_t index, llmopt_dtype dtype,
                                       int32_t rank, const int64_t* dims, const void* data,
                                       size_t size_bytes);
/* Resolves every tensor's shape for the bound inputs and sizes the arena, without running and
 * without allocating the arena: llmopt_session_arena_bytes then gives what a run with these
 * shapes uses (llmopt inspect --shape). run does this itself. Fails with LLMOPT_ERROR_STATE until
 * every input is set, and as run would for shapes the model cannot take. A plan for new shapes
 * invalidates the outputs of the last run. */
llmopt_status llmopt_session_plan(llmopt_session* session);
/* Runs the plan. Fails with LLMOPT_ERROR_STATE until every input is set. */
llmopt_status llmopt_session_run(llmopt_session* session);
/* A view of output `index` after a successful run, valid until the next run or free. */
llmopt_status llmopt_session_get_output(const llmopt_session* session, size_t index,
                                        llmopt_tensor* out_tensor);
/* Arena bytes the last run or plan used (resolved for the bound shapes); 0 before either. */
uint64_t llmopt_session_arena_bytes(const llmopt_session* session);

/* Incremental decoding with the KV cache. An artifact compiled from a decoder (causal attention)
 * keeps, per attention layer, the keys and values of up to llmopt_model_max_seq positions in the
 * session, so that generating a token runs the model on that token only:
 *
 *   llmopt_session_prefill(session, prompt, prompt_len);   // logits [1, prompt_len, vocab]
 *   for (;;) { next = pick(last row of output 0); llmopt_session_step(session, next); }
 *
 * The cache memory is allocated by the first prefill (and again only for a larger batch); a step
 * allocates nothing and copies only the new token's keys and values into the cache.
 * llmopt_session_run stays a plain forward pass: it ignores the cache and leaves it alone. */
/* The positions the model's KV cache holds; 0 when it has none. */
int64_t llmopt_model_max_seq(const llmopt_model* model);
/* The element type of the cached keys and values: LLMOPT_DTYPE_F32, LLMOPT_DTYPE_F16 (half the
 * memory and the bytes a step reads) or LLMOPT_DTYPE_I8 (a quarter, with a scale per position;
 * llmopt compile --kv-cache-type). F32 when there is none. */
llmopt_dtype llmopt_model_kv_cache_dtype(const llmopt_model* model);
/* Empties the session's cache (keeps its memory). LLMOPT_ERROR_STATE without a cache. */
llmopt_status llmopt_session_reset(llmopt_session* session);
/* Positions in the session's cache. */
int64_t llmopt_session_cache_length(const llmopt_session* session);
/* Runs the bound inputs (e.g. input_ids [batch, n]) as the continuation of the cached sequence:
 * their positions start at the cache length, they attend to every cached position, and they
 * are appended to the cache. LLMOPT_ERROR_STATE when they do not fit in max_seq, or when the
 * batch differs from the cached sequence's (reset first). */
llmopt_status llmopt_session_extend(llmopt_session* session);
/* For models whose one input is int64 token ids [batch, seq]: reset, then extend with
 * tokens[0, count) as [1, count] (copied; the caller's memory need not outlive the call). When
 * output 0 comes straight from a linear layer (an LM head), prefill computes its last position
 * only, which is all generation needs: output 0 is then [1, 1, vocab] (extend gives every
 * position's). */
llmopt_status llmopt_session_prefill(llmopt_session* session, const int64_t* tokens, size_t count);
/* Extend with one token ([1, 1]); LLMOPT_ERROR_STATE when the cache is empty (prefill first). */
llmopt_status llmopt_session_step(llmopt_session* session, int64_t token);
/* How many times the session has allocated working memory (its arena, its KV cache) so far: it
 * grows when a run needs more than any before, never on a decoding step after the first. */
uint64_t llmopt_session_allocations(const llmopt_session* session);

/* Profiling (off by default): while on, every successful run adds each op's wall time to that
 * op's total (ops run one after the other, each on all of the session's threads). Turning it on
 * clears the totals; turning it off keeps them. Ops are numbered as llmopt_model_op numbers
 * them. */
llmopt_status llmopt_session_set_profiling(llmopt_session* session, int enable);
/* CUDA graph replay (off by default; sessions of "cuda" artifacts only): while on, a run launches
 * its ops' kernels as one CUDA graph instead of one launch per op. The first run for a set of
 * shapes captures the graph; it is captured again when the shapes or the session's GPU buffers
 * change (a larger arena). The inputs' and outputs' copies stay outside the graph, and a
 * profiling run launches op by op. LLMOPT_ERROR_UNSUPPORTED for a CPU session, or when the CUDA
 * driver predates graphs (CUDA 11.4). */
llmopt_status llmopt_session_set_graph_replay(llmopt_session* session, int enable);
/* The number of runs profiled since profiling was last turned on (0 for a NULL session). */
uint64_t llmopt_session_profiled_runs(const llmopt_session* session);
/* Op `index`'s total seconds over those runs. */
llmopt_status llmopt_session_op_seconds(const llmopt_session* session, size_t index,
                                        double* out_seconds);

#ifdef __cplusplus
} /* extern "C" */
#endif
#endif /* LLMOPT_RUNTIME_H */
