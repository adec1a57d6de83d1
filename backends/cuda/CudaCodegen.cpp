//===- CudaCodegen.cpp - an artifact's plan as CUDA C++ -------------------===//

#include "backends/cuda/CudaCodegen.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

#include "backends/cuda/KernelLibrary.h"
#include "cuda/op_args_fill.h"
#include "error.h"
#include "kernels/cuda/op_args.h"
#include "loader.h"
#include "model.h"

namespace llmopt {
namespace {

using rt::OpDesc;
using rt::OpKernel;

// An exact literal of the value (hexadecimal floats are exact; inf and NaN have none).
std::string floatLiteral(double value, bool single) {
  if (std::isnan(value)) return single ? "NAN" : "static_cast<double>(NAN)";
  if (std::isinf(value)) {
    const char* inf = single ? "INFINITY" : "static_cast<double>(INFINITY)";
    return value < 0 ? std::string("-") + inf : inf;
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, single ? "%af" : "%a", single ? (float)value : value);
  return buffer;
}

std::string intLiteral(int64_t value) {
  // INT64_MIN has no literal of its own.
  if (value == INT64_MIN) return "(-9223372036854775807LL - 1)";
  return std::to_string(value) + "LL";
}

std::optional<std::string> cType(llmopt_dtype dtype) {
  switch (dtype) {
    case LLMOPT_DTYPE_F32: return "float";
    case LLMOPT_DTYPE_I64: return "int64_t";
    case LLMOPT_DTYPE_I32: return "int32_t";
    case LLMOPT_DTYPE_BOOL: return "uint8_t";
    case LLMOPT_DTYPE_I8: return "int8_t";
    case LLMOPT_DTYPE_U8: return "uint8_t";
    case LLMOPT_DTYPE_F16:
    case LLMOPT_DTYPE_BF16: return "uint16_t";
    default: return std::nullopt;
  }
}

const char* binaryFunctor(OpKernel kernel) {
  switch (kernel) {
    case OpKernel::AddF32:
    case OpKernel::AddI64: return "Add";
    case OpKernel::SubF32:
    case OpKernel::SubI64: return "Sub";
    case OpKernel::MulF32:
    case OpKernel::MulI64: return "Mul";
    case OpKernel::DivF32:
    case OpKernel::DivI64: return "Div";
    case OpKernel::PowF32:
    case OpKernel::PowI64: return "Pow";
    case OpKernel::MinF32:
    case OpKernel::MinI64: return "Min";
    case OpKernel::MaxF32:
    case OpKernel::MaxI64: return "Max";
    case OpKernel::EqualF32:
    case OpKernel::EqualI64: return "Equal";
    case OpKernel::LessF32:
    case OpKernel::LessI64: return "Less";
    case OpKernel::GreaterF32:
    case OpKernel::GreaterI64: return "Greater";
    case OpKernel::LessOrEqualF32:
    case OpKernel::LessOrEqualI64: return "LessOrEqual";
    case OpKernel::GreaterOrEqualF32:
    case OpKernel::GreaterOrEqualI64: return "GreaterOrEqual";
    case OpKernel::AndBool: return "And";
    case OpKernel::OrBool: return "Or";
    case OpKernel::XorBool: return "Xor";
    default: return nullptr;
  }
}

const char* unaryFunctor(OpKernel kernel) {
  switch (kernel) {
    case OpKernel::ReluF32: return "Relu";
    case OpKernel::GeluF32: return "Gelu";
    case OpKernel::GeluTanhF32: return "GeluTanh";
    case OpKernel::TanhF32: return "Tanh";
    case OpKernel::SigmoidF32: return "Sigmoid";
    case OpKernel::NegF32:
    case OpKernel::NegI64: return "Neg";
    case OpKernel::ExpF32: return "Exp";
    case OpKernel::LogF32: return "Log";
    case OpKernel::SqrtF32: return "Sqrt";
    case OpKernel::ReciprocalF32: return "Reciprocal";
    case OpKernel::ErfF32: return "Erf";
    case OpKernel::CosF32: return "Cos";
    case OpKernel::SinF32: return "Sin";
    case OpKernel::AbsF32:
    case OpKernel::AbsI64: return "Abs";
    case OpKernel::NotBool: return "Not";
    case OpKernel::SiluF32: return "Silu";
    default: return nullptr;
  }
}

// The epilogue activation functor of a linear layer.
const char* activationFunctor(const OpDesc& op) {
  if (op.swiglu) return "ActSwiglu";
  if (!op.has_activation) return "ActNone";
  switch (op.activation) {
    case kernels::cpu::UnaryOp::Relu: return "ActRelu";
    case kernels::cpu::UnaryOp::Gelu: return "ActGelu";
    case kernels::cpu::UnaryOp::GeluTanh: return "ActGeluTanh";
    case kernels::cpu::UnaryOp::Silu: return "ActSilu";
    default: return nullptr;
  }
}

const char* boolLiteral(bool value) { return value ? "true" : "false"; }

class Generator {
 public:
  explicit Generator(const rt::ModelDesc& model) : model_(model) {}

  // The library call of op `op`, or nullopt with `error` set.
  std::optional<std::string> call(const OpDesc& op, std::string& error) const {
    const std::string ns = "llmopt::cuda::";
    const auto dtypeOf = [&](uint32_t tensor) { return model_.tensors[tensor].dtype; };
    const llmopt_dtype outType = dtypeOf(op.output);
    const std::string elemBytes = std::to_string(llmopt_dtype_size(outType));
    const auto typeOf = [&](llmopt_dtype dtype) { return cType(dtype).value_or("void"); };
    const auto unsupported = [&](const std::string& why) -> std::optional<std::string> {
      error = "op '" + std::string(op.name) + "' (" + rt::opKernelName(op.kernel) +
              ") has no CUDA kernel: " + why;
      return std::nullopt;
    };
    if (op.inputs.size() > static_cast<size_t>(cuda::kMaxOperands))
      return unsupported(std::to_string(op.inputs.size()) + " inputs, over the " +
                         std::to_string(cuda::kMaxOperands) + " a kernel takes");

    if (const char* f = binaryFunctor(op.kernel))
      return ns + "binary<" + ns + "ops::" + f + ", " + typeOf(dtypeOf(op.inputs[0])) + ", " +
             typeOf(outType) + ">(x, a)";
    if (const char* f = unaryFunctor(op.kernel))
      return ns + "unary<" + ns + "ops::" + f + ", " + typeOf(outType) + ">(x, a)";

    switch (op.kernel) {
      case OpKernel::ClipF32:
        return ns + "clip(x, a, " + floatLiteral(op.min, true) + ", " + floatLiteral(op.max, true) +
               ")";
      case OpKernel::FakeQuantF32:
        return ns + "fakeQuant(x, a, " + floatLiteral(op.scale, true) + ", " +
               std::to_string(op.zero_point) + ", " + std::to_string((int32_t)op.min) + ", " +
               std::to_string((int32_t)op.max) + ")";
      case OpKernel::Cast:
        return ns + "cast<" + typeOf(dtypeOf(op.inputs[0])) + ", " + typeOf(outType) + ">(x, a)";
      case OpKernel::Where: return ns + "where<" + typeOf(outType) + ">(x, a)";
      case OpKernel::Copy:
      case OpKernel::Transpose:
      case OpKernel::Slice:
      case OpKernel::Expand: return ns + "stridedCopy<" + elemBytes + ">(x, a)";
      case OpKernel::Concat:
        return ns + "concat<" + elemBytes + ">(x, a, " + std::to_string(op.axis) + ")";
      case OpKernel::Gather:
        return ns + "gather<" + elemBytes + ", " + typeOf(dtypeOf(op.inputs[1])) + ">(x, a, " +
               std::to_string(op.axis) + ")";
      case OpKernel::Fill:
        return ns + "fill<" + typeOf(outType) + ">(x, a, " + floatLiteral(op.value, false) + ")";
      case OpKernel::Range:
        return ns + "range<" + typeOf(outType) + ">(x, a, " + floatLiteral(op.value, false) + ", " +
               floatLiteral(op.delta, false) + ")";
      case OpKernel::Trilu:
        return ns + "trilu<" + typeOf(outType) + ">(x, a, " + boolLiteral(op.upper) + ", " +
               intLiteral(op.k) + ")";
      case OpKernel::ReduceSumF32:
      case OpKernel::ReduceMeanF32:
      case OpKernel::ReduceMaxF32:
      case OpKernel::ReduceMinF32: {
        const char* kind = op.kernel == OpKernel::ReduceSumF32    ? "ReduceSum"
                           : op.kernel == OpKernel::ReduceMeanF32 ? "ReduceMean"
                           : op.kernel == OpKernel::ReduceMaxF32  ? "ReduceMax"
                                                                  : "ReduceMin";
        return ns + "reduce<" + ns + "ops::" + kind + ">(x, a, " + std::to_string(op.reduce_axes) +
               "u)";
      }
      case OpKernel::SoftmaxF32: return ns + "softmax(x, a, " + std::to_string(op.axis) + ")";
      case OpKernel::LayerNormF32:
        return ns + "layerNorm<" + boolLiteral(op.has_bias) + ">(x, a, " + std::to_string(op.axis) +
               ", " + floatLiteral(op.epsilon, true) + ")";
      case OpKernel::RmsNormF32:
        return ns + "rmsNorm(x, a, " + std::to_string(op.axis) + ", " +
               floatLiteral(op.epsilon, true) + ")";
      case OpKernel::MatMulF32: return ns + "matmulF32(x, a)";
      case OpKernel::LinearF32: {
        const char* act = activationFunctor(op);
        if (!act) return unsupported("its epilogue activation");
        return ns + "linearF32<" + boolLiteral(op.w_layout == kernels::cpu::BLayout::KN) + ", " +
               ns + "ops::" + act + ", " + boolLiteral(op.has_bias) + ", " +
               boolLiteral(op.residual) + ">(x, a, " + intLiteral(op.n) + ", " + intLiteral(op.k) +
               ")";
      }
      case OpKernel::LinearInt8:
      case OpKernel::LinearInt8Weight:
      case OpKernel::LinearInt4:
      case OpKernel::LinearF16:
      case OpKernel::LinearBF16: {
        const char* act = activationFunctor(op);
        if (!act) return unsupported("its epilogue activation");
        return ns + "linearQuant<" + ns + "qformat::" + quantFormat(op.kernel) + ", " + ns +
               "ops::" + act + ", " + boolLiteral(op.has_bias) + ", " + boolLiteral(op.residual) +
               ">(x, a, " + intLiteral(op.n) + ", " + intLiteral(op.k) + ", " +
               intLiteral(op.group_size) + ")";
      }
      case OpKernel::GatherInt8:
      case OpKernel::GatherInt4:
      case OpKernel::GatherF16:
      case OpKernel::GatherBF16:
        return ns + "gatherQuant<" + ns + "qformat::" + quantFormat(op.kernel) + ", " +
               typeOf(dtypeOf(op.inputs[1])) + ">(x, a, " + intLiteral(op.n) + ", " +
               intLiteral(op.k) + ", " + intLiteral(op.group_size) + ")";
      case OpKernel::AttentionF32:
        return ns + "attention<" + boolLiteral(op.causal) + ", " + boolLiteral(op.rope) + ", " +
               boolLiteral(op.key_bias) + ">(x, a, " + floatLiteral(op.scale, true) + ", " +
               std::to_string(op.packed_kv_heads) + ")";
      default: return unsupported("no kernel in the CUDA library");
    }
  }

 private:
  static const char* quantFormat(OpKernel kernel) {
    switch (kernel) {
      case OpKernel::LinearInt8: return "W8A8";
      case OpKernel::LinearInt8Weight:
      case OpKernel::GatherInt8: return "Int8";
      case OpKernel::LinearInt4:
      case OpKernel::GatherInt4: return "Int4";
      case OpKernel::LinearF16:
      case OpKernel::GatherF16: return "F16";
      default: return "BF16";
    }
  }

  const rt::ModelDesc& model_;
};

// A C++ comment's text: no newline, and no "*/" or trailing backslash to end it early.
std::string commentText(const char* text) {
  std::string out;
  for (const char* c = text; *c; ++c) out += (*c == '\n' || *c == '\r' || *c == '\\') ? ' ' : *c;
  return out;
}

}  // namespace

bool generateCudaSource(const std::string& artifactPath, const std::string& sourceName,
                        CudaSource* out, std::string& error) {
  rt::Model model;
  if (rt::loadModelFile(artifactPath.c_str(), nullptr, &model) != LLMOPT_OK) {
    error = std::string("the compiled model does not load: ") + rt::lastError();
    return false;
  }
  const rt::ModelDesc& desc = model.desc;
  Generator generator(desc);
  // One kernel per distinct call: the layers of a transformer share theirs, which divides nvcc's
  // time (and the fatbin) by about the number of layers.
  std::vector<std::string> calls;
  std::vector<size_t> firstOp, uses;  // per kernel
  std::map<std::string, uint32_t> kernelOfCall;
  out->opKernels.clear();
  for (size_t i = 0; i < desc.ops.size(); ++i) {
    std::optional<std::string> call = generator.call(desc.ops[i], error);
    if (!call) return false;
    auto [it, added] = kernelOfCall.try_emplace(*call, static_cast<uint32_t>(calls.size()));
    if (added) {
      calls.push_back(*call);
      firstOp.push_back(i);
      uses.push_back(0);
    }
    ++uses[it->second];
    out->opKernels.push_back(it->second);
  }
  std::string body;
  for (size_t k = 0; k < calls.size(); ++k) {
    const OpDesc& first = desc.ops[firstOp[k]];
    body += "// " + commentText(first.name) + " (" + rt::opKernelName(first.kernel) + ")";
    if (uses[k] > 1)
      body += " and " + std::to_string(uses[k] - 1) + " more op" + (uses[k] > 2 ? "s" : "");
    body += "\nLLMOPT_CUDA_KERNEL(llmopt_k" + std::to_string(k) + ", " + calls[k] + ")\n";
    if (rt::isCudaLinear(first.kernel))
      body += "LLMOPT_CUDA_GEMV_KERNEL(llmopt_k" + std::to_string(k) + "_gemv, " + calls[k] + ")\n";
  }

  std::string& text = out->text;
  text = "// Generated by llmopt from " + commentText(sourceName.c_str()) + ": " +
         std::to_string(calls.size()) + " kernels (llmopt_k<j>) for the " +
         std::to_string(desc.ops.size()) +
         " ops of its plan,\n"
         "// each a call into the kernel library below (runtime/kernels/cuda) with this model's\n"
         "// constants; ops with the same call share a kernel, and a linear layer's has a second,\n"
         "// llmopt_k<j>_gemv, for a token's few outputs. Compiles with nvcc (the kernels) and as\n"
         "// host C++ (their host emulation, which the tests run against the CPU kernels;\n"
         "// llmopt_host_kernels lists the kernel of each op).\n\n";
  text += kCudaKernelLibrary;
  text += "\n// --- the model's kernels ---\n\n";
  text += body;
  text +=
      "\n#ifndef __CUDACC__\nextern \"C\" const llmopt::cuda::HostKernel llmopt_host_kernels[] = "
      "{\n";
  for (uint32_t k : out->opKernels) text += "    llmopt_k" + std::to_string(k) + ",\n";
  if (desc.ops.empty()) text += "    nullptr,\n";
  text +=
      "};\nextern \"C\" const int llmopt_host_kernel_count = " + std::to_string(desc.ops.size()) +
      ";\n#endif\n";
  out->numKernels = calls.size();
  return true;
}

}  // namespace llmopt
