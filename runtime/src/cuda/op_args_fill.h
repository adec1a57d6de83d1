// The host half of the CUDA calling convention (runtime/kernels/cuda/op_args.h): what one op's
// kernel gets in OpArgs, from the shapes and data pointers of a planned run. Pure host logic with
// no CUDA header, so it is unit-tested without a GPU.
#ifndef LLMOPT_RUNTIME_CUDA_OP_ARGS_FILL_H
#define LLMOPT_RUNTIME_CUDA_OP_ARGS_FILL_H

#include <cstdint>

#include "error.h"
#include "kernels/cuda/op_args.h"
#include "model.h"

namespace llmopt::rt {

// Fills *out for `op`: out and in[] (data, dtype, rank, dims, numel), the strided views its
// kernel reads (op_args.h says which), num_inputs and fault. shapes, data: per tensor index, as
// the CPU ExecContext has them (data may be device pointers: they are only copied); symbols: the
// bound symbol values (slice starts). Everything not set is zero. Fails, naming the op, for an op
// of more than cuda::kMaxOperands inputs or a tensor of rank over cuda::kMaxRank
// (LLMOPT_ERROR_UNSUPPORTED), and for shapes its view cannot map (LLMOPT_ERROR_INVALID_ARTIFACT;
// checkOpShapes has refused them already).
Status fillCudaOpArgs(const ModelDesc& model, const OpDesc& op, const Shape* shapes,
                      const int64_t* symbols, void* const* data, int32_t* fault, cuda::OpArgs* out);

// Linear layers: two kernels each, the tiled one and the GEMV one (llmopt_k<j>_gemv, launched
// where cuda::linearUsesBlockTeam(out_numel)), and cuda::linearGridBlocks.
bool isCudaLinear(OpKernel kernel);

// The grid of op's kernel (blocks of cuda::kThreadsPerBlock) for an output of out_numel elements:
// linear layers' (cuda::linearGridBlocks) or every other kernel's (cuda::gridBlocks).
int64_t cudaGridBlocks(OpKernel kernel, int64_t out_numel);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_CUDA_OP_ARGS_FILL_H
