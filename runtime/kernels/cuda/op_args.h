// The calling convention between the CUDA runtime (host) and the kernels the compiler generates
// for one model (backends/cuda). Plain C++ with no CUDA header, so the host side builds without
// the CUDA toolkit, and the same struct is read by the device code, by nvcc and by the host
// emulation of the kernels (team.cuh) alike.
//
// Every op of a CUDA plan runs one generated kernel (ops with the same code share it)
//     extern "C" __global__ void __launch_bounds__(256) llmopt_k<j>(llmopt::cuda::OpArgs)
// launched on one stream with blockDim (kThreadsPerBlock, 1, 1), no dynamic shared memory, and
// gridDim.x = gridBlocks(out.numel) (linearGridBlocks for linear layers): every kernel walks its
// work items (elements, rows, tiles) with a grid-stride loop, so it is correct for any grid of
// at least one block.
//
// What the host puts in OpArgs, by op kernel (runtime/src/op_kernel.h names them):
// - always: `out` and `in[0 .. num_inputs)` with their data (device pointers: arena slots, weights
//   blob, bound inputs), dtype (llmopt_dtype), rank, dims and numel, in the op's input order.
// - broadcasting elementwise (binary, comparison, logic, where, expand, clip, unary, cast,
//   fake_quant) and strided views (copy, transpose, slice): `view[i]` maps an output
//   index (o_0 .. o_{r-1}) over out's dims to input i's element offset + sum_d o_d * stride[d]
//   (in elements): 0 strides where input i is broadcast, transpose's permuted strides, slice's
//   start offsets and step-scaled strides. Elementwise kernels read their inputs through it alone.
// - concat: view[i].offset is input i's first index along the axis in the output.
// - everything else reads dims and data only (gather: in[1] the indices; linear: in[0] x as
//   [m, k] with m = x.numel / k; attention: q, k, v as plan.fbs describes).
// The KV cache is not on the GPU yet: attention with a cache index runs as a plain run, and range
// is never offset by a cache.
#ifndef LLMOPT_KERNELS_CUDA_OP_ARGS_H
#define LLMOPT_KERNELS_CUDA_OP_ARGS_H

#include <cstdint>

namespace llmopt::cuda {

constexpr int kMaxRank = 8;
constexpr int kMaxOperands = 8;  // inputs of one op (concat of more is refused at compile time)
constexpr int kThreadsPerBlock = 256;
constexpr int kWarpSize = 32;
constexpr int kWarpsPerBlock = kThreadsPerBlock / kWarpSize;
constexpr int64_t kMaxGridBlocks = 65535;

struct TensorArg {
  void* data;
  int64_t dims[kMaxRank];
  int64_t numel;
  int32_t rank;
  int32_t dtype;  // llmopt_dtype
};

// Input element offset of output index (o_0 .. o_{r-1}): offset + sum_d o_d * strides[d].
struct StridedView {
  int64_t offset;
  int64_t strides[kMaxRank];
};

struct OpArgs {
  TensorArg out;
  TensorArg in[kMaxOperands];
  StridedView view[kMaxOperands];
  // Where a kernel reports bad data (a gather index out of range): it stores 1 there, and the
  // host fails the run naming the op after the stream synchronises. Zeroed before each run.
  int32_t* fault;
  int32_t num_inputs;
  int32_t reserved;
};
static_assert(sizeof(OpArgs) <= 4096, "kernel parameters are limited to 4 KiB");

// A generated kernel built as host C++ (the host emulation tests/cuda runs): the same body, its
// grid-stride loops run serially.
using HostKernel = void (*)(const OpArgs&);

// Blocks to launch for an op writing `out_numel` elements: one per kThreadsPerBlock elements,
// at least one, at most kMaxGridBlocks (the kernels' grid-stride loops cover the rest).
inline int64_t gridBlocks(int64_t out_numel) {
  const int64_t blocks = (out_numel + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return blocks < 1 ? 1 : (blocks > kMaxGridBlocks ? kMaxGridBlocks : blocks);
}

// Linear layers with few outputs (a GEMV: one token's projection) have few tiles of 16 columns
// for many rows of k each: a whole block takes a tile, its 256 lanes splitting k, and the grid
// has a block per 16 outputs (at least one per tile), so that the weights stream through every
// SM. Larger ones keep a warp per tile of 4 rows x 16 columns (or a tensor-core tile of 32 x 64),
// one warp per 64 outputs. Host and kernels decide alike, from the output's element count alone.
constexpr int64_t kBlockTeamMaxOutputs = 16384;
inline bool linearUsesBlockTeam(int64_t out_numel) { return out_numel <= kBlockTeamMaxOutputs; }
inline int64_t linearGridBlocks(int64_t out_numel) {
  const int64_t per_block = linearUsesBlockTeam(out_numel) ? 16 : 64 * kWarpsPerBlock;
  const int64_t blocks = (out_numel + per_block - 1) / per_block;
  return blocks < 1 ? 1 : (blocks > kMaxGridBlocks ? kMaxGridBlocks : blocks);
}

}  // namespace llmopt::cuda

#endif  // LLMOPT_KERNELS_CUDA_OP_ARGS_H
