// Gather of rows of a compressed embedding table, decoded to fp32: ONNX Gather on axis 0 of a
// constant [rows][dim] table stored Int8, Int4, F16 or BF16 (row-major, not in panels).
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QGATHER_H
#define LLMOPT_KERNELS_CPU_GENERIC_QGATHER_H

#include <cstdint>

#include "kernels/cpu/generic/qweight_format.h"
#include "kernels/cpu/parallel.h"

namespace llmopt::kernels::cpu {

struct GatherDecodedArgs {
  QWeightFormat format = QWeightFormat::Int8;
  // Int8: int8 [rows][dim]; Int4: uint8 [rows][ceil(dim / 2)], column 2j in the low nibble of
  // byte j, 2j + 1 in its high nibble; F16, BF16: uint16 [rows][dim].
  const void* table = nullptr;
  const float* row_scale = nullptr;       // Int8: [rows], w = q * row_scale[r]
  const uint16_t* group_scale = nullptr;  // Int4: fp16 [rows][ceil(dim / group_size)]
  const uint16_t* group_offset = nullptr; // Int4: fp16 [rows][groups], w = q * scale + offset
  int64_t group_size = 0;                 // Int4
  int64_t rows = 0, dim = 0;
  const void* indices = nullptr;  // `count` indices, i64 or i32
  bool indices_i64 = true;
  int64_t count = 0;
  float* y = nullptr;  // [count][dim]
};

// y[j] = decode(table[indices[j]]); a negative index counts from the end. Returns false, writing
// nothing and setting *bad_index, when an index lies outside [-rows, rows).
bool gatherDecoded(const GatherDecodedArgs& args, int64_t* bad_index,
                   Parallel* parallel = nullptr);

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QGATHER_H
