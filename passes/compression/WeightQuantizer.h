//===- WeightQuantizer.h - fp32 weights to the stored precisions ----------===//
//
// The arithmetic of llmopt-quantize, apart from the IR: a row-major [rows, cols] fp32 matrix
// (a linear weight [N, K] or an embedding table [V, D]) becomes the integers and parameters the
// quantized ops hold, and back (for the report's error figures).
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_PASSES_COMPRESSION_WEIGHTQUANTIZER_H
#define LLMOPT_PASSES_COMPRESSION_WEIGHTQUANTIZER_H

#include "ir/QuantModes.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace llmopt {

struct QuantizedMatrix {
  QuantMode mode = QuantMode::Int8;
  int64_t rows = 0, cols = 0;
  int64_t groupSize = 0;  // int4: columns per group; 0 otherwise
  /// The stored elements, row-major: one byte each for int8 (two's complement) and int4
  /// (0..15), two bytes (little-endian IEEE half or bfloat16 bits) for fp16/bf16.
  std::vector<char> data;
  std::vector<float> scale;  // int8 modes: [rows]
  /// int4: fp16 bits [rows][groups]; w = q * scale + offset.
  std::vector<uint16_t> groupScale, groupOffset;
};

/// int8: symmetric per row (scale = max|w| / 127, q in [-127, 127]);
/// int4: per group of `groupSize` columns, q in [0, 15] spanning [min, max] of the group, with
///       the scale and offset rounded to fp16 before q is chosen (so q fits what is stored);
/// fp16 / bf16: round to nearest even.
QuantizedMatrix quantizeMatrix(llvm::ArrayRef<float> values, int64_t rows, int64_t cols,
                               QuantMode mode, int64_t groupSize);

/// The fp32 values the kernels compute with.
std::vector<float> dequantizeMatrix(const QuantizedMatrix& matrix);

/// Bytes of everything the artifact stores for `matrix` (elements at their bit width, plus
/// scales and offsets).
uint64_t quantizedBytes(const QuantizedMatrix& matrix);

uint16_t floatToHalfBits(float value);
float halfBitsToFloat(uint16_t bits);
uint16_t floatToBFloat16Bits(float value);
float bfloat16BitsToFloat(uint16_t bits);

}  // namespace llmopt

#endif  // LLMOPT_PASSES_COMPRESSION_WEIGHTQUANTIZER_H
