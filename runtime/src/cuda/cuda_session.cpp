#include "cuda/cuda_session.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "cuda/op_args_fill.h"
#include "kernels/cuda/op_args.h"

namespace llmopt::rt {
namespace {

constexpr uint64_t kMinDeviceBytes = 256;  // no zero-byte allocations; cuMemAlloc's alignment

void* devicePointer(CUdeviceptr pointer) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(pointer));
}

// Makes a context current on the calling thread for the scope of one call (the C API may be
// called from any thread), then restores the one that was.
class ContextScope {
 public:
  ContextScope(const CudaDriver& driver, CUcontext context)
      : driver_(driver), result_(driver.cuCtxPushCurrent(context)) {}
  ~ContextScope() {
    CUcontext popped;
    if (result_ == kCudaSuccess) driver_.cuCtxPopCurrent(&popped);
  }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;
  Status status() const {
    return result_ == kCudaSuccess ? LLMOPT_OK : cudaFail(driver_, result_, "cuCtxPushCurrent_v2");
  }

 private:
  const CudaDriver& driver_;
  CUresult result_;
};

bool isGather(OpKernel kernel) {
  switch (kernel) {
    case OpKernel::Gather:
    case OpKernel::GatherInt8:
    case OpKernel::GatherInt4:
    case OpKernel::GatherF16:
    case OpKernel::GatherBF16: return true;
    default: return false;
  }
}

Status kvCacheUnsupported() {
  return fail(LLMOPT_ERROR_UNSUPPORTED, "the KV cache does not run on CUDA yet");
}

}  // namespace

CudaSession::CudaSession(const Model& model, const CudaDriver& driver)
    : model_(model),
      desc_(model.desc),
      driver_(driver),
      host_(model, 1),
      kernels_(model.desc.ops.size(), nullptr),
      inputs_(model.desc.inputs.size()),
      input_data_(model.desc.inputs.size(), nullptr),
      data_(model.desc.tensors.size(), nullptr),
      faults_host_(model.desc.ops.size(), 0),
      outputs_(model.desc.outputs.size()) {}

Status CudaSession::create(const Model& model, std::unique_ptr<CudaSession>* out) {
  out->reset();
  const CudaDriver* driver = nullptr;
  LLMOPT_TRY(loadCudaDriver(&driver));
  std::unique_ptr<CudaSession> session(new CudaSession(model, *driver));
  LLMOPT_TRY(session->open());  // on failure the destructor releases what open() made
  *out = std::move(session);
  return LLMOPT_OK;
}

CudaSession::~CudaSession() {
  if (!context_) return;
  {
    ContextScope scope(driver_, context_);
    destroyGraph();
    for (CUevent event : events_)
      if (event) driver_.cuEventDestroy(event);
    release(&weights_);
    release(&arena_);
    release(&faults_);
    for (DeviceBuffer& buffer : inputs_) release(&buffer);
    for (HostBuffer& buffer : outputs_) releaseHost(&buffer);
    if (module_) driver_.cuModuleUnload(module_);
    if (stream_) driver_.cuStreamDestroy(stream_);  // idle: every run synchronised
  }
  driver_.cuDevicePrimaryCtxRelease(device_);
}

Status CudaSession::open() {
  LLMOPT_TRY(openDevice());
  ContextScope scope(driver_, context_);
  LLMOPT_TRY(scope.status());
  LLMOPT_CU(driver_, cuStreamCreate, &stream_, 0);
  LLMOPT_TRY(loadKernels());
  LLMOPT_TRY(uploadWeights());
  return reserve(&faults_, desc_.ops.size() * sizeof(int32_t), /*count=*/false);
}

// Device 0, its name and architecture, and its primary context (the one the CUDA runtime and
// other libraries of the process share).
Status CudaSession::openDevice() {
  LLMOPT_CU(driver_, cuDeviceGet, &device_, 0);
  char name[256] = {};
  LLMOPT_CU(driver_, cuDeviceGetName, name, static_cast<int>(sizeof name) - 1, device_);
  device_name_ = name;
  int major = 0, minor = 0;
  LLMOPT_CU(driver_, cuDeviceGetAttribute, &major, kCuDeviceAttributeComputeCapabilityMajor,
            device_);
  LLMOPT_CU(driver_, cuDeviceGetAttribute, &minor, kCuDeviceAttributeComputeCapabilityMinor,
            device_);
  char arch[32];
  std::snprintf(arch, sizeof arch, "sm_%d%d", major, minor);
  device_arch_ = arch;
  CUcontext context = nullptr;
  LLMOPT_CU(driver_, cuDevicePrimaryCtxRetain, &context, device_);
  context_ = context;  // from now on the destructor releases it
  return LLMOPT_OK;
}

Status CudaSession::loadKernels() {
  if (!desc_.cuda_image || desc_.cuda_image_bytes == 0)
    return fail(LLMOPT_ERROR_INVALID_ARTIFACT, "the cuda artifact carries no GPU code");
  const CUresult loaded = driver_.cuModuleLoadData(&module_, desc_.cuda_image);
  if (loaded == kCudaErrorNoBinaryForGpu || loaded == kCudaErrorUnsupportedPtxVersion ||
      loaded == kCudaErrorInvalidImage) {
    char why[256];
    describeCudaError(driver_, loaded, why, sizeof why);
    return fail(LLMOPT_ERROR_UNSUPPORTED,
                "the artifact's GPU code is for %s and cannot run on %s (%s): cuModuleLoadData: "
                "%s (llmopt compile --cuda-arch %s)",
                desc_.cuda_arch_list, device_name_.c_str(), device_arch_.c_str(), why,
                device_arch_.c_str());
  }
  if (loaded != kCudaSuccess) return cudaFail(driver_, loaded, "cuModuleLoadData");
  // Each kernel looked up once, at its first op; a linear layer's GEMV kernel too.
  std::vector<CUfunction> functions(desc_.cuda_kernel_count, nullptr);
  std::vector<CUfunction> gemv_functions(desc_.cuda_kernel_count, nullptr);
  gemv_kernels_.assign(kernels_.size(), nullptr);
  for (size_t i = 0; i < kernels_.size(); ++i) {
    const uint32_t k = desc_.cuda_op_kernels[i];
    const bool linear = isCudaLinear(desc_.ops[i].kernel);
    if (!functions[k]) {
      LLMOPT_TRY(findKernel(i, k, "", &functions[k]));
      if (linear) LLMOPT_TRY(findKernel(i, k, "_gemv", &gemv_functions[k]));
    }
    kernels_[i] = functions[k];
    gemv_kernels_[i] = linear ? gemv_functions[k] : nullptr;
  }
  return LLMOPT_OK;
}

Status CudaSession::findKernel(size_t op, uint32_t kernel, const char* suffix, CUfunction* out) {
  char name[48];
  std::snprintf(name, sizeof name, "llmopt_k%u%s", kernel, suffix);
  const CUresult found = driver_.cuModuleGetFunction(out, module_, name);
  if (found == kCudaSuccess) return LLMOPT_OK;
  char why[256];
  describeCudaError(driver_, found, why, sizeof why);
  return fail(found == kCudaErrorNotFound ? LLMOPT_ERROR_INVALID_ARTIFACT : LLMOPT_ERROR_STATE,
              "op '%s' (%s): the artifact's GPU code has no kernel %s (cuModuleGetFunction: %s)",
              desc_.ops[op].name, opKernelName(desc_.ops[op].kernel), name, why);
}

// The weights blob, once: a constant's device address is at its offset in the blob.
Status CudaSession::uploadWeights() {
  const uint8_t* host = model_.data + model_.header.weights_offset;
  const uint64_t bytes = model_.header.weights_bytes;
  if (bytes > 0) {
    LLMOPT_TRY(reserve(&weights_, bytes, /*count=*/false));
    LLMOPT_CU(driver_, cuMemcpyHtoDAsync, weights_.pointer, host, bytes, stream_);
    LLMOPT_CU(driver_, cuStreamSynchronize, stream_);
  }
  for (size_t t = 0; t < desc_.tensors.size(); ++t) {
    const TensorDesc& tensor = desc_.tensors[t];
    if (tensor.kind != TensorKind::Constant) continue;
    const uint64_t offset = static_cast<uint64_t>(tensor.constant_data - host);
    if (tensor.constant_data < host || offset > bytes)  // the loader checked it
      return fail(LLMOPT_ERROR_INVALID_ARTIFACT, "constant '%s' is outside the weights blob",
                  tensor.name);
    data_[t] = devicePointer(weights_.pointer + offset);
  }
  return LLMOPT_OK;
}

// Makes `buffer` at least `bytes` long (contents not kept when it grows). `count`: an
// allocation llmopt_session_allocations reports.
Status CudaSession::reserve(DeviceBuffer* buffer, uint64_t bytes, bool count) {
  if (bytes < kMinDeviceBytes) bytes = kMinDeviceBytes;
  if (buffer->capacity >= bytes) return LLMOPT_OK;
  release(buffer);
  CUdeviceptr pointer = 0;
  const CUresult result = driver_.cuMemAlloc(&pointer, static_cast<size_t>(bytes));
  if (result != kCudaSuccess) {
    const Status status = cudaFail(driver_, result, "cuMemAlloc_v2");
    char what[64];
    std::snprintf(what, sizeof what, "%" PRIu64 " bytes of GPU memory", bytes);
    prefixLastError(what);
    return status;
  }
  buffer->pointer = pointer;
  buffer->capacity = bytes;
  if (count) ++allocations_;
  return LLMOPT_OK;
}

void CudaSession::release(DeviceBuffer* buffer) {
  if (buffer->pointer) driver_.cuMemFree(buffer->pointer);
  *buffer = DeviceBuffer();
}

// Makes `buffer` at least `bytes` long (contents not kept when it grows), page-locked if the
// driver grants it.
Status CudaSession::reserveHost(HostBuffer* buffer, uint64_t bytes) {
  if (bytes < kMinDeviceBytes) bytes = kMinDeviceBytes;
  if (buffer->capacity >= bytes) return LLMOPT_OK;
  releaseHost(buffer);
  void* data = nullptr;
  if (driver_.cuMemHostAlloc(&data, static_cast<size_t>(bytes), 0) == kCudaSuccess && data) {
    buffer->pinned = true;
  } else {
    data = std::malloc(static_cast<size_t>(bytes));
    if (!data)
      return fail(LLMOPT_ERROR_OUT_OF_MEMORY,
                  "cannot allocate %" PRIu64 " bytes of host memory for an output", bytes);
  }
  buffer->data = data;
  buffer->capacity = bytes;
  return LLMOPT_OK;
}

void CudaSession::releaseHost(HostBuffer* buffer) {
  if (buffer->data) {
    if (buffer->pinned)
      driver_.cuMemFreeHost(buffer->data);
    else
      std::free(buffer->data);
  }
  *buffer = HostBuffer();
}

Status CudaSession::setInput(size_t index, llmopt_dtype dtype, int32_t rank, const int64_t* dims,
                             const void* data, size_t size_bytes) {
  LLMOPT_TRY(host_.setInput(index, dtype, rank, dims, data, size_bytes));
  input_data_[index] = data;
  return LLMOPT_OK;
}

Status CudaSession::plan() {
  const Status status = host_.plan();
  if (host_.symbols() != run_symbols_) outputs_valid_ = false;  // other shapes than the outputs'
  return status;
}

Status CudaSession::run() {
  outputs_valid_ = false;
  LLMOPT_TRY(host_.planRun());
  ContextScope scope(driver_, context_);
  LLMOPT_TRY(scope.status());
  LLMOPT_TRY(runOnDevice());
  run_symbols_ = host_.symbols();
  outputs_valid_ = true;
  return LLMOPT_OK;
}

// Enqueues the run and waits for it even when enqueueing failed part way, so that nothing in
// flight outlives the call (the caller's inputs, the output buffers).
Status CudaSession::runOnDevice() {
  const ArenaLayout& layout = host_.layout();
  LLMOPT_TRY(reserve(&arena_, layout.scratch_offset, /*count=*/true));
  for (size_t i = 0; i < inputs_.size(); ++i)
    LLMOPT_TRY(reserve(&inputs_[i], host_.tensorByteCounts()[desc_.inputs[i]], /*count=*/true));
  if (profiling_ && events_.empty()) LLMOPT_TRY(createEvents());
  for (size_t t = 0; t < desc_.tensors.size(); ++t) {
    const int32_t slot = desc_.tensors[t].slot;
    if (slot >= 0) data_[t] = devicePointer(arena_.pointer + layout.slot_offsets[slot]);
  }
  for (size_t i = 0; i < inputs_.size(); ++i)
    data_[desc_.inputs[i]] = devicePointer(inputs_[i].pointer);
  for (size_t o = 0; o < outputs_.size(); ++o)  // before anything is in flight
    LLMOPT_TRY(reserveHost(&outputs_[o], host_.tensorByteCounts()[desc_.outputs[o]]));

  const Status enqueued = enqueueRun();
  const CUresult synced = driver_.cuStreamSynchronize(stream_);
  LLMOPT_TRY(enqueued);
  if (synced != kCudaSuccess) return cudaFail(driver_, synced, "cuStreamSynchronize");
  LLMOPT_TRY(checkFaults());
  if (profiling_) LLMOPT_TRY(addOpTimes());
  return LLMOPT_OK;
}

// Inputs up, the ops (the fault words zeroed, one kernel per op; or their graph), the fault words
// and outputs down.
Status CudaSession::enqueueRun() {
  const std::vector<uint64_t>& bytes = host_.tensorByteCounts();
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const uint64_t size = bytes[desc_.inputs[i]];
    if (size > 0)
      LLMOPT_CU(driver_, cuMemcpyHtoDAsync, inputs_[i].pointer, input_data_[i], size, stream_);
  }
  const size_t ops = desc_.ops.size();
  if (graph_replay_ && !profiling_)
    LLMOPT_TRY(launchGraph());
  else
    LLMOPT_TRY(enqueueOps());
  if (ops > 0)
    LLMOPT_CU(driver_, cuMemcpyDtoHAsync, faults_host_.data(), faults_.pointer,
              ops * sizeof(int32_t), stream_);
  for (size_t o = 0; o < outputs_.size(); ++o) {
    const uint32_t t = desc_.outputs[o];
    if (bytes[t] > 0)
      LLMOPT_CU(driver_, cuMemcpyDtoHAsync, outputs_[o].data,
                static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(data_[t])), bytes[t], stream_);
  }
  return LLMOPT_OK;
}

Status CudaSession::enqueueOps() {
  const size_t ops = desc_.ops.size();
  if (ops > 0) LLMOPT_CU(driver_, cuMemsetD32Async, faults_.pointer, 0, ops, stream_);
  for (size_t i = 0; i < ops; ++i) {
    if (profiling_) LLMOPT_CU(driver_, cuEventRecord, events_[i], stream_);
    LLMOPT_TRY(launchOp(i));
  }
  if (profiling_) LLMOPT_CU(driver_, cuEventRecord, events_[ops], stream_);
  return LLMOPT_OK;
}

Status CudaSession::setGraphReplay(bool enable) {
  if (enable && !driver_.hasGraphs())
    return fail(
        LLMOPT_ERROR_UNSUPPORTED,
        "CUDA graph replay needs a CUDA 11.4 or newer driver (cuGraphInstantiateWithFlags)");
  if (!enable) {
    ContextScope scope(driver_, context_);
    LLMOPT_TRY(scope.status());
    destroyGraph();
  }
  graph_replay_ = enable;
  return LLMOPT_OK;
}

// What a captured graph depends on besides the plan: the symbols (every shape, and so every
// launch's grid and operands' sizes) and the device buffers (every operand's address; the
// weights and the fault words never move).
std::vector<uint64_t> CudaSession::graphKey() const {
  std::vector<uint64_t> key(host_.symbols().begin(), host_.symbols().end());
  key.push_back(arena_.pointer);
  for (const DeviceBuffer& input : inputs_) key.push_back(input.pointer);
  return key;
}

// The ops' launches as a graph: captured (on this thread only: the mode leaves other threads'
// CUDA calls alone) when there is none for these shapes and buffers, then launched.
Status CudaSession::launchGraph() {
  std::vector<uint64_t> key = graphKey();
  if (!graph_exec_ || key != graph_key_) {
    destroyGraph();
    LLMOPT_CU(driver_, cuStreamBeginCapture, stream_, kCuStreamCaptureModeThreadLocal);
    const Status enqueued = enqueueOps();  // recorded, not run
    CUgraph graph = nullptr;
    const CUresult ended = driver_.cuStreamEndCapture(stream_, &graph);
    if (enqueued != LLMOPT_OK) {
      if (ended == kCudaSuccess && graph) driver_.cuGraphDestroy(graph);
      return enqueued;
    }
    if (ended != kCudaSuccess) return cudaFail(driver_, ended, "cuStreamEndCapture");
    graph_ = graph;
    CUgraphExec exec = nullptr;
    const CUresult instantiated = driver_.cuGraphInstantiateWithFlags(&exec, graph_, 0);
    if (instantiated != kCudaSuccess) {
      destroyGraph();
      return cudaFail(driver_, instantiated, "cuGraphInstantiateWithFlags");
    }
    graph_exec_ = exec;
    graph_key_ = std::move(key);
  }
  LLMOPT_CU(driver_, cuGraphLaunch, graph_exec_, stream_);
  return LLMOPT_OK;
}

// With the session's context current.
void CudaSession::destroyGraph() {
  if (graph_exec_) driver_.cuGraphExecDestroy(graph_exec_);
  if (graph_) driver_.cuGraphDestroy(graph_);
  graph_exec_ = nullptr;
  graph_ = nullptr;
  graph_key_.clear();
}

// One kernel, its OpArgs the only parameter (the driver copies it at the launch). An op without
// output elements has nothing to do.
Status CudaSession::launchOp(size_t index) {
  const OpDesc& op = desc_.ops[index];
  if (host_.shapes()[op.output].elements() == 0) return LLMOPT_OK;
  cuda::OpArgs args;
  int32_t* fault = static_cast<int32_t*>(devicePointer(faults_.pointer)) + index;
  LLMOPT_TRY(fillCudaOpArgs(desc_, op, host_.shapes().data(), host_.symbols().data(), data_.data(),
                            fault, &args));
  void* params[] = {&args};
  const unsigned blocks = static_cast<unsigned>(cudaGridBlocks(op.kernel, args.out.numel));
  const CUfunction kernel = gemv_kernels_[index] && cuda::linearUsesBlockTeam(args.out.numel)
                                ? gemv_kernels_[index]
                                : kernels_[index];
  const CUresult result = driver_.cuLaunchKernel(kernel, blocks, 1, 1, cuda::kThreadsPerBlock, 1, 1,
                                                 0, stream_, params, nullptr);
  if (result == kCudaSuccess) return LLMOPT_OK;
  const Status status = cudaFail(driver_, result, "cuLaunchKernel");
  char what[256];
  std::snprintf(what, sizeof what, "op '%s' (%s)", op.name, opKernelName(op.kernel));
  prefixLastError(what);
  return status;
}

// The first op whose kernel reported bad data (a gather index out of range) fails the run.
Status CudaSession::checkFaults() const {
  for (size_t i = 0; i < faults_host_.size(); ++i) {
    if (faults_host_[i] == 0) continue;
    const OpDesc& op = desc_.ops[i];
    if (isGather(op.kernel)) {
      const bool plain = op.kernel == OpKernel::Gather;
      const uint32_t data = op.inputs[0], indices = op.inputs[1];
      const int64_t dim = plain ? host_.shapes()[data].dims[op.axis] : op.n;  // n: table rows
      return fail(LLMOPT_ERROR_INVALID_ARGUMENT,
                  "op '%s' (%s): a gather index (from '%s') is outside [-%" PRId64 ", %" PRId64
                  ") along axis %d of '%s'",
                  op.name, opKernelName(op.kernel), desc_.tensors[indices].name, dim, dim,
                  plain ? op.axis : 0, desc_.tensors[data].name);
    }
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "op '%s' (%s): its kernel reported bad data",
                op.name, opKernelName(op.kernel));
  }
  return LLMOPT_OK;
}

Status CudaSession::output(size_t index, llmopt_tensor* out) const {
  if (index >= desc_.outputs.size())
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "output index %zu is out of range (%zu outputs)",
                index, desc_.outputs.size());
  if (!outputs_valid_)
    return fail(LLMOPT_ERROR_STATE, "output '%s' is not available: no successful run yet",
                desc_.tensors[desc_.outputs[index]].name);
  const uint32_t t = desc_.outputs[index];
  const Shape& shape = host_.shapes()[t];
  out->dtype = desc_.tensors[t].dtype;
  out->rank = shape.rank;
  for (int d = 0; d < kMaxRank; ++d) out->dims[d] = d < shape.rank ? shape.dims[d] : 0;
  out->data = outputs_[index].data;
  out->size_bytes = static_cast<size_t>(host_.tensorByteCounts()[t]);  // the run's shapes
  return LLMOPT_OK;
}

Status CudaSession::resetCache() { return kvCacheUnsupported(); }
Status CudaSession::runCached() { return kvCacheUnsupported(); }
Status CudaSession::prefill(const int64_t*, size_t) { return kvCacheUnsupported(); }
Status CudaSession::step(int64_t) { return kvCacheUnsupported(); }

void CudaSession::setProfiling(bool enable) {
  profiling_ = enable;
  if (!enable) return;
  op_seconds_.assign(desc_.ops.size(), 0.0);
  profiled_runs_ = 0;
}

// Made by the first profiled run (in the run's context), kept until the session ends.
Status CudaSession::createEvents() {
  std::vector<CUevent> events(desc_.ops.size() + 1, nullptr);
  for (CUevent& event : events) {
    const CUresult result = driver_.cuEventCreate(&event, 0);
    if (result == kCudaSuccess) continue;
    for (CUevent made : events)
      if (made) driver_.cuEventDestroy(made);
    return cudaFail(driver_, result, "cuEventCreate");
  }
  events_ = std::move(events);
  return LLMOPT_OK;
}

Status CudaSession::addOpTimes() {
  for (size_t i = 0; i < desc_.ops.size(); ++i) {
    float milliseconds = 0.0f;
    LLMOPT_CU(driver_, cuEventElapsedTime, &milliseconds, events_[i], events_[i + 1]);
    op_seconds_[i] += milliseconds * 1e-3;
  }
  ++profiled_runs_;
  return LLMOPT_OK;
}

}  // namespace llmopt::rt
