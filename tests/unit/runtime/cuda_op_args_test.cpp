// fillCudaOpArgs (runtime/src/cuda/op_args_fill.h): the OpArgs each op's CUDA kernel gets. The
// views are checked by value for each kind, then by use: a small interpreter that reads the inputs
// through the views alone (cuda_reference_kernels.h) must compute what the CPU kernels compute.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cuda/op_args_fill.h"
#include "cuda_reference_kernels.h"
#include "executor.h"
#include "kernels/cpu/generic/binary.h"
#include "symbolic_shape.h"

namespace llmopt::testing {
namespace {

using rt::DimExpr;
using rt::ModelDesc;
using rt::OpDesc;
using rt::OpKernel;
using rt::Shape;
using rt::TensorDesc;
using rt::TensorKind;

DimExpr staticDim(int64_t value) {
  DimExpr dim;
  dim.num = value;
  return dim;
}

DimExpr symbolDim(uint32_t symbol) {
  DimExpr dim;
  dim.num_syms = 1;
  dim.syms[0] = symbol;
  return dim;
}

// A plan built by hand: tensors, ops, symbol values, and the resolved shapes.
struct TinyPlan {
  ModelDesc desc;
  std::vector<int64_t> symbols;
  std::vector<Shape> shapes;

  uint32_t symbol(const char* name, int64_t value) {
    desc.symbol_names.push_back(name);
    symbols.push_back(value);
    return static_cast<uint32_t>(symbols.size() - 1);
  }
  uint32_t symbolicTensor(const char* name, std::vector<DimExpr> dims,
                          llmopt_dtype dtype = LLMOPT_DTYPE_F32) {
    TensorDesc t;
    t.name = name;
    t.dtype = dtype;
    t.kind = TensorKind::Intermediate;
    t.rank = static_cast<int32_t>(dims.size());
    for (size_t d = 0; d < dims.size(); ++d) t.dims[d] = dims[d];
    desc.tensors.push_back(t);
    return static_cast<uint32_t>(desc.tensors.size() - 1);
  }
  uint32_t tensor(const char* name, std::vector<int64_t> dims,
                  llmopt_dtype dtype = LLMOPT_DTYPE_F32) {
    std::vector<DimExpr> exprs;
    for (int64_t d : dims) exprs.push_back(staticDim(d));
    return symbolicTensor(name, exprs, dtype);
  }
  OpDesc& op(const char* name, OpKernel kernel, std::vector<uint32_t> inputs, uint32_t output) {
    OpDesc op;
    op.name = name;
    op.kernel = kernel;
    op.inputs = std::move(inputs);
    op.output = output;
    desc.ops.push_back(op);
    return desc.ops.back();
  }
  void resolve() {
    shapes.resize(desc.tensors.size());
    for (size_t t = 0; t < desc.tensors.size(); ++t)
      ASSERT_EQ(rt::resolveShape(desc.tensors[t], desc, symbols.data(), &shapes[t]), LLMOPT_OK)
          << rt::lastError();
  }
};

// Fills op `index` with fake addresses (tensor t at 0x1000 * (t + 1)) and fault word.
rt::Status fill(TinyPlan& plan, size_t index, cuda::OpArgs* args) {
  if (plan.shapes.empty()) plan.resolve();
  std::vector<void*> data(plan.desc.tensors.size());
  for (size_t t = 0; t < data.size(); ++t) data[t] = reinterpret_cast<void*>(0x1000 * (t + 1));
  static int32_t fault;
  return rt::fillCudaOpArgs(plan.desc, plan.desc.ops[index], plan.shapes.data(),
                            plan.symbols.data(), data.data(), &fault, args);
}

std::vector<int64_t> strides(const cuda::StridedView& view, int rank) {
  return std::vector<int64_t>(view.strides, view.strides + rank);
}

TEST(CudaOpArgs, TensorsAndCountsAreCopied) {
  TinyPlan p;
  const uint32_t a = p.tensor("a", {2, 1, 3}), b = p.tensor("b", {3});
  const uint32_t y = p.tensor("y", {2, 1, 3});
  p.op("add", OpKernel::AddF32, {a, b}, y).sub_op = 0;
  cuda::OpArgs args;
  std::memset(&args, 0x5a, sizeof args);  // everything not set must come out zero
  ASSERT_EQ(fill(p, 0, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(args.num_inputs, 2);
  EXPECT_EQ(args.out.data, reinterpret_cast<void*>(0x1000 * (y + 1)));
  EXPECT_EQ(args.in[0].data, reinterpret_cast<void*>(0x1000 * (a + 1)));
  EXPECT_EQ(args.in[1].data, reinterpret_cast<void*>(0x1000 * (b + 1)));
  EXPECT_EQ(args.out.rank, 3);
  EXPECT_EQ(args.out.numel, 6);
  EXPECT_EQ(args.out.dtype, LLMOPT_DTYPE_F32);
  EXPECT_EQ(std::vector<int64_t>(args.out.dims, args.out.dims + 3),
            (std::vector<int64_t>{2, 1, 3}));
  EXPECT_EQ(args.in[1].rank, 1);
  EXPECT_EQ(args.in[1].dims[0], 3);
  EXPECT_EQ(args.in[1].dims[1], 0);
  EXPECT_EQ(args.in[2].data, nullptr);
  EXPECT_EQ(args.in[2].numel, 0);
  EXPECT_EQ(args.view[2].offset, 0);
  EXPECT_EQ(args.view[2].strides[0], 0);
  EXPECT_NE(args.fault, nullptr);
  EXPECT_EQ(args.reserved, 0);
}

TEST(CudaOpArgs, BroadcastAddAlignsToTheOutputsRank) {
  TinyPlan p;
  const uint32_t a = p.tensor("a", {2, 1, 3}), b = p.tensor("b", {3});
  const uint32_t y = p.tensor("y", {2, 2, 3});
  p.op("add", OpKernel::AddF32, {a, b}, y);
  cuda::OpArgs args;
  ASSERT_EQ(fill(p, 0, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(strides(args.view[0], 3), (std::vector<int64_t>{3, 0, 1}));
  EXPECT_EQ(strides(args.view[1], 3), (std::vector<int64_t>{0, 0, 1}));
  EXPECT_EQ(args.view[0].offset, 0);
  EXPECT_EQ(args.view[1].offset, 0);
}

TEST(CudaOpArgs, WhereExpandAndUnaryGetBroadcastViews) {
  TinyPlan p;
  const uint32_t cond = p.tensor("cond", {2, 1}, LLMOPT_DTYPE_BOOL);
  const uint32_t x = p.tensor("x", {3}), scalar = p.tensor("s", std::vector<int64_t>{});
  const uint32_t y = p.tensor("y", {2, 3});
  p.op("where", OpKernel::Where, {cond, x, scalar}, y);
  const uint32_t e_in = p.tensor("e_in", {3, 1}), e_out = p.tensor("e_out", {2, 3, 4});
  p.op("expand", OpKernel::Expand, {e_in}, e_out);
  const uint32_t u_in = p.tensor("u_in", {4, 5}), u_out = p.tensor("u_out", {4, 5});
  p.op("relu", OpKernel::ReluF32, {u_in}, u_out);
  cuda::OpArgs args;
  ASSERT_EQ(fill(p, 0, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(strides(args.view[0], 2), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(strides(args.view[1], 2), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(strides(args.view[2], 2), (std::vector<int64_t>{0, 0}));
  ASSERT_EQ(fill(p, 1, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(strides(args.view[0], 3), (std::vector<int64_t>{0, 1, 0}));
  ASSERT_EQ(fill(p, 2, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(strides(args.view[0], 2), (std::vector<int64_t>{5, 1}));
}

TEST(CudaOpArgs, TransposeStridesFollowPerm) {
  TinyPlan p;
  const uint32_t x = p.tensor("x", {2, 3, 4}), y = p.tensor("y", {4, 2, 3});
  OpDesc& op = p.op("transpose", OpKernel::Transpose, {x}, y);
  op.perm[0] = 2;  // y's dim d is x's dim perm[d]
  op.perm[1] = 0;
  op.perm[2] = 1;
  cuda::OpArgs args;
  ASSERT_EQ(fill(p, 0, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(strides(args.view[0], 3), (std::vector<int64_t>{1, 12, 4}));
  EXPECT_EQ(args.view[0].offset, 0);
}

TEST(CudaOpArgs, CopyIsContiguousOverTheOutputsShape) {
  TinyPlan p;
  const uint32_t x = p.tensor("x", {2, 6}), y = p.tensor("y", {3, 2, 2});
  p.op("reshape", OpKernel::Copy, {x}, y);
  cuda::OpArgs args;
  ASSERT_EQ(fill(p, 0, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(strides(args.view[0], 3), (std::vector<int64_t>{4, 2, 1}));
}

TEST(CudaOpArgs, SliceStartsResolveFromSymbols) {
  TinyPlan p;
  const uint32_t seq = p.symbol("seq", 5);
  const uint32_t x = p.symbolicTensor("x", std::vector<DimExpr>{symbolDim(seq), staticDim(4)});
  const uint32_t y = p.tensor("y", {1, 2});
  OpDesc& op = p.op("last_row", OpKernel::Slice, {x}, y);
  rt::SliceAxis rows;  // x[seq - 1 : seq]
  rows.axis = 0;
  rows.start.offset = -1;
  rows.start.has_dim = true;
  rows.start.dim = symbolDim(seq);
  rt::SliceAxis columns;  // x[:, 3:0:-2] = columns 3, 1
  columns.axis = 1;
  columns.start.offset = 3;
  columns.step = -2;
  op.slice = {rows, columns};
  cuda::OpArgs args;
  ASSERT_EQ(fill(p, 0, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(args.view[0].offset, 4 * 4 + 3);
  EXPECT_EQ(strides(args.view[0], 2), (std::vector<int64_t>{4, -2}));

  p.symbols[seq] = 9;  // another run: another start
  p.resolve();
  ASSERT_EQ(fill(p, 0, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(args.view[0].offset, 8 * 4 + 3);
  EXPECT_EQ(args.in[0].dims[0], 9);
}

TEST(CudaOpArgs, ConcatOffsetsAreEachInputsStartAlongTheAxis) {
  TinyPlan p;
  const uint32_t a = p.tensor("a", {2, 3}), b = p.tensor("b", {2, 5}), c = p.tensor("c", {2, 0});
  const uint32_t d = p.tensor("d", {2, 1}), y = p.tensor("y", {2, 9});
  p.op("concat", OpKernel::Concat, {a, b, c, d}, y).axis = 1;
  cuda::OpArgs args;
  ASSERT_EQ(fill(p, 0, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(args.view[0].offset, 0);
  EXPECT_EQ(args.view[1].offset, 3);
  EXPECT_EQ(args.view[2].offset, 8);
  EXPECT_EQ(args.view[3].offset, 8);
}

TEST(CudaOpArgs, OtherKernelsGetNoViews) {
  TinyPlan p;
  const uint32_t x = p.tensor("x", {2, 3}), y = p.tensor("y", {2, 3});
  p.op("softmax", OpKernel::SoftmaxF32, {x}, y).axis = 1;
  cuda::OpArgs args;
  ASSERT_EQ(fill(p, 0, &args), LLMOPT_OK) << rt::lastError();
  EXPECT_EQ(strides(args.view[0], 2), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(args.in[0].numel, 6);
}

TEST(CudaOpArgs, RefusesMoreInputsThanTheKernelsTake) {
  TinyPlan p;
  std::vector<uint32_t> inputs;
  for (int i = 0; i < cuda::kMaxOperands + 1; ++i) inputs.push_back(p.tensor("part", {1}));
  const uint32_t y = p.tensor("y", {cuda::kMaxOperands + 1});
  p.op("wide_concat", OpKernel::Concat, inputs, y);
  cuda::OpArgs args;
  EXPECT_EQ(fill(p, 0, &args), LLMOPT_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(rt::lastError()).find("op 'wide_concat' (concat) has 9 inputs"),
            std::string::npos)
      << rt::lastError();
}

TEST(CudaOpArgs, RefusesShapesThatDoNotBroadcast) {
  TinyPlan p;
  const uint32_t a = p.tensor("a", {2, 3}), b = p.tensor("b", {4});
  const uint32_t y = p.tensor("y", {2, 3});
  p.op("bad_add", OpKernel::AddF32, {a, b}, y);
  cuda::OpArgs args;
  EXPECT_EQ(fill(p, 0, &args), LLMOPT_ERROR_INVALID_ARTIFACT);
  EXPECT_NE(std::string(rt::lastError()).find("op 'bad_add' (add_f32)"), std::string::npos)
      << rt::lastError();
}

// --- the views in use: the reference interpreter against the CPU kernels ---------------------

// Random bytes for every tensor, each op run by the CPU executor and by the interpreter on its
// own copy of the buffers; the outputs must agree bit for bit.
class ViewsAgainstCpu : public ::testing::Test {
 protected:
  template <class Interpret>
  void check(TinyPlan& p, size_t index, Interpret&& interpret) {
    p.resolve();
    const OpDesc& op = p.desc.ops[index];
    std::mt19937 rng(static_cast<uint32_t>(index) + 7);
    std::vector<std::vector<uint8_t>> cpu(p.desc.tensors.size()), ref;
    for (size_t t = 0; t < cpu.size(); ++t) {
      const size_t elem = cuda_ref::elementBytes(p.desc.tensors[t].dtype);
      cpu[t].resize(p.shapes[t].elements() * elem + 1);
      for (uint8_t& byte : cpu[t]) byte = static_cast<uint8_t>(rng());
      if (p.desc.tensors[t].dtype == LLMOPT_DTYPE_BOOL)
        for (uint8_t& byte : cpu[t]) byte &= 1;
      if (p.desc.tensors[t].dtype == LLMOPT_DTYPE_F32)  // finite values
        for (size_t i = 0; i + 4 <= cpu[t].size(); i += 4) {
          const float value = static_cast<float>(rng() % 2001) / 100.0f - 10.0f;
          std::memcpy(&cpu[t][i], &value, 4);
        }
    }
    ref = cpu;
    std::vector<void*> cpu_data(cpu.size()), ref_data(ref.size());
    for (size_t t = 0; t < cpu.size(); ++t) {
      cpu_data[t] = cpu[t].data();
      ref_data[t] = ref[t].data();
    }
    rt::ExecContext context{&p.desc,         p.shapes.data(), p.symbols.data(),
                            cpu_data.data(), nullptr,         nullptr};
    ASSERT_EQ(rt::executeOp(op, context), LLMOPT_OK) << rt::lastError();
    cuda::OpArgs args;
    int32_t fault = 0;
    ASSERT_EQ(rt::fillCudaOpArgs(p.desc, op, p.shapes.data(), p.symbols.data(), ref_data.data(),
                                 &fault, &args),
              LLMOPT_OK)
        << rt::lastError();
    ASSERT_TRUE(interpret(args)) << "a view reads outside its input";
    EXPECT_EQ(fault, 0);
    EXPECT_EQ(ref[op.output], cpu[op.output]) << "op " << op.name;
  }
};

TEST_F(ViewsAgainstCpu, BroadcastArithmetic) {
  TinyPlan p;
  const uint32_t a = p.tensor("a", {2, 1, 3}), b = p.tensor("b", {3});
  const uint32_t y = p.tensor("y", {2, 1, 3});
  const uint32_t c = p.tensor("c", {4, 1}), d = p.tensor("d", {1, 2, 1, 5}),
                 z = p.tensor("z", {1, 2, 4, 5});
  p.op("add", OpKernel::AddF32, {a, b}, y).sub_op =
      static_cast<uint8_t>(kernels::cpu::BinaryOp::Add);
  p.op("mul", OpKernel::MulF32, {c, d}, z).sub_op =
      static_cast<uint8_t>(kernels::cpu::BinaryOp::Mul);
  check(p, 0, [](const cuda::OpArgs& args) { return cuda_ref::binaryF32(args, '+'); });
  check(p, 1, [](const cuda::OpArgs& args) { return cuda_ref::binaryF32(args, '*'); });
}

TEST_F(ViewsAgainstCpu, TransposesOfEveryRankUpTo4) {
  const std::vector<std::vector<int64_t>> shapes = {{5}, {3, 7}, {2, 3, 5}, {2, 3, 1, 4}};
  for (const std::vector<int64_t>& shape : shapes) {
    std::vector<int32_t> perm(shape.size());
    for (size_t d = 0; d < perm.size(); ++d) perm[d] = static_cast<int32_t>(d);
    do {
      TinyPlan p;
      std::vector<int64_t> out_shape(shape.size());
      for (size_t d = 0; d < shape.size(); ++d) out_shape[d] = shape[perm[d]];
      const uint32_t x = p.tensor("x", shape, LLMOPT_DTYPE_I64),
                     y = p.tensor("y", out_shape, LLMOPT_DTYPE_I64);
      OpDesc& op = p.op("transpose", OpKernel::Transpose, {x}, y);
      for (size_t d = 0; d < perm.size(); ++d) op.perm[d] = perm[d];
      check(p, 0, cuda_ref::viewCopy);
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
}

TEST_F(ViewsAgainstCpu, SlicesWithSymbolicAndNegativeSteps) {
  TinyPlan p;
  const uint32_t seq = p.symbol("seq", 6);
  const uint32_t x =
      p.symbolicTensor("x", std::vector<DimExpr>{staticDim(2), symbolDim(seq), staticDim(5)});
  const uint32_t y = p.tensor("y", {2, 2, 3});
  OpDesc& op = p.op("slice", OpKernel::Slice, {x}, y);
  rt::SliceAxis last_two;  // x[:, seq - 1 : seq - 3 : -1, 0::2]
  last_two.axis = 1;
  last_two.start.offset = -1;
  last_two.start.has_dim = true;
  last_two.start.dim = symbolDim(seq);
  last_two.step = -1;
  rt::SliceAxis even;
  even.axis = 2;
  even.step = 2;
  op.slice = {last_two, even};
  check(p, 0, cuda_ref::viewCopy);
}

TEST_F(ViewsAgainstCpu, ExpandWhereCopyAndConcat) {
  TinyPlan p;
  const uint32_t e_in = p.tensor("e_in", {3, 1}), e_out = p.tensor("e_out", {2, 3, 4});
  p.op("expand", OpKernel::Expand, {e_in}, e_out);
  const uint32_t cond = p.tensor("cond", {2, 1, 4}, LLMOPT_DTYPE_BOOL);
  const uint32_t x = p.tensor("x", {3, 1}), other = p.tensor("other", {4});
  const uint32_t w = p.tensor("w", {2, 3, 4});
  p.op("where", OpKernel::Where, {cond, x, other}, w);
  const uint32_t r_in = p.tensor("r_in", {2, 6}), r_out = p.tensor("r_out", {3, 4});
  p.op("reshape", OpKernel::Copy, {r_in}, r_out);
  const uint32_t a = p.tensor("a", {2, 1, 3}), b = p.tensor("b", {2, 4, 3});
  const uint32_t c = p.tensor("c", {2, 2, 3}), cat = p.tensor("cat", {2, 7, 3});
  p.op("concat", OpKernel::Concat, {a, b, c}, cat).axis = 1;
  check(p, 0, cuda_ref::viewCopy);
  check(p, 1, cuda_ref::where);
  check(p, 2, cuda_ref::viewCopy);
  check(p, 3, [](const cuda::OpArgs& args) { return cuda_ref::concat(args, 1); });
}

// Linear layers with few outputs get a block per 16 of them (one per tile of a GEMV), larger ones
// a warp per 64; every other kernel a thread per element.
TEST(CudaGridBlocks, GemvGetsABlockPerTileOthersAThreadPerElement) {
  EXPECT_EQ(rt::cudaGridBlocks(OpKernel::LinearInt4, 4096), 256);
  EXPECT_EQ(rt::cudaGridBlocks(OpKernel::LinearF32, 1), 1);
  EXPECT_EQ(rt::cudaGridBlocks(OpKernel::LinearInt8, 16384), 1024);
  EXPECT_EQ(rt::cudaGridBlocks(OpKernel::LinearInt8, 128 * 768), 128 * 768 / 512);
  EXPECT_EQ(rt::cudaGridBlocks(OpKernel::LinearBF16, int64_t{1} << 40), cuda::kMaxGridBlocks);
  EXPECT_EQ(rt::cudaGridBlocks(OpKernel::LayerNormF32, 4096), 16);
  EXPECT_EQ(rt::cudaGridBlocks(OpKernel::AddF32, 1), 1);
}

}  // namespace
}  // namespace llmopt::testing
