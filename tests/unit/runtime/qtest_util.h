// Helpers for the quantized-kernel tests: 64-byte aligned scratch, random integers, and weights of
// every weight-only format with their decoded fp32 values (the reference).
#ifndef LLMOPT_TESTS_UNIT_RUNTIME_QTEST_UTIL_H
#define LLMOPT_TESTS_UNIT_RUNTIME_QTEST_UTIL_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "kernels/cpu/generic/qweight_format.h"

namespace llmopt::testing {

// Zero-filled, 64-byte aligned; never null (at least one cache line).
class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t bytes);
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  void* data() const { return data_; }
  float* floats() const { return static_cast<float*>(data_); }

 private:
  void* data_;
};

// `count` integers uniform in [low, high].
std::vector<int> randomInts(size_t count, uint32_t seed, int low, int high);

// Weights W[n][k] in one of the weight-only formats, as the kernels take them (packed for the
// linear kernels: `packed` panels with per-panel params, or row-major `rows` for a table) and
// decoded to fp32 by the documented formulas (`dense`, [n][k]).
struct QuantizedWeights {
  kernels::cpu::QWeightFormat format;
  int64_t n = 0, k = 0, group_size = 0, groups = 0;
  std::vector<float> dense;
  // Row-major: Int8 int8 [n][k]; Int4 uint8 [n][ceil(k / 2)] nibbles; F16, BF16 uint16 [n][k].
  std::vector<uint8_t> rows;
  std::vector<float> row_scale;                          // Int8: [n]
  std::vector<uint16_t> row_group_scale, row_group_offset;  // Int4: [n][groups]
  // The qpack.h layouts.
  std::vector<uint8_t> packed;
  std::vector<float> panel_scale;                            // Int8: [panels * 16]
  std::vector<uint16_t> panel_group_scale, panel_group_offset;  // Int4: [panel][group][16]
};

// Random q and params: Int8 q in [-128, 127], scales in [0.001, 0.02]; Int4 q in [0, 15], fp16
// scales in [0.001, 0.05] and offsets in [-0.3, 0.1]; F16, BF16 values in [-1, 1].
QuantizedWeights makeQuantizedWeights(kernels::cpu::QWeightFormat format, int64_t n, int64_t k,
                                      int64_t group_size, uint32_t seed);

const char* formatName(kernels::cpu::QWeightFormat format);

}  // namespace llmopt::testing

#endif  // LLMOPT_TESTS_UNIT_RUNTIME_QTEST_UTIL_H
