// Runs a "cuda" artifact's generated kernels on the CPU: the source `llmopt compile --emit cuda`
// writes, built as host C++ (the kernel library's host emulation, team.cuh) and linked with this
// file, executes the plan op by op the way the CUDA runtime launches it: the same arena layout,
// the same OpArgs (runtime/src/cuda/op_args_fill.h), one kernel per op. The outputs are written
// as <dir>/<name>.npy, for tests/cuda/host_emulation.py to compare with `llmopt run` on the CPU
// kernels. No GPU is involved: this is what proves the generated code and the launch arguments
// where there is none.
//   host_emulation MODEL.llmo OUT_DIR NAME=FILE.npy...
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cuda/op_args_fill.h"
#include "kernels/cuda/op_args.h"
#include "loader.h"
#include "model.h"
#include "session.h"
#include "tools/llmopt/Npy.h"

// The generated source's table of its kernels' host forms, one per op.
extern "C" const llmopt::cuda::HostKernel llmopt_host_kernels[];
extern "C" const int llmopt_host_kernel_count;

namespace {

using llmopt::rt::Model;
using llmopt::rt::TensorKind;

int fail(const std::string& what) {
  std::fprintf(stderr, "host_emulation: %s: %s\n", what.c_str(), llmopt::rt::lastError());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: host_emulation MODEL.llmo OUT_DIR NAME=FILE.npy...\n");
    return 2;
  }
  Model model;
  if (llmopt::rt::loadModelFile(argv[1], nullptr, &model) != LLMOPT_OK) return fail("load");
  const llmopt::rt::ModelDesc& desc = model.desc;
  if (static_cast<size_t>(llmopt_host_kernel_count) != desc.ops.size()) {
    std::fprintf(stderr, "host_emulation: the kernels are for %d ops, the plan has %zu\n",
                 llmopt_host_kernel_count, desc.ops.size());
    return 1;
  }

  // A CPU session binds the inputs and lays out the arena; it never runs.
  llmopt::rt::Session session(model, 1);
  std::vector<llmopt::npy::Array> arrays(argc - 3);
  std::vector<const void*> inputData(desc.inputs.size(), nullptr);
  for (int a = 3; a < argc; ++a) {
    const std::string arg = argv[a];
    const size_t eq = arg.find('=');
    std::string error;
    llmopt::npy::Array& array = arrays[a - 3];
    if (eq == std::string::npos || !llmopt::npy::read(arg.substr(eq + 1), array, error)) {
      std::fprintf(stderr, "host_emulation: %s: %s\n", arg.c_str(), error.c_str());
      return 1;
    }
    size_t index = desc.inputs.size();
    for (size_t i = 0; i < desc.inputs.size(); ++i)
      if (arg.substr(0, eq) == desc.tensors[desc.inputs[i]].name) index = i;
    if (session.setInput(index, array.dtype, static_cast<int32_t>(array.shape.size()),
                         array.shape.data(), array.data.data(), array.data.size()) != LLMOPT_OK)
      return fail(arg);
    inputData[index] = array.data.data();
  }
  if (session.plan() != LLMOPT_OK) return fail("plan");

  const llmopt::rt::ArenaLayout& layout = session.layout();
  std::vector<uint8_t> arenaBytes(layout.total_bytes + llmopt::rt::kArenaAlignment);
  uint8_t* arena = arenaBytes.data() +
                   (llmopt::rt::kArenaAlignment -
                    reinterpret_cast<uintptr_t>(arenaBytes.data()) % llmopt::rt::kArenaAlignment);
  std::vector<void*> data(desc.tensors.size(), nullptr);
  for (size_t t = 0; t < desc.tensors.size(); ++t) {
    const llmopt::rt::TensorDesc& tensor = desc.tensors[t];
    if (tensor.kind == TensorKind::Constant)
      data[t] = const_cast<uint8_t*>(tensor.constant_data);
    else if (tensor.kind != TensorKind::Input)
      data[t] = arena + layout.slot_offsets[tensor.slot];
  }
  for (size_t i = 0; i < desc.inputs.size(); ++i)
    data[desc.inputs[i]] = const_cast<void*>(inputData[i]);

  int32_t fault = 0;
  for (size_t i = 0; i < desc.ops.size(); ++i) {
    const llmopt::rt::OpDesc& op = desc.ops[i];
    llmopt::cuda::OpArgs args;
    if (llmopt::rt::fillCudaOpArgs(desc, op, session.shapes().data(), session.symbols().data(),
                                   data.data(), &fault, &args) != LLMOPT_OK)
      return fail("op " + std::to_string(i));
    if (args.out.numel == 0) continue;
    llmopt_host_kernels[i](args);
    if (fault) {
      std::fprintf(stderr, "host_emulation: op %zu ('%s') reports bad data\n", i, op.name);
      return 1;
    }
  }

  for (uint32_t t : desc.outputs) {
    const llmopt::rt::TensorDesc& tensor = desc.tensors[t];
    const llmopt::rt::Shape& shape = session.shapes()[t];
    std::string error;
    if (!llmopt::npy::write(
            std::string(argv[2]) + "/" + llmopt::npy::fileNameFor(tensor.name) + ".npy",
            tensor.dtype, shape.dims, shape.rank, data[t], session.tensorByteCounts()[t], error)) {
      std::fprintf(stderr, "host_emulation: %s\n", error.c_str());
      return 1;
    }
  }
  return 0;
}
