// The CUDA driver API, loaded at run time (dlopen of libcuda.so.1): the runtime neither includes
// cuda.h nor links a CUDA library, so a CPU-only build and a machine without a GPU need neither.
#ifndef LLMOPT_RUNTIME_CUDA_DRIVER_API_H
#define LLMOPT_RUNTIME_CUDA_DRIVER_API_H

#include <cstddef>

#include "error.h"

namespace llmopt::rt {

// The few types of the driver API's C ABI (cuda.h, stable since CUDA 4.0 on 64-bit hosts):
// CUresult and CUdevice are int, CUdeviceptr is unsigned long long, the handles are pointers to
// opaque structs, CUdevice_attribute is an int-sized enum.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUstream = struct CUstream_st*;
using CUevent = struct CUevent_st*;
using CUgraph = struct CUgraph_st*;
using CUgraphExec = struct CUgraphExec_st*;

// The values of cuda.h's enums that the runtime uses.
constexpr CUresult kCudaSuccess = 0;                       // CUDA_SUCCESS
constexpr CUresult kCudaErrorOutOfMemory = 2;              // CUDA_ERROR_OUT_OF_MEMORY
constexpr CUresult kCudaErrorStubLibrary = 34;             // CUDA_ERROR_STUB_LIBRARY
constexpr CUresult kCudaErrorInsufficientDriver = 35;      // CUDA_ERROR_INSUFFICIENT_DRIVER
constexpr CUresult kCudaErrorNoDevice = 100;               // CUDA_ERROR_NO_DEVICE
constexpr CUresult kCudaErrorInvalidImage = 200;           // CUDA_ERROR_INVALID_IMAGE
constexpr CUresult kCudaErrorNoBinaryForGpu = 209;         // CUDA_ERROR_NO_BINARY_FOR_GPU
constexpr CUresult kCudaErrorInvalidPtx = 218;             // CUDA_ERROR_INVALID_PTX
constexpr CUresult kCudaErrorUnsupportedPtxVersion = 222;  // CUDA_ERROR_UNSUPPORTED_PTX_VERSION
constexpr CUresult kCudaErrorNotFound = 500;               // CUDA_ERROR_NOT_FOUND
constexpr int kCuStreamCaptureModeThreadLocal = 1;  // CU_STREAM_CAPTURE_MODE_THREAD_LOCAL
constexpr int kCuDeviceAttributeComputeCapabilityMajor = 75;
constexpr int kCuDeviceAttributeComputeCapabilityMinor = 76;

// The driver's entry points, resolved by dlsym under their versioned names (cuda.h maps
// cuMemAlloc to cuMemAlloc_v2 and so on; the unversioned symbols are the old ABIs).
struct CudaDriver {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuGetErrorName)(CUresult error, const char** name);
  CUresult (*cuGetErrorString)(CUresult error, const char** text);
  CUresult (*cuDeviceGetCount)(int* count);
  CUresult (*cuDeviceGet)(CUdevice* device, int ordinal);
  CUresult (*cuDeviceGetName)(char* name, int length, CUdevice device);
  CUresult (*cuDeviceGetAttribute)(int* value, int attribute, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext* context, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice device);      // _v2
  CUresult (*cuCtxPushCurrent)(CUcontext context);             // _v2
  CUresult (*cuCtxPopCurrent)(CUcontext* context);             // _v2
  CUresult (*cuMemAlloc)(CUdeviceptr* pointer, size_t bytes);  // _v2
  CUresult (*cuMemFree)(CUdeviceptr pointer);                  // _v2
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr dst, const void* src, size_t bytes,
                                CUstream stream);  // _v2
  CUresult (*cuMemcpyDtoHAsync)(void* dst, CUdeviceptr src, size_t bytes,
                                CUstream stream);  // _v2
  CUresult (*cuMemsetD32Async)(CUdeviceptr dst, unsigned value, size_t count, CUstream stream);
  CUresult (*cuMemHostAlloc)(void** pointer, size_t bytes, unsigned flags);
  CUresult (*cuMemFreeHost)(void* pointer);
  CUresult (*cuModuleLoadData)(CUmodule* module, const void* image);
  CUresult (*cuModuleGetFunction)(CUfunction* function, CUmodule module, const char* name);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                             unsigned block_x, unsigned block_y, unsigned block_z,
                             unsigned shared_bytes, CUstream stream, void** params, void** extra);
  CUresult (*cuStreamCreate)(CUstream* stream, unsigned flags);
  CUresult (*cuStreamSynchronize)(CUstream stream);
  CUresult (*cuStreamDestroy)(CUstream stream);  // _v2
  CUresult (*cuEventCreate)(CUevent* event, unsigned flags);
  CUresult (*cuEventRecord)(CUevent event, CUstream stream);
  CUresult (*cuEventElapsedTime)(float* milliseconds, CUevent start, CUevent end);  // _v2 or not
  CUresult (*cuEventDestroy)(CUevent event);                                        // _v2
  // CUDA graphs (graph replay): null when the driver is older than CUDA 11.4 (hasGraphs()).
  CUresult (*cuStreamBeginCapture)(CUstream stream, int mode);  // _v2
  CUresult (*cuStreamEndCapture)(CUstream stream, CUgraph* graph);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec* exec, CUgraph graph,
                                          unsigned long long flags);
  CUresult (*cuGraphLaunch)(CUgraphExec exec, CUstream stream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec exec);
  CUresult (*cuGraphDestroy)(CUgraph graph);

  bool hasGraphs() const {
    return cuStreamBeginCapture && cuStreamEndCapture && cuGraphInstantiateWithFlags &&
           cuGraphLaunch && cuGraphExecDestroy && cuGraphDestroy;
  }
};

// The process's driver, initialised (cuInit) and with at least one device: loaded on first use
// from libcuda.so.1, or from the path in the environment variable LLMOPT_CUDA_DRIVER (tests point
// it at a fake). Thread-safe; a loaded table stays valid for the life of the process. A missing
// library or device is LLMOPT_ERROR_UNSUPPORTED ("this artifact targets CUDA, but no CUDA driver
// was found (...)"); a library that failed to load is not remembered, so a later call tries
// again, and cuInit and the device count are checked by every call.
Status loadCudaDriver(const CudaDriver** out);

// The status for a failed driver call, with the message "<call>: <CUDA_ERROR_NAME> (<what the
// driver says>)": out of memory is LLMOPT_ERROR_OUT_OF_MEMORY; no device, driver or code for this
// GPU LLMOPT_ERROR_UNSUPPORTED; a bad image LLMOPT_ERROR_INVALID_ARTIFACT; anything else (a
// kernel fault, a lost device) LLMOPT_ERROR_STATE.
Status cudaFail(const CudaDriver& driver, CUresult result, const char* call);

// "CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)", or "CUDA error 999" when the
// driver cannot name it.
void describeCudaError(const CudaDriver& driver, CUresult result, char* text, size_t size);

}  // namespace llmopt::rt

// Calls driver.call(...) and returns cudaFail, naming the call, when it fails.
#define LLMOPT_CU(driver, call, ...)                                             \
  do {                                                                           \
    const ::llmopt::rt::CUresult llmopt_cu_result_ = (driver).call(__VA_ARGS__); \
    if (llmopt_cu_result_ != ::llmopt::rt::kCudaSuccess)                         \
      return ::llmopt::rt::cudaFail((driver), llmopt_cu_result_, #call);         \
  } while (0)

#endif  // LLMOPT_RUNTIME_CUDA_DRIVER_API_H
