// The C API (llmopt/runtime.h): argument checks, object lifetimes, and the boundary where C++
// allocation failures become LLMOPT_ERROR_OUT_OF_MEMORY.

// First include, with default visibility: these are the only symbols the shared library exports
// (everything else is built with -fvisibility=hidden).
#pragma GCC visibility push(default)
#include "llmopt/runtime.h"
#pragma GCC visibility pop

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "dtype.h"
#include "kernels/cpu/generic/attention.h"
#include "kernels/cpu/generic/gemm_microkernel.h"
#include "kernels/cpu/generic/qdecode.h"
#include "kernels/cpu/generic/qgemm_microkernel.h"
#include "kernels/cpu/generic/vmath.h"
#include "error.h"
#include "cuda/cuda_session.h"
#include "loader.h"
#include "model.h"
#include "session.h"

struct llmopt_model {
  llmopt::rt::Model model;
};

// One of the two: a CPU session, or for a "cuda" artifact a CUDA one.
struct llmopt_session {
  std::optional<llmopt::rt::Session> cpu;
  std::unique_ptr<llmopt::rt::CudaSession> cuda;
};

namespace {

using llmopt::rt::fail;
using llmopt::rt::Status;

constexpr int kMaxThreads = 1024;

// Runs `body`, turning C++ exceptions (allocation, thread start) into status codes: none may
// cross the C boundary.
template <class Body>
Status guarded(const char* function, Body&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(LLMOPT_ERROR_OUT_OF_MEMORY, "%s: out of memory", function);
  } catch (const std::length_error&) {
    return fail(LLMOPT_ERROR_OUT_OF_MEMORY, "%s: out of memory", function);
  } catch (const std::system_error& e) {
    return fail(LLMOPT_ERROR_OUT_OF_MEMORY, "%s: %s", function, e.what());
  } catch (const std::exception& e) {
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "%s: %s", function, e.what());
  }
}

// `call` (a generic lambda) on whichever session `s` holds.
template <class SessionHandle, class Call>
decltype(auto) onSession(SessionHandle* s, Call&& call) {
  return s->cuda ? call(*s->cuda) : call(*s->cpu);
}

Status nullArgument(const char* function, const char* argument) {
  return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", function, argument);
}

}  // namespace

extern "C" {

const char* llmopt_last_error(void) { return llmopt::rt::lastError(); }

const char* llmopt_status_name(llmopt_status status) {
  switch (status) {
    case LLMOPT_OK: return "ok";
    case LLMOPT_ERROR_IO: return "io error";
    case LLMOPT_ERROR_INVALID_ARTIFACT: return "invalid artifact";
    case LLMOPT_ERROR_UNSUPPORTED: return "unsupported";
    case LLMOPT_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case LLMOPT_ERROR_OUT_OF_MEMORY: return "out of memory";
    case LLMOPT_ERROR_STATE: return "wrong state";
    case LLMOPT_STATUS_MAX_ENUM: break;
  }
  return "unknown status";
}

const char* llmopt_dtype_name(llmopt_dtype dtype) { return llmopt::rt::dtypeName(dtype); }

size_t llmopt_dtype_size(llmopt_dtype dtype) { return llmopt::rt::dtypeSize(dtype); }

const char* llmopt_kernel_variants(void) {
  namespace kc = llmopt::kernels::cpu;
  static const std::string text = std::string("gemm=") + kc::bestGemmMicrokernel().name +
                                  " qgemm=" + kc::bestQGemmVariant().name +
                                  " qdecode=" + kc::bestQDecodeVariant().name +
                                  " vmath=" + kc::bestVMathVariant().name +
                                  " attention=" + kc::bestAttentionVariant().name;
  return text.c_str();
}

llmopt_status llmopt_model_load_file(const char* path, const llmopt_load_options* options,
                                     llmopt_model** out_model) {
  static const char* kFn = "llmopt_model_load_file";
  if (!out_model) return nullArgument(kFn, "out_model");
  *out_model = nullptr;
  if (!path) return nullArgument(kFn, "path");
  return guarded(kFn, [&]() -> Status {
    auto model = std::make_unique<llmopt_model>();
    LLMOPT_TRY(llmopt::rt::loadModelFile(path, options, &model->model));
    *out_model = model.release();
    return LLMOPT_OK;
  });
}

llmopt_status llmopt_model_load_memory(const void* data, size_t size,
                                       const llmopt_load_options* options,
                                       llmopt_model** out_model) {
  static const char* kFn = "llmopt_model_load_memory";
  if (!out_model) return nullArgument(kFn, "out_model");
  *out_model = nullptr;
  if (!data && size > 0) return nullArgument(kFn, "data");
  // The plan and weights are read in place as 8-byte scalars and floats.
  if (reinterpret_cast<uintptr_t>(data) % 8 != 0)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                "%s: data must be 8-byte aligned (malloc'd memory is)", kFn);
  return guarded(kFn, [&]() -> Status {
    auto model = std::make_unique<llmopt_model>();
    model->model.data = static_cast<const uint8_t*>(data);
    model->model.size = size;
    LLMOPT_TRY(llmopt::rt::loadModel(options, &model->model));
    *out_model = model.release();
    return LLMOPT_OK;
  });
}

void llmopt_model_free(llmopt_model* model) { delete model; }

uint32_t llmopt_model_format_version(const llmopt_model* model) {
  return model ? model->model.header.format_version : 0;
}

const char* llmopt_model_target(const llmopt_model* model) {
  return model ? model->model.desc.target : "";
}

const char* llmopt_model_cuda_archs(const llmopt_model* model) {
  return model ? model->model.desc.cuda_arch_list : "";
}

uint64_t llmopt_model_cuda_code_bytes(const llmopt_model* model) {
  return model ? model->model.desc.cuda_image_bytes : 0;
}

const char* llmopt_model_producer(const llmopt_model* model) {
  return model ? model->model.desc.producer : "";
}

uint64_t llmopt_model_weight_bytes(const llmopt_model* model) {
  return model ? model->model.header.weights_bytes : 0;
}

size_t llmopt_model_num_ops(const llmopt_model* model) {
  return model ? model->model.desc.ops.size() : 0;
}

llmopt_status llmopt_model_op(const llmopt_model* model, size_t index, const char** out_kernel,
                              const char** out_node_name) {
  static const char* kFn = "llmopt_model_op";
  if (!model) return nullArgument(kFn, "model");
  const auto& ops = model->model.desc.ops;
  if (index >= ops.size())
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "%s: op index %zu is out of range (%zu ops)", kFn,
                index, ops.size());
  if (out_kernel) *out_kernel = llmopt::rt::opKernelName(ops[index].kernel);
  if (out_node_name) *out_node_name = ops[index].name;
  return LLMOPT_OK;
}

int32_t llmopt_model_op_in_place_input(const llmopt_model* model, size_t index) {
  if (!model || index >= model->model.desc.ops.size()) return -1;
  // The loader allowed an input to share the output's slot only for an in-place write.
  const llmopt::rt::ModelDesc& desc = model->model.desc;
  const llmopt::rt::OpDesc& op = desc.ops[index];
  const int32_t slot = desc.tensors[op.output].slot;
  for (size_t j = 0; j < op.inputs.size(); ++j)
    if (slot >= 0 && desc.tensors[op.inputs[j]].slot == slot) return static_cast<int32_t>(j);
  return -1;
}

size_t llmopt_model_num_inputs(const llmopt_model* model) {
  return model ? model->model.input_infos.size() : 0;
}

size_t llmopt_model_num_outputs(const llmopt_model* model) {
  return model ? model->model.output_infos.size() : 0;
}

llmopt_status llmopt_model_input_info(const llmopt_model* model, size_t index,
                                      llmopt_tensor_info* out_info) {
  static const char* kFn = "llmopt_model_input_info";
  if (!model) return nullArgument(kFn, "model");
  if (!out_info) return nullArgument(kFn, "out_info");
  const auto& infos = model->model.input_infos;
  if (index >= infos.size())
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "%s: input index %zu is out of range (%zu inputs)",
                kFn, index, infos.size());
  *out_info = infos[index];
  return LLMOPT_OK;
}

llmopt_status llmopt_model_output_info(const llmopt_model* model, size_t index,
                                       llmopt_tensor_info* out_info) {
  static const char* kFn = "llmopt_model_output_info";
  if (!model) return nullArgument(kFn, "model");
  if (!out_info) return nullArgument(kFn, "out_info");
  const auto& infos = model->model.output_infos;
  if (index >= infos.size())
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                "%s: output index %zu is out of range (%zu outputs)", kFn, index, infos.size());
  *out_info = infos[index];
  return LLMOPT_OK;
}

llmopt_status llmopt_session_create(const llmopt_model* model,
                                    const llmopt_session_options* options,
                                    llmopt_session** out_session) {
  static const char* kFn = "llmopt_session_create";
  if (!out_session) return nullArgument(kFn, "out_session");
  *out_session = nullptr;
  if (!model) return nullArgument(kFn, "model");
  const int requested = options ? options->num_threads : 0;
  if (requested < 0 || requested > kMaxThreads)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "%s: num_threads is %d (use 0 to %d)", kFn,
                requested, kMaxThreads);
  return guarded(kFn, [&]() -> Status {
    auto session = std::make_unique<llmopt_session>();
    if (std::strcmp(model->model.desc.target, "cuda") == 0)
      LLMOPT_TRY(llmopt::rt::CudaSession::create(model->model, &session->cuda));
    else
      session->cpu.emplace(model->model, llmopt::rt::resolveThreadCount(requested));
    *out_session = session.release();
    return LLMOPT_OK;
  });
}

void llmopt_session_free(llmopt_session* session) { delete session; }

llmopt_status llmopt_session_set_input(llmopt_session* session, size_t index, llmopt_dtype dtype,
                                       int32_t rank, const int64_t* dims, const void* data,
                                       size_t size_bytes) {
  if (!session) return nullArgument("llmopt_session_set_input", "session");
  return guarded("llmopt_session_set_input", [&] {
    return onSession(
        session, [&](auto& s) { return s.setInput(index, dtype, rank, dims, data, size_bytes); });
  });
}

llmopt_status llmopt_session_plan(llmopt_session* session) {
  if (!session) return nullArgument("llmopt_session_plan", "session");
  return guarded("llmopt_session_plan",
                 [&] { return onSession(session, [&](auto& s) { return s.plan(); }); });
}

llmopt_status llmopt_session_run(llmopt_session* session) {
  if (!session) return nullArgument("llmopt_session_run", "session");
  return guarded("llmopt_session_run",
                 [&] { return onSession(session, [&](auto& s) { return s.run(); }); });
}

int64_t llmopt_model_max_seq(const llmopt_model* model) {
  return model ? model->model.desc.kv_cache_max_seq : 0;
}

llmopt_dtype llmopt_model_kv_cache_dtype(const llmopt_model* model) {
  if (!model) return LLMOPT_DTYPE_F32;
  switch (model->model.desc.kv_cache_type) {
    case llmopt::kernels::cpu::KvCacheType::F16: return LLMOPT_DTYPE_F16;
    case llmopt::kernels::cpu::KvCacheType::I8: return LLMOPT_DTYPE_I8;
    default: return LLMOPT_DTYPE_F32;
  }
}

llmopt_status llmopt_session_reset(llmopt_session* session) {
  if (!session) return nullArgument("llmopt_session_reset", "session");
  return guarded("llmopt_session_reset",
                 [&] { return onSession(session, [&](auto& s) { return s.resetCache(); }); });
}

int64_t llmopt_session_cache_length(const llmopt_session* session) {
  return session ? onSession(session, [&](auto& s) { return s.cacheLength(); }) : 0;
}

llmopt_status llmopt_session_extend(llmopt_session* session) {
  if (!session) return nullArgument("llmopt_session_extend", "session");
  return guarded("llmopt_session_extend",
                 [&] { return onSession(session, [&](auto& s) { return s.runCached(); }); });
}

llmopt_status llmopt_session_prefill(llmopt_session* session, const int64_t* tokens,
                                     size_t count) {
  if (!session) return nullArgument("llmopt_session_prefill", "session");
  return guarded("llmopt_session_prefill", [&] {
    return onSession(session, [&](auto& s) { return s.prefill(tokens, count); });
  });
}

llmopt_status llmopt_session_step(llmopt_session* session, int64_t token) {
  if (!session) return nullArgument("llmopt_session_step", "session");
  return guarded("llmopt_session_step",
                 [&] { return onSession(session, [&](auto& s) { return s.step(token); }); });
}

uint64_t llmopt_session_allocations(const llmopt_session* session) {
  return session ? onSession(session, [&](auto& s) { return s.allocations(); }) : 0;
}

llmopt_status llmopt_session_get_output(const llmopt_session* session, size_t index,
                                        llmopt_tensor* out_tensor) {
  static const char* kFn = "llmopt_session_get_output";
  if (!session) return nullArgument(kFn, "session");
  if (!out_tensor) return nullArgument(kFn, "out_tensor");
  return onSession(session, [&](auto& s) { return s.output(index, out_tensor); });
}

uint64_t llmopt_session_arena_bytes(const llmopt_session* session) {
  return session ? onSession(session, [&](auto& s) { return s.arenaBytes(); }) : 0;
}

llmopt_status llmopt_session_set_profiling(llmopt_session* session, int enable) {
  if (!session) return nullArgument("llmopt_session_set_profiling", "session");
  return guarded("llmopt_session_set_profiling", [&]() -> Status {
    // May allocate the per-op totals.
    onSession(session, [&](auto& s) { s.setProfiling(enable != 0); });
    return LLMOPT_OK;
  });
}

llmopt_status llmopt_session_set_graph_replay(llmopt_session* session, int enable) {
  static const char* kFn = "llmopt_session_set_graph_replay";
  if (!session) return nullArgument(kFn, "session");
  return guarded(kFn, [&]() -> Status {
    if (!session->cuda)
      return fail(LLMOPT_ERROR_UNSUPPORTED,
                  "CUDA graph replay is for sessions of cuda artifacts; this one runs on the CPU");
    return session->cuda->setGraphReplay(enable != 0);
  });
}

uint64_t llmopt_session_profiled_runs(const llmopt_session* session) {
  return session ? onSession(session, [&](auto& s) { return s.profiledRuns(); }) : 0;
}

llmopt_status llmopt_session_op_seconds(const llmopt_session* session, size_t index,
                                        double* out_seconds) {
  static const char* kFn = "llmopt_session_op_seconds";
  if (!session) return nullArgument(kFn, "session");
  if (!out_seconds) return nullArgument(kFn, "out_seconds");
  const size_t ops = onSession(session, [&](auto& s) { return s.numOps(); });
  if (index >= ops)
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "%s: op index %zu is out of range (%zu ops)", kFn,
                index, ops);
  *out_seconds = onSession(session, [&](auto& s) { return s.opSeconds(index); });
  return LLMOPT_OK;
}

}  // extern "C"
