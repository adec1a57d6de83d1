//===- QuantizedPacking.h - quantized weights in the kernels' layouts -----===//
//
// What the artifact stores for a `quantized_linear` or `quantized_gather`: the constants the
// runtime's op takes after its activation input, in plan.fbs order, each 1-D and filled only
// while the file is written. The layouts are the runtime's (kernels/cpu/generic/qpack.h).
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_BACKENDS_CPU_QUANTIZEDPACKING_H
#define LLMOPT_BACKENDS_CPU_QUANTIZEDPACKING_H

#include "ir/QuantModes.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace llmopt::cpu {

enum class PackedDType { I8, U8, I32, F32, F16, BF16 };

struct PackedConstant {
  std::string role;  // "weight", "scale", ... (a suffix of the tensor's name)
  PackedDType dtype;
  int64_t count = 0;  // elements
  uint64_t bytes = 0;
  std::function<void(char* dst)> fill;
};

/// The stored elements of a quantized op's operands, row-major, as the IR holds them (one byte
/// per int8 or int4 element, two per 16-bit one); `scale` and `offset` empty when absent.
/// The spans must outlive the returned fill functions.
struct QuantizedOperandBytes {
  llvm::ArrayRef<char> weight, scale, offset;
};

/// A quantized linear [n, k]: the packed weight, then its parameters.
std::vector<PackedConstant> packQuantizedLinear(QuantMode mode, int64_t n, int64_t k,
                                                int64_t groupSize,
                                                const QuantizedOperandBytes& operands);

/// A quantized table [rows, dim]: the table, then its parameters (the op takes the indices in
/// between: see plan.fbs).
std::vector<PackedConstant> packQuantizedTable(QuantMode mode, int64_t rows, int64_t dim,
                                               int64_t groupSize,
                                               const QuantizedOperandBytes& operands);

}  // namespace llmopt::cpu

#endif  // LLMOPT_BACKENDS_CPU_QUANTIZEDPACKING_H
