#include "cuda/driver_api.h"

#include <dlfcn.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace llmopt::rt {
namespace {

constexpr const char* kDefaultLibrary = "libcuda.so.1";

// Where each entry point goes in CudaDriver, and its symbol (or, where the library lacks it, an
// older one with the same signature). An optional one stays null in a driver without it.
struct Symbol {
  size_t offset;
  const char* name;
  const char* fallback;
  bool optional;
};
#define LLMOPT_CU_SYMBOL(field, name) \
  { offsetof(CudaDriver, field), name, nullptr, false }
#define LLMOPT_CU_OPTIONAL(field, name) \
  { offsetof(CudaDriver, field), name, nullptr, true }
constexpr Symbol kSymbols[] = {
    LLMOPT_CU_SYMBOL(cuInit, "cuInit"),
    LLMOPT_CU_SYMBOL(cuGetErrorName, "cuGetErrorName"),
    LLMOPT_CU_SYMBOL(cuGetErrorString, "cuGetErrorString"),
    LLMOPT_CU_SYMBOL(cuDeviceGetCount, "cuDeviceGetCount"),
    LLMOPT_CU_SYMBOL(cuDeviceGet, "cuDeviceGet"),
    LLMOPT_CU_SYMBOL(cuDeviceGetName, "cuDeviceGetName"),
    LLMOPT_CU_SYMBOL(cuDeviceGetAttribute, "cuDeviceGetAttribute"),
    LLMOPT_CU_SYMBOL(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
    LLMOPT_CU_SYMBOL(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"),
    LLMOPT_CU_SYMBOL(cuCtxPushCurrent, "cuCtxPushCurrent_v2"),
    LLMOPT_CU_SYMBOL(cuCtxPopCurrent, "cuCtxPopCurrent_v2"),
    LLMOPT_CU_SYMBOL(cuMemAlloc, "cuMemAlloc_v2"),
    LLMOPT_CU_SYMBOL(cuMemFree, "cuMemFree_v2"),
    LLMOPT_CU_SYMBOL(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"),
    LLMOPT_CU_SYMBOL(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"),
    LLMOPT_CU_SYMBOL(cuMemsetD32Async, "cuMemsetD32Async"),
    LLMOPT_CU_SYMBOL(cuMemHostAlloc, "cuMemHostAlloc"),
    LLMOPT_CU_SYMBOL(cuMemFreeHost, "cuMemFreeHost"),
    LLMOPT_CU_SYMBOL(cuModuleLoadData, "cuModuleLoadData"),
    LLMOPT_CU_SYMBOL(cuModuleGetFunction, "cuModuleGetFunction"),
    LLMOPT_CU_SYMBOL(cuModuleUnload, "cuModuleUnload"),
    LLMOPT_CU_SYMBOL(cuLaunchKernel, "cuLaunchKernel"),
    LLMOPT_CU_SYMBOL(cuStreamCreate, "cuStreamCreate"),
    LLMOPT_CU_SYMBOL(cuStreamSynchronize, "cuStreamSynchronize"),
    LLMOPT_CU_SYMBOL(cuStreamDestroy, "cuStreamDestroy_v2"),
    LLMOPT_CU_SYMBOL(cuEventCreate, "cuEventCreate"),
    LLMOPT_CU_SYMBOL(cuEventRecord, "cuEventRecord"),
    // CUDA 12.8 added the _v2, and CUDA 13's cuda.h maps the name to it.
    {offsetof(CudaDriver, cuEventElapsedTime), "cuEventElapsedTime_v2", "cuEventElapsedTime",
     false},
    LLMOPT_CU_SYMBOL(cuEventDestroy, "cuEventDestroy_v2"),
    LLMOPT_CU_OPTIONAL(cuStreamBeginCapture, "cuStreamBeginCapture_v2"),
    LLMOPT_CU_OPTIONAL(cuStreamEndCapture, "cuStreamEndCapture"),
    LLMOPT_CU_OPTIONAL(cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags"),
    LLMOPT_CU_OPTIONAL(cuGraphLaunch, "cuGraphLaunch"),
    LLMOPT_CU_OPTIONAL(cuGraphExecDestroy, "cuGraphExecDestroy"),
    LLMOPT_CU_OPTIONAL(cuGraphDestroy, "cuGraphDestroy"),
};
#undef LLMOPT_CU_SYMBOL
#undef LLMOPT_CU_OPTIONAL
static_assert(sizeof(kSymbols) / sizeof(kSymbols[0]) * sizeof(void*) == sizeof(CudaDriver),
              "every entry point of CudaDriver has a symbol");

Status resolveAll(void* library, const char* path, CudaDriver* driver) {
  for (const Symbol& symbol : kSymbols) {
    void* address = dlsym(library, symbol.name);
    if (!address && symbol.fallback) address = dlsym(library, symbol.fallback);
    if (!address && symbol.optional) continue;
    if (!address)
      return fail(LLMOPT_ERROR_UNSUPPORTED,
                  "this artifact targets CUDA, but the CUDA driver %s lacks %s (too old a driver)",
                  path, symbol.name);
    // dlsym's void* to a function pointer: what POSIX requires to work.
    std::memcpy(reinterpret_cast<char*>(driver) + symbol.offset, &address, sizeof address);
  }
  return LLMOPT_OK;
}

// A library loaded and resolved; never freed (sessions and the driver's own threads may use it
// until the process exits).
struct LoadedDriver {
  std::string path;
  CudaDriver table;
  LoadedDriver* next;
};

// cuInit and a device count of at least one: made by every load (both are cheap once the driver
// has started), so that a device that goes away or a test's fake that changes is seen.
Status initialize(const CudaDriver& d) {
  char text[256];
  CUresult result = d.cuInit(0);
  int count = 0;
  if (result == kCudaSuccess) {
    result = d.cuDeviceGetCount(&count);
    if (result != kCudaSuccess) return cudaFail(d, result, "cuDeviceGetCount");
    if (count > 0) return LLMOPT_OK;
    return fail(LLMOPT_ERROR_UNSUPPORTED,
                "this artifact targets CUDA, but no CUDA device was found (cuDeviceGetCount: 0)");
  }
  describeCudaError(d, result, text, sizeof text);
  if (result == kCudaErrorNoDevice)
    return fail(LLMOPT_ERROR_UNSUPPORTED,
                "this artifact targets CUDA, but no CUDA device was found (cuInit: %s)", text);
  return fail(LLMOPT_ERROR_UNSUPPORTED,
              "this artifact targets CUDA, but the CUDA driver does not start (cuInit: %s)", text);
}

}  // namespace

Status loadCudaDriver(const CudaDriver** out) {
  // One table per library path: a test may switch LLMOPT_CUDA_DRIVER.
  static std::mutex mutex;
  static LoadedDriver* loaded = nullptr;
  const char* override_path = std::getenv("LLMOPT_CUDA_DRIVER");
  const bool overridden = override_path && *override_path;
  const char* path = overridden ? override_path : kDefaultLibrary;

  std::lock_guard<std::mutex> lock(mutex);
  LoadedDriver* driver = loaded;
  while (driver && driver->path != path) driver = driver->next;
  if (!driver) {
    void* library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      const char* why = dlerror();
      return fail(LLMOPT_ERROR_UNSUPPORTED,
                  "this artifact targets CUDA, but no CUDA driver was found (%s%s%s)",
                  overridden ? "LLMOPT_CUDA_DRIVER: " : "", why ? why : path,
                  why ? "" : ": cannot be loaded");
    }
    CudaDriver table{};
    const Status status = resolveAll(library, path, &table);
    if (status != LLMOPT_OK) {
      dlclose(library);
      return status;
    }
    driver = new LoadedDriver{path, table, loaded};
    loaded = driver;
  }
  LLMOPT_TRY(initialize(driver->table));
  *out = &driver->table;
  return LLMOPT_OK;
}

void describeCudaError(const CudaDriver& driver, CUresult result, char* text, size_t size) {
  const char* name = nullptr;
  const char* what = nullptr;
  if (driver.cuGetErrorName(result, &name) != kCudaSuccess || !name) {
    std::snprintf(text, size, "CUDA error %d", result);
    return;
  }
  if (driver.cuGetErrorString(result, &what) != kCudaSuccess || !what) what = "";
  std::snprintf(text, size, *what ? "%s (%s)" : "%s", name, what);
}

Status cudaFail(const CudaDriver& driver, CUresult result, const char* call) {
  Status status = LLMOPT_ERROR_STATE;
  switch (result) {
    case kCudaErrorOutOfMemory: status = LLMOPT_ERROR_OUT_OF_MEMORY; break;
    case kCudaErrorStubLibrary:
    case kCudaErrorInsufficientDriver:
    case kCudaErrorNoDevice:
    case kCudaErrorNoBinaryForGpu:
    case kCudaErrorUnsupportedPtxVersion: status = LLMOPT_ERROR_UNSUPPORTED; break;
    case kCudaErrorInvalidImage:
    case kCudaErrorInvalidPtx:
    case kCudaErrorNotFound: status = LLMOPT_ERROR_INVALID_ARTIFACT; break;
    default: break;
  }
  char text[256];
  describeCudaError(driver, result, text, sizeof text);
  return fail(status, "%s: %s", call, text);
}

}  // namespace llmopt::rt
