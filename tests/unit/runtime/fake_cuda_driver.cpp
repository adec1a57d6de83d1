// A fake libcuda.so.1 for the CUDA session's tests on machines without a GPU: the driver API
// entry points the runtime resolves (runtime/src/cuda/driver_api.cpp), with host memory as the
// "device" and cuda_reference_kernels.h as its kernels. The runtime loads it through
// LLMOPT_CUDA_DRIVER.
//
// - LLMOPT_FAKE_CUDA_SM unset: cuInit fails with CUDA_ERROR_NO_DEVICE (100), as on a machine with
//   a driver but no GPU. Set to e.g. "80": one device, "llmopt fake GPU", compute capability 8.0.
// - The "image" cuModuleLoadData takes is text: "LLMOPT-FAKE-CUDA archs=sm_80,sm_90
//   kernels=add_f32,view,..." (one kernel per op: add_f32, sub_f32, mul_f32, view, where,
//   concat<axis>, gather). No code for this device's sm is CUDA_ERROR_NO_BINARY_FOR_GPU.
// - Every call checks what the real driver would refuse or what would crash a GPU: a context
//   current, copies and kernel operands inside live allocations, the launch geometry op_args.h
//   prescribes, views that stay inside their inputs. A misuse fails the call.
// - Stream capture (CUDA graphs): launches and memsets on a capturing stream are recorded, not
//   run; copies and synchronising there fail, as the real driver refuses them for pageable host
//   memory. cuGraphLaunch runs the recorded work with the checks of a direct launch.
// - llmopt_fake_cuda_* report what is live (allocations, contexts, streams, modules, events,
//   graphs) and count launches, for the tests to check that a session frees what it made.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cuda_reference_kernels.h"

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using llmopt::cuda::OpArgs;
using llmopt::cuda::TensorArg;

// cuda.h's values.
enum : int {
  kSuccess = 0,
  kInvalidValue = 1,
  kOutOfMemory = 2,
  kNotInitialized = 3,
  kNoDevice = 100,
  kInvalidImage = 200,
  kInvalidContext = 201,
  kNoBinaryForGpu = 209,
  kInvalidHandle = 400,
  kIllegalState = 401,
  kNotFound = 500,
  kIllegalAddress = 700,
  kStreamCaptureUnsupported = 900,
};

struct FakeFunction {
  std::string kind;
};
struct FakeModule {
  std::vector<std::unique_ptr<FakeFunction>> functions;
};
struct FakeEvent {
  double milliseconds = -1.0;  // when recorded
};
// A launch or memset recorded by stream capture.
struct FakeNode {
  const FakeFunction* function = nullptr;  // null: a memset
  OpArgs args{};  // copied at capture (geometry checked then), as the driver copies parameters
  unsigned long long dst = 0;
  unsigned value = 0;
  size_t count = 0;
};
struct FakeGraph {
  std::vector<FakeNode> nodes;
};

struct Driver {
  std::mutex mutex;
  int sm = 0;  // 0: no device
  bool initialized = false;
  std::map<uintptr_t, size_t> allocations;  // live: address -> bytes
  std::set<void*> host_allocations;         // live page-locked host memory (cuMemHostAlloc)
  std::set<void*> streams, modules, events;
  std::map<void*, std::vector<FakeNode>> capturing;  // stream -> what it recorded so far
  std::set<void*> graphs, graph_execs;
  int retained_contexts = 0;
  int context_depth = 0;  // pushes not yet popped
  int launches = 0;
  int graph_captures = 0;
  int graph_launches = 0;
};

Driver& driver() {
  static Driver* d = new Driver();
  return *d;
}

char g_context_token;  // the address is the primary context's handle

bool inAllocation(const Driver& d, uintptr_t address, size_t bytes) {
  auto it = d.allocations.upper_bound(address);
  if (it == d.allocations.begin()) return false;
  --it;
  return address >= it->first && address - it->first + bytes <= it->second;
}

bool tensorInDevice(const Driver& d, const TensorArg& t) {
  if (t.numel == 0) return true;
  return inAllocation(
      d, reinterpret_cast<uintptr_t>(t.data),
      static_cast<size_t>(t.numel) * llmopt::testing::cuda_ref::elementBytes(t.dtype));
}

double nowMilliseconds() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The memset of cuMemsetD32Async, checked.
int memsetWords(const Driver& d, unsigned long long dst, unsigned value, size_t count) {
  if (dst % 4 != 0 || !inAllocation(d, static_cast<uintptr_t>(dst), count * 4))
    return kInvalidValue;
  uint32_t* words = reinterpret_cast<uint32_t*>(static_cast<uintptr_t>(dst));
  for (size_t i = 0; i < count; ++i) words[i] = value;
  return kSuccess;
}

bool runKernel(const std::string& kind, const OpArgs& a);

// A launch whose geometry was checked: its operands and fault word in device memory, then the
// kernel.
int execute(Driver& d, const FakeFunction& function, const OpArgs& args) {
  bool ok = tensorInDevice(d, args.out) &&
            inAllocation(d, reinterpret_cast<uintptr_t>(args.fault), sizeof(int32_t));
  for (int i = 0; i < args.num_inputs; ++i) ok = ok && tensorInDevice(d, args.in[i]);
  if (!ok) return kIllegalAddress;
  ++d.launches;
  return runKernel(function.kind, args) ? kSuccess : kIllegalAddress;
}

bool runKernel(const std::string& kind, const OpArgs& a) {
  namespace ref = llmopt::testing::cuda_ref;
  if (kind == "add_f32") return ref::binaryF32(a, '+');
  if (kind == "sub_f32") return ref::binaryF32(a, '-');
  if (kind == "mul_f32") return ref::binaryF32(a, '*');
  if (kind == "view") return ref::viewCopy(a);
  if (kind == "where") return ref::where(a);
  if (kind == "gather") return ref::gatherAxis0(a);
  if (kind.rfind("concat", 0) == 0) return ref::concat(a, std::atoi(kind.c_str() + 6));
  return false;
}

}  // namespace

// --- initialisation, errors, devices, contexts ------------------------------------------------

FAKE_EXPORT int cuInit(unsigned flags) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (flags != 0) return kInvalidValue;
  const char* sm = std::getenv("LLMOPT_FAKE_CUDA_SM");  // read by every call: tests switch it
  d.sm = sm ? std::atoi(sm) : 0;
  d.initialized = d.sm > 0;
  return d.initialized ? kSuccess : kNoDevice;
}

FAKE_EXPORT int cuGetErrorName(int error, const char** name) {
  switch (error) {
    case kSuccess: *name = "CUDA_SUCCESS"; return kSuccess;
    case kInvalidValue: *name = "CUDA_ERROR_INVALID_VALUE"; return kSuccess;
    case kOutOfMemory: *name = "CUDA_ERROR_OUT_OF_MEMORY"; return kSuccess;
    case kNotInitialized: *name = "CUDA_ERROR_NOT_INITIALIZED"; return kSuccess;
    case kNoDevice: *name = "CUDA_ERROR_NO_DEVICE"; return kSuccess;
    case kInvalidImage: *name = "CUDA_ERROR_INVALID_IMAGE"; return kSuccess;
    case kInvalidContext: *name = "CUDA_ERROR_INVALID_CONTEXT"; return kSuccess;
    case kNoBinaryForGpu: *name = "CUDA_ERROR_NO_BINARY_FOR_GPU"; return kSuccess;
    case kInvalidHandle: *name = "CUDA_ERROR_INVALID_HANDLE"; return kSuccess;
    case kIllegalState: *name = "CUDA_ERROR_ILLEGAL_STATE"; return kSuccess;
    case kStreamCaptureUnsupported:
      *name = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
      return kSuccess;
    case kNotFound: *name = "CUDA_ERROR_NOT_FOUND"; return kSuccess;
    case kIllegalAddress: *name = "CUDA_ERROR_ILLEGAL_ADDRESS"; return kSuccess;
    default: *name = nullptr; return kInvalidValue;
  }
}

FAKE_EXPORT int cuGetErrorString(int error, const char** text) {
  switch (error) {
    case kNoDevice: *text = "no CUDA-capable device is detected"; return kSuccess;
    case kNoBinaryForGpu:
      *text = "no kernel image is available for execution on the device";
      return kSuccess;
    case kNotFound: *text = "named symbol not found"; return kSuccess;
    case kIllegalAddress: *text = "an illegal memory access was encountered"; return kSuccess;
    default: return cuGetErrorName(error, text);
  }
}

FAKE_EXPORT int cuDeviceGetCount(int* count) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (!d.initialized) return kNotInitialized;
  *count = d.sm > 0 ? 1 : 0;
  return kSuccess;
}

FAKE_EXPORT int cuDeviceGet(int* device, int ordinal) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (!d.initialized) return kNotInitialized;
  if (ordinal != 0 || d.sm == 0) return kInvalidValue;
  *device = 0;
  return kSuccess;
}

FAKE_EXPORT int cuDeviceGetName(char* name, int length, int device) {
  if (device != 0 || length <= 0) return kInvalidValue;
  std::snprintf(name, static_cast<size_t>(length), "%s", "llmopt fake GPU");
  return kSuccess;
}

FAKE_EXPORT int cuDeviceGetAttribute(int* value, int attribute, int device) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (device != 0) return kInvalidValue;
  if (attribute == 75)
    *value = d.sm / 10;  // compute capability major
  else if (attribute == 76)
    *value = d.sm % 10;  // minor
  else
    return kInvalidValue;
  return kSuccess;
}

FAKE_EXPORT int cuDevicePrimaryCtxRetain(void** context, int device) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (!d.initialized) return kNotInitialized;
  if (device != 0) return kInvalidValue;
  ++d.retained_contexts;
  *context = &g_context_token;
  return kSuccess;
}

FAKE_EXPORT int cuDevicePrimaryCtxRelease_v2(int device) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (device != 0 || d.retained_contexts == 0) return kInvalidValue;
  --d.retained_contexts;
  return kSuccess;
}

FAKE_EXPORT int cuCtxPushCurrent_v2(void* context) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (context != &g_context_token || d.retained_contexts == 0) return kInvalidContext;
  ++d.context_depth;
  return kSuccess;
}

FAKE_EXPORT int cuCtxPopCurrent_v2(void** context) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  --d.context_depth;
  if (context) *context = &g_context_token;
  return kSuccess;
}

// --- memory -------------------------------------------------------------------------------------

FAKE_EXPORT int cuMemAlloc_v2(unsigned long long* pointer, size_t bytes) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (bytes == 0) return kInvalidValue;
  void* memory = std::malloc(bytes);
  if (!memory) return kOutOfMemory;
  std::memset(memory, 0xcd, bytes);  // device memory starts out as garbage
  d.allocations[reinterpret_cast<uintptr_t>(memory)] = bytes;
  *pointer = reinterpret_cast<uintptr_t>(memory);
  return kSuccess;
}

FAKE_EXPORT int cuMemFree_v2(unsigned long long pointer) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (d.allocations.erase(static_cast<uintptr_t>(pointer)) == 0) return kInvalidValue;
  std::free(reinterpret_cast<void*>(static_cast<uintptr_t>(pointer)));
  return kSuccess;
}

FAKE_EXPORT int cuMemHostAlloc(void** pointer, size_t bytes, unsigned flags) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (bytes == 0 || flags > 0xf) return kInvalidValue;
  void* memory = std::malloc(bytes);
  if (!memory) return kOutOfMemory;
  d.host_allocations.insert(memory);
  *pointer = memory;
  return kSuccess;
}

FAKE_EXPORT int cuMemFreeHost(void* pointer) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (d.host_allocations.erase(pointer) == 0) return kInvalidValue;
  std::free(pointer);
  return kSuccess;
}

FAKE_EXPORT int cuMemcpyHtoDAsync_v2(unsigned long long dst, const void* src, size_t bytes,
                                     void* stream) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (!d.streams.count(stream)) return kInvalidHandle;
  if (d.capturing.count(stream)) return kStreamCaptureUnsupported;
  if (!inAllocation(d, static_cast<uintptr_t>(dst), bytes) || !src) return kInvalidValue;
  std::memcpy(reinterpret_cast<void*>(static_cast<uintptr_t>(dst)), src, bytes);
  return kSuccess;
}

FAKE_EXPORT int cuMemcpyDtoHAsync_v2(void* dst, unsigned long long src, size_t bytes,
                                     void* stream) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (!d.streams.count(stream)) return kInvalidHandle;
  if (d.capturing.count(stream)) return kStreamCaptureUnsupported;
  if (!inAllocation(d, static_cast<uintptr_t>(src), bytes) || !dst) return kInvalidValue;
  std::memcpy(dst, reinterpret_cast<const void*>(static_cast<uintptr_t>(src)), bytes);
  return kSuccess;
}

FAKE_EXPORT int cuMemsetD32Async(unsigned long long dst, unsigned value, size_t count,
                                 void* stream) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (!d.streams.count(stream)) return kInvalidHandle;
  auto capture = d.capturing.find(stream);
  if (capture == d.capturing.end()) return memsetWords(d, dst, value, count);
  FakeNode node;
  node.dst = dst;
  node.value = value;
  node.count = count;
  capture->second.push_back(node);
  return kSuccess;
}

// --- modules and launches -----------------------------------------------------------------------

FAKE_EXPORT int cuModuleLoadData(void** module, const void* image) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  const std::string text = static_cast<const char*>(image);
  const std::string magic = "LLMOPT-FAKE-CUDA archs=";
  if (text.compare(0, magic.size(), magic) != 0) return kInvalidImage;
  const size_t archs_end = text.find(' ', magic.size());
  const std::string archs = "," + text.substr(magic.size(), archs_end - magic.size()) + ",";
  if (archs.find(",sm_" + std::to_string(d.sm) + ",") == std::string::npos) return kNoBinaryForGpu;
  const std::string kernels_key = " kernels=";
  auto fake = std::make_unique<FakeModule>();
  if (archs_end != std::string::npos &&
      text.compare(archs_end, kernels_key.size(), kernels_key) == 0) {
    std::string list = text.substr(archs_end + kernels_key.size());
    size_t begin = 0;
    while (begin < list.size()) {
      size_t end = list.find(',', begin);
      if (end == std::string::npos) end = list.size();
      fake->functions.push_back(std::make_unique<FakeFunction>());
      fake->functions.back()->kind = list.substr(begin, end - begin);
      begin = end + 1;
    }
  }
  *module = fake.release();
  d.modules.insert(*module);
  return kSuccess;
}

FAKE_EXPORT int cuModuleGetFunction(void** function, void* module, const char* name) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (!d.modules.count(module)) return kInvalidHandle;
  auto* fake = static_cast<FakeModule*>(module);
  unsigned index = 0;
  char tail = 0;
  if (std::sscanf(name, "llmopt_k%u%c", &index, &tail) != 1 || index >= fake->functions.size())
    return kNotFound;
  *function = fake->functions[index].get();
  return kSuccess;
}

FAKE_EXPORT int cuModuleUnload(void* module) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (d.modules.erase(module) == 0) return kInvalidHandle;
  delete static_cast<FakeModule*>(module);
  return kSuccess;
}

FAKE_EXPORT int cuLaunchKernel(void* function, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                               unsigned block_x, unsigned block_y, unsigned block_z,
                               unsigned shared_bytes, void* stream, void** params, void** extra) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (!d.streams.count(stream) || !function) return kInvalidHandle;
  if (!params || extra || shared_bytes != 0) return kInvalidValue;
  const OpArgs& args = *static_cast<const OpArgs*>(params[0]);
  // The geometry op_args.h prescribes.
  if (block_x != llmopt::cuda::kThreadsPerBlock || block_y != 1 || block_z != 1 || grid_y != 1 ||
      grid_z != 1 || grid_x != llmopt::cuda::gridBlocks(args.out.numel) || args.out.numel == 0)
    return kInvalidValue;
  if (args.num_inputs < 0 || args.num_inputs > llmopt::cuda::kMaxOperands) return kInvalidValue;
  const auto* fake = static_cast<const FakeFunction*>(function);
  auto capture = d.capturing.find(stream);
  if (capture == d.capturing.end()) return execute(d, *fake, args);
  FakeNode node;
  node.function = fake;
  node.args = args;
  capture->second.push_back(node);
  return kSuccess;
}

// --- streams and events -------------------------------------------------------------------------

FAKE_EXPORT int cuStreamCreate(void** stream, unsigned flags) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (flags > 1) return kInvalidValue;
  *stream = new char;
  d.streams.insert(*stream);
  return kSuccess;
}

FAKE_EXPORT int cuStreamSynchronize(void* stream) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (d.capturing.count(stream)) return kStreamCaptureUnsupported;
  return d.streams.count(stream) ? kSuccess : kInvalidHandle;
}

FAKE_EXPORT int cuStreamDestroy_v2(void* stream) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (d.capturing.count(stream)) return kIllegalState;
  if (d.streams.erase(stream) == 0) return kInvalidHandle;
  delete static_cast<char*>(stream);
  return kSuccess;
}

// --- graphs -------------------------------------------------------------------------------------

FAKE_EXPORT int cuStreamBeginCapture_v2(void* stream, int mode) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (!d.streams.count(stream)) return kInvalidHandle;
  if (mode < 0 || mode > 2) return kInvalidValue;
  if (d.capturing.count(stream)) return kIllegalState;
  d.capturing[stream];
  return kSuccess;
}

FAKE_EXPORT int cuStreamEndCapture(void* stream, void** graph) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  auto capture = d.capturing.find(stream);
  if (capture == d.capturing.end()) return kIllegalState;
  auto* fake = new FakeGraph{std::move(capture->second)};
  d.capturing.erase(capture);
  ++d.graph_captures;
  d.graphs.insert(fake);
  *graph = fake;
  return kSuccess;
}

FAKE_EXPORT int cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long flags) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (!d.graphs.count(graph)) return kInvalidHandle;
  if (flags != 0) return kInvalidValue;
  auto* fake = new FakeGraph(*static_cast<FakeGraph*>(graph));
  d.graph_execs.insert(fake);
  *exec = fake;
  return kSuccess;
}

FAKE_EXPORT int cuGraphLaunch(void* exec, void* stream) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (!d.graph_execs.count(exec) || !d.streams.count(stream)) return kInvalidHandle;
  if (d.capturing.count(stream)) return kStreamCaptureUnsupported;
  ++d.graph_launches;
  for (const FakeNode& node : static_cast<FakeGraph*>(exec)->nodes) {
    const int result = node.function ? execute(d, *node.function, node.args)
                                     : memsetWords(d, node.dst, node.value, node.count);
    if (result != kSuccess) return result;
  }
  return kSuccess;
}

FAKE_EXPORT int cuGraphExecDestroy(void* exec) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (d.graph_execs.erase(exec) == 0) return kInvalidHandle;
  delete static_cast<FakeGraph*>(exec);
  return kSuccess;
}

FAKE_EXPORT int cuGraphDestroy(void* graph) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (d.graphs.erase(graph) == 0) return kInvalidHandle;
  delete static_cast<FakeGraph*>(graph);
  return kSuccess;
}

FAKE_EXPORT int cuEventCreate(void** event, unsigned flags) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (flags != 0) return kInvalidValue;
  *event = new FakeEvent();
  d.events.insert(*event);
  return kSuccess;
}

FAKE_EXPORT int cuEventRecord(void* event, void* stream) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (!d.events.count(event) || !d.streams.count(stream)) return kInvalidHandle;
  static_cast<FakeEvent*>(event)->milliseconds = nowMilliseconds();
  return kSuccess;
}

FAKE_EXPORT int cuEventElapsedTime(float* milliseconds, void* start, void* end) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (!d.events.count(start) || !d.events.count(end)) return kInvalidHandle;
  const auto *a = static_cast<FakeEvent*>(start), *b = static_cast<FakeEvent*>(end);
  if (a->milliseconds < 0 || b->milliseconds < 0) return kInvalidValue;
  *milliseconds = static_cast<float>(b->milliseconds - a->milliseconds);
  return kSuccess;
}

FAKE_EXPORT int cuEventElapsedTime_v2(float* milliseconds, void* start, void* end) {
  return cuEventElapsedTime(milliseconds, start, end);
}

FAKE_EXPORT int cuEventDestroy_v2(void* event) {
  Driver& d = driver();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.context_depth == 0) return kInvalidContext;
  if (d.events.erase(event) == 0) return kInvalidHandle;
  delete static_cast<FakeEvent*>(event);
  return kSuccess;
}

// --- for the tests ------------------------------------------------------------------------------

FAKE_EXPORT int llmopt_fake_cuda_live_allocations() {  // device and page-locked host memory
  std::lock_guard<std::mutex> lock(driver().mutex);
  return static_cast<int>(driver().allocations.size() + driver().host_allocations.size());
}

FAKE_EXPORT int llmopt_fake_cuda_live_host_allocations() {
  std::lock_guard<std::mutex> lock(driver().mutex);
  return static_cast<int>(driver().host_allocations.size());
}

FAKE_EXPORT int llmopt_fake_cuda_live_handles() {  // streams, modules, events and graphs
  std::lock_guard<std::mutex> lock(driver().mutex);
  const Driver& d = driver();
  return static_cast<int>(d.streams.size() + d.modules.size() + d.events.size() + d.graphs.size() +
                          d.graph_execs.size());
}

FAKE_EXPORT int llmopt_fake_cuda_retained_contexts() {
  std::lock_guard<std::mutex> lock(driver().mutex);
  return driver().retained_contexts;
}

FAKE_EXPORT int llmopt_fake_cuda_context_depth() {
  std::lock_guard<std::mutex> lock(driver().mutex);
  return driver().context_depth;
}

FAKE_EXPORT int llmopt_fake_cuda_launches() {
  std::lock_guard<std::mutex> lock(driver().mutex);
  return driver().launches;
}

FAKE_EXPORT int llmopt_fake_cuda_graph_launches() {
  std::lock_guard<std::mutex> lock(driver().mutex);
  return driver().graph_launches;
}

FAKE_EXPORT int llmopt_fake_cuda_graph_captures() {
  std::lock_guard<std::mutex> lock(driver().mutex);
  return driver().graph_captures;
}
