// The portability layer of the CUDA kernel library: the same kernel source runs on the GPU (nvcc)
// and serially on the host (g++, "host emulation", how CI tests the numerics without a GPU).
//
// A kernel walks its work items through an executor:
//   ex.forEach(n, f)        f(i) for every i < n, one thread per item;
//   ex.forEachSerial(n, f)  f(team, i), one thread per item with a SerialTeam;
//   ex.forEachTeam(n, f)    f(team, i), one warp per item (a WarpTeam of 32 lanes on the GPU);
//   ex.forEachBlockTeam(n, f)  f(team, i), one block per item (a BlockTeam of 256 lanes): for
//                           a few large items, such as the column panels of a GEMV.
// Exec::kGemv is true for the executor of a linear layer's GEMV kernel (DeviceGemvExec).
// Each is a grid-stride loop, correct for any gridDim >= 1. A team-level body splits its item's
// work with `for (j = t.lane(); j < n; j += t.size())` and combines the lanes' parts with the
// team's reductions (reduce, sum, sumEach), which every lane takes part in (so no reduction
// inside a lane-dependent branch). SerialTeam is one lane: its loops run whole and its reductions
// are the identity. Kernels use no shared memory themselves: only BlockTeam's reductions do,
// behind the same interface, so every kernel still runs serially on the host.
#ifndef LLMOPT_KERNELS_CUDA_TEAM_CUH
#define LLMOPT_KERNELS_CUDA_TEAM_CUH

#include <cstdint>

#include "kernels/cuda/op_args.h"

#ifdef __CUDACC__
#define LLMOPT_HD __host__ __device__
#define LLMOPT_DEV __device__  // kernel bodies: device code only under nvcc
#else
#define LLMOPT_HD
#define LLMOPT_DEV
#endif
// Unrolled loops keep small arrays in registers; only the device pass knows the pragma.
#ifdef __CUDA_ARCH__
#define LLMOPT_UNROLL _Pragma("unroll")
#else
#define LLMOPT_UNROLL
#endif

namespace llmopt::cuda {

static_assert(kWarpsPerBlock * kWarpSize == kThreadsPerBlock, "blocks of whole warps");

// A team of one lane (the host, or one GPU thread per item).
struct SerialTeam {
  static constexpr int kSize = 1;
  LLMOPT_HD int lane() const { return 0; }
  LLMOPT_HD int size() const { return 1; }
  template <class T, class Op>
  LLMOPT_HD T reduce(T v, Op) const {
    return v;
  }
  template <class T>
  LLMOPT_HD T sum(T v) const {
    return v;
  }
  template <class T, int N>
  LLMOPT_HD void sumEach(T (&)[N]) const {}
};

struct PlusOp {
  template <class T>
  LLMOPT_HD T operator()(T x, T y) const {
    return x + y;
  }
};

#ifdef __CUDACC__

// The 32 lanes of a warp working on one item. Reductions are xor butterflies: every lane ends
// with the same value (each step adds the same two operands, in either order, which IEEE
// addition does not tell apart).
struct WarpTeam {
  static constexpr int kSize = kWarpSize;
  __device__ int lane() const { return static_cast<int>(threadIdx.x) & (kWarpSize - 1); }
  __device__ int size() const { return kWarpSize; }
  template <class T, class Op>
  __device__ T reduce(T v, Op op) const {
    for (int offset = kWarpSize / 2; offset > 0; offset >>= 1)
      v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
  }
  template <class T>
  __device__ T sum(T v) const {
    return reduce(v, PlusOp());
  }
  template <class T, int N>
  __device__ void sumEach(T (&v)[N]) const {
    LLMOPT_UNROLL
    for (int j = 0; j < N; ++j) v[j] = sum(v[j]);
  }
};

// The 256 lanes of a block working on one item: each warp reduces its lanes with shuffles, then
// every lane combines the warps' results, in warp order, from shared memory (so every lane ends
// with the same value). The barrier before the partials are written keeps a reduction from
// overwriting the previous one's while a slow warp still reads them.
struct BlockTeam {
  static constexpr int kSize = kThreadsPerBlock;
  __device__ int lane() const { return static_cast<int>(threadIdx.x); }
  __device__ int size() const { return kSize; }
  template <class T, class Op>
  __device__ T reduce(T v, Op op) const {
    __shared__ T partial[kWarpsPerBlock];
    v = WarpTeam().reduce(v, op);
    __syncthreads();
    if ((threadIdx.x & (kWarpSize - 1)) == 0) partial[threadIdx.x / kWarpSize] = v;
    __syncthreads();
    T r = partial[0];
    for (int w = 1; w < kWarpsPerBlock; ++w) r = op(r, partial[w]);
    return r;
  }
  template <class T>
  __device__ T sum(T v) const {
    return reduce(v, PlusOp());
  }
  template <class T, int N>
  __device__ void sumEach(T (&v)[N]) const {
    __shared__ T partial[kWarpsPerBlock][N];
    WarpTeam().sumEach(v);
    __syncthreads();
    if ((threadIdx.x & (kWarpSize - 1)) == 0) {
      LLMOPT_UNROLL
      for (int j = 0; j < N; ++j) partial[threadIdx.x / kWarpSize][j] = v[j];
    }
    __syncthreads();
    LLMOPT_UNROLL
    for (int j = 0; j < N; ++j) {
      T r = partial[0][j];
      for (int w = 1; w < kWarpsPerBlock; ++w) r += partial[w][j];
      v[j] = r;
    }
  }
};

struct DeviceExec {
  static constexpr bool kGemv = false;
  template <class F>
  __device__ void forEach(int64_t n, F f) const {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += stride)
      f(i);
  }
  template <class F>
  __device__ void forEachSerial(int64_t n, F f) const {
    const SerialTeam team;
    forEach(n, [&](int64_t i) { f(team, i); });
  }
  // Every lane of a warp has the same item, so the whole warp stays in step (full shuffle mask).
  template <class F>
  __device__ void forEachTeam(int64_t n, F f) const {
    const WarpTeam team;
    const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarpSize);
    const int64_t first = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarpSize;
    for (int64_t i = first; i < n; i += warps) f(team, i);
  }
  // Every thread of a block has the same item, so the block's barriers are reached by all.
  template <class F>
  __device__ void forEachBlockTeam(int64_t n, F f) const {
    const BlockTeam team;
    for (int64_t i = blockIdx.x; i < n; i += gridDim.x) f(team, i);
  }
};

// The executor of a linear layer's GEMV kernel (llmopt_k<j>_gemv, entry.cuh): linear.cuh gives
// it a block per tile of one row of x. A kernel of its own, so that its registers are not those
// of the tiled kernel.
struct DeviceGemvExec : DeviceExec {
  static constexpr bool kGemv = true;
};

#else  // the host emulation

struct HostExec {
  static constexpr bool kGemv = false;
  template <class F>
  void forEach(int64_t n, F f) const {
    for (int64_t i = 0; i < n; ++i) f(i);
  }
  template <class F>
  void forEachSerial(int64_t n, F f) const {
    const SerialTeam team;
    for (int64_t i = 0; i < n; ++i) f(team, i);
  }
  template <class F>
  void forEachTeam(int64_t n, F f) const {
    forEachSerial(n, f);
  }
  template <class F>
  void forEachBlockTeam(int64_t n, F f) const {
    forEachSerial(n, f);
  }
};

#endif  // __CUDACC__

}  // namespace llmopt::cuda

#endif  // LLMOPT_KERNELS_CUDA_TEAM_CUH
