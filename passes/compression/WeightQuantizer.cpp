//===- WeightQuantizer.cpp - fp32 weights to the stored precisions --------===//
#include "passes/compression/WeightQuantizer.h"

#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace llmopt {

uint16_t floatToHalfBits(float value) {
  llvm::APFloat f(value);
  bool lost;
  f.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}

float halfBitsToFloat(uint16_t bits) {
  llvm::APFloat f(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
  bool lost;
  f.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven, &lost);
  return f.convertToFloat();
}

uint16_t floatToBFloat16Bits(float value) {
  llvm::APFloat f(value);
  bool lost;
  f.convert(llvm::APFloat::BFloat(), llvm::APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}

float bfloat16BitsToFloat(uint16_t bits) {
  uint32_t word = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &word, sizeof value);
  return value;
}

namespace {

void quantizeInt8Rows(llvm::ArrayRef<float> w, QuantizedMatrix& m) {
  m.data.resize(m.rows * m.cols);
  m.scale.resize(m.rows);
  for (int64_t r = 0; r < m.rows; ++r) {
    const float* row = w.data() + r * m.cols;
    float absMax = 0.0f;
    for (int64_t c = 0; c < m.cols; ++c) absMax = std::max(absMax, std::fabs(row[c]));
    float scale = absMax / 127.0f;
    m.scale[r] = scale;
    for (int64_t c = 0; c < m.cols; ++c) {
      float q = scale > 0.0f ? std::nearbyint(row[c] / scale) : 0.0f;
      m.data[r * m.cols + c] = static_cast<char>(static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f)));
    }
  }
}

void quantizeInt4Groups(llvm::ArrayRef<float> w, QuantizedMatrix& m) {
  int64_t groups = quantGroupCount(m.cols, m.groupSize);
  m.data.resize(m.rows * m.cols);
  m.groupScale.resize(m.rows * groups);
  m.groupOffset.resize(m.rows * groups);
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      int64_t c0 = g * m.groupSize, c1 = std::min(m.cols, c0 + m.groupSize);
      const float* row = w.data() + r * m.cols;
      float lo = row[c0], hi = row[c0];
      for (int64_t c = c0; c < c1; ++c) lo = std::min(lo, row[c]), hi = std::max(hi, row[c]);
      uint16_t offsetBits = floatToHalfBits(lo);
      uint16_t scaleBits = floatToHalfBits((hi - lo) / 15.0f);
      float offset = halfBitsToFloat(offsetBits), scale = halfBitsToFloat(scaleBits);
      m.groupScale[r * groups + g] = scaleBits;
      m.groupOffset[r * groups + g] = offsetBits;
      for (int64_t c = c0; c < c1; ++c) {
        float q = scale > 0.0f ? std::nearbyint((row[c] - offset) / scale) : 0.0f;
        m.data[r * m.cols + c] = static_cast<char>(std::clamp(q, 0.0f, 15.0f));
      }
    }
  }
}

void convert16Bit(llvm::ArrayRef<float> w, QuantizedMatrix& m, uint16_t (*convert)(float)) {
  m.data.resize(w.size() * 2);
  for (size_t i = 0; i < w.size(); ++i) {
    uint16_t bits = convert(w[i]);
    m.data[2 * i] = static_cast<char>(bits & 0xff);
    m.data[2 * i + 1] = static_cast<char>(bits >> 8);
  }
}

uint16_t bitsAt(const std::vector<char>& data, size_t i) {
  return static_cast<uint16_t>(static_cast<uint8_t>(data[2 * i]) |
                               (static_cast<uint8_t>(data[2 * i + 1]) << 8));
}

}  // namespace

QuantizedMatrix quantizeMatrix(llvm::ArrayRef<float> values, int64_t rows, int64_t cols,
                               QuantMode mode, int64_t groupSize) {
  QuantizedMatrix m;
  m.mode = mode;
  m.rows = rows;
  m.cols = cols;
  m.groupSize = mode == QuantMode::Int4 ? groupSize : 0;
  switch (mode) {
    case QuantMode::Int8:
    case QuantMode::Int8Weight: quantizeInt8Rows(values, m); break;
    case QuantMode::Int4: quantizeInt4Groups(values, m); break;
    case QuantMode::F16: convert16Bit(values, m, floatToHalfBits); break;
    case QuantMode::BF16: convert16Bit(values, m, floatToBFloat16Bits); break;
  }
  return m;
}

std::vector<float> dequantizeMatrix(const QuantizedMatrix& m) {
  std::vector<float> w(m.rows * m.cols);
  int64_t groups = m.groupSize ? quantGroupCount(m.cols, m.groupSize) : 0;
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t c = 0; c < m.cols; ++c) {
      size_t i = r * m.cols + c;
      switch (m.mode) {
        case QuantMode::Int8:
        case QuantMode::Int8Weight:
          w[i] = static_cast<float>(static_cast<int8_t>(m.data[i])) * m.scale[r];
          break;
        case QuantMode::Int4: {
          int64_t g = r * groups + c / m.groupSize;
          w[i] = static_cast<float>(static_cast<uint8_t>(m.data[i])) *
                     halfBitsToFloat(m.groupScale[g]) +
                 halfBitsToFloat(m.groupOffset[g]);
          break;
        }
        case QuantMode::F16: w[i] = halfBitsToFloat(bitsAt(m.data, i)); break;
        case QuantMode::BF16: w[i] = bfloat16BitsToFloat(bitsAt(m.data, i)); break;
      }
    }
  }
  return w;
}

uint64_t quantizedBytes(const QuantizedMatrix& m) {
  uint64_t elements = static_cast<uint64_t>(m.rows) * m.cols;
  uint64_t bytes = (elements * quantWeightBits(m.mode) + 7) / 8;
  return bytes + m.scale.size() * sizeof(float) +
         (m.groupScale.size() + m.groupOffset.size()) * sizeof(uint16_t);
}

}  // namespace llmopt
