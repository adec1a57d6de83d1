// A session of a "cuda" artifact: the plan's ops run as the artifact's kernels on GPU 0, through
// the driver API loaded at run time (driver_api.h). A CPU Session binds the inputs, resolves the
// shapes and lays out the arena (it never runs an op); the device holds the weights (uploaded
// once), the arena, copies of the inputs and one fault word per op. A run uploads the inputs,
// launches one kernel per op on one stream (or, with graph replay on, launches the CUDA graph
// those launches were captured into), downloads the outputs into page-locked host buffers the
// session owns and synchronises once.
#ifndef LLMOPT_RUNTIME_CUDA_CUDA_SESSION_H
#define LLMOPT_RUNTIME_CUDA_CUDA_SESSION_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cuda/driver_api.h"
#include "error.h"
#include "model.h"
#include "session.h"

namespace llmopt::rt {

class CudaSession {
 public:
  // Loads the driver, retains device 0's primary context, creates the stream, loads the
  // artifact's image and looks up every op's kernel, and uploads the weights. Fails with
  // LLMOPT_ERROR_UNSUPPORTED when there is no driver or device, or when the image has no code for
  // this GPU. May throw std::bad_alloc (caught at the C API).
  static Status create(const Model& model, std::unique_ptr<CudaSession>* out);
  ~CudaSession();
  CudaSession(const CudaSession&) = delete;
  CudaSession& operator=(const CudaSession&) = delete;

  // As Session's: the data stays the caller's until run() has uploaded it.
  Status setInput(size_t index, llmopt_dtype dtype, int32_t rank, const int64_t* dims,
                  const void* data, size_t size_bytes);
  Status plan();
  Status run();
  // The outputs of the last successful run, in host memory the session owns.
  Status output(size_t index, llmopt_tensor* out) const;

  // The KV cache does not run on the GPU yet: LLMOPT_ERROR_UNSUPPORTED.
  Status resetCache();
  Status runCached();
  Status prefill(const int64_t* tokens, size_t count);
  Status step(int64_t token);
  int64_t cacheLength() const { return 0; }

  // Device allocations made for the arena and the input copies so far (they only grow).
  uint64_t allocations() const { return allocations_; }
  // Device arena bytes of the planned shapes: the slots (the CUDA kernels take no scratch).
  uint64_t arenaBytes() const { return host_.layout().scratch_offset; }
  size_t numOps() const { return desc_.ops.size(); }

  // Per-op GPU time (CUDA events around each launch) of the runs made while it is on; turning
  // it on clears the totals.
  void setProfiling(bool enable);
  bool profiling() const { return profiling_; }
  uint64_t profiledRuns() const { return profiled_runs_; }
  double opSeconds(size_t op) const { return op < op_seconds_.size() ? op_seconds_[op] : 0.0; }

  // CUDA graph replay (off by default): runs launch the ops' kernels as one CUDA graph, captured
  // by the first run for the bound shapes and GPU buffers and again whenever they change (a
  // graph's launches hold their operands' addresses and sizes). The input and output copies stay
  // outside the graph (they read and write the caller's and the session's host memory); a run
  // while profiling launches op by op, between its events. LLMOPT_ERROR_UNSUPPORTED when the
  // driver has no graph API.
  Status setGraphReplay(bool enable);

  const std::string& deviceName() const { return device_name_; }
  const std::string& deviceArch() const { return device_arch_; }  // "sm_90"

 private:
  struct DeviceBuffer {
    CUdeviceptr pointer = 0;
    uint64_t capacity = 0;
  };
  // Host memory for an output: page-locked by the driver, so the copy from the GPU is one DMA
  // at the bus's speed rather than staged through the driver's own pinned buffers (GPT-2's
  // logits at 128 tokens are 26 MB); plain memory where the driver will not lock more.
  struct HostBuffer {
    void* data = nullptr;
    uint64_t capacity = 0;
    bool pinned = false;
  };

  CudaSession(const Model& model, const CudaDriver& driver);
  Status open();
  Status openDevice();
  Status loadKernels();
  // llmopt_k<kernel><suffix> into *out, or an error naming op.
  Status findKernel(size_t op, uint32_t kernel, const char* suffix, CUfunction* out);
  Status uploadWeights();
  Status reserve(DeviceBuffer* buffer, uint64_t bytes, bool count);
  void release(DeviceBuffer* buffer);
  Status reserveHost(HostBuffer* buffer, uint64_t bytes);
  void releaseHost(HostBuffer* buffer);
  Status runOnDevice();
  Status enqueueRun();
  Status enqueueOps();  // the fault words zeroed, then one kernel per op
  Status launchGraph();
  std::vector<uint64_t> graphKey() const;
  void destroyGraph();
  Status launchOp(size_t index);
  Status checkFaults() const;
  Status createEvents();
  Status addOpTimes();

  const Model& model_;
  const ModelDesc& desc_;
  const CudaDriver& driver_;
  Session host_;  // bindings, shapes and the arena layout; never runs an op

  CUdevice device_ = 0;
  CUcontext context_ = nullptr;  // device_'s primary context, retained
  CUstream stream_ = nullptr;
  CUmodule module_ = nullptr;
  std::vector<CUfunction> kernels_;       // per op: llmopt_k<desc.cuda_op_kernels[i]>
  std::vector<CUfunction> gemv_kernels_;  // per op: its _gemv kernel (linear layers) or null
  std::string device_name_, device_arch_;

  DeviceBuffer weights_, arena_, faults_;
  std::vector<DeviceBuffer> inputs_;     // device copies of the bound inputs
  std::vector<const void*> input_data_;  // the caller's memory setInput bound
  std::vector<void*> data_;              // per tensor: its device address
  std::vector<int32_t> faults_host_;     // per op: what its kernel reported
  std::vector<HostBuffer> outputs_;      // per model output: the last run's values
  std::vector<int64_t> run_symbols_;     // the symbols outputs_ were computed for
  bool outputs_valid_ = false;
  uint64_t allocations_ = 0;

  bool graph_replay_ = false;
  CUgraph graph_ = nullptr;
  CUgraphExec graph_exec_ = nullptr;
  std::vector<uint64_t> graph_key_;  // what graph_ was captured for (graphKey())

  bool profiling_ = false;
  uint64_t profiled_runs_ = 0;
  std::vector<double> op_seconds_;  // per op, summed over the profiled runs
  std::vector<CUevent> events_;     // ops + 1: recorded before each op and after the last
};

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_CUDA_CUDA_SESSION_H
