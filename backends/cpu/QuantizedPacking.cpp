//===- QuantizedPacking.cpp - quantized weights in the kernels' layouts ---===//
#include "backends/cpu/QuantizedPacking.h"

#include "kernels/cpu/generic/qpack.h"

#include <cstring>

namespace llmopt::cpu {
namespace kc = llmopt::kernels::cpu;

namespace {

/// A typed, aligned copy of raw bytes (IR data need not be aligned for T).
template <class T>
std::vector<T> typed(llvm::ArrayRef<char> bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!bytes.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

/// Per-channel fp32 scales padded with zeros to whole panels.
PackedConstant paddedScale(int64_t n, llvm::ArrayRef<char> scale) {
  int64_t padded = kc::qPanelCount(n) * kc::kQPanelWidth;
  return {"scale", PackedDType::F32, padded, padded * sizeof(float), [=](char* dst) {
            std::memset(dst, 0, padded * sizeof(float));
            std::memcpy(dst, scale.data(), n * sizeof(float));
          }};
}

/// A constant stored as the IR holds it.
PackedConstant verbatim(std::string role, PackedDType dtype, int64_t count, size_t elementBytes,
                        llvm::ArrayRef<char> bytes) {
  return {std::move(role), dtype, count, count * elementBytes,
          [=](char* dst) { std::memcpy(dst, bytes.data(), count * elementBytes); }};
}

}  // namespace

std::vector<PackedConstant> packQuantizedLinear(QuantMode mode, int64_t n, int64_t k,
                                                int64_t groupSize,
                                                const QuantizedOperandBytes& in) {
  const int64_t panels = kc::qPanelCount(n);
  std::vector<PackedConstant> out;
  switch (mode) {
    case QuantMode::Int8: {
      int64_t bytes = kc::packedW8A8Bytes(n, k);
      out.push_back({"weight", PackedDType::I8, bytes, static_cast<uint64_t>(bytes),
                     [=](char* dst) {
                       kc::packW8A8(reinterpret_cast<const int8_t*>(in.weight.data()), n, k,
                                    reinterpret_cast<int8_t*>(dst));
                     }});
      int64_t sums = panels * kc::kQPanelWidth;
      out.push_back({"colsum", PackedDType::I32, sums, sums * sizeof(int32_t), [=](char* dst) {
                       std::vector<int32_t> colsum(sums);
                       kc::w8a8ColumnSums(reinterpret_cast<const int8_t*>(in.weight.data()), n,
                                          k, colsum.data());
                       std::memcpy(dst, colsum.data(), sums * sizeof(int32_t));
                     }});
      out.push_back(paddedScale(n, in.scale));
      break;
    }
    case QuantMode::Int8Weight: {
      int64_t bytes = kc::packedInt8Bytes(n, k);
      out.push_back({"weight", PackedDType::I8, bytes, static_cast<uint64_t>(bytes),
                     [=](char* dst) {
                       kc::packInt8(reinterpret_cast<const int8_t*>(in.weight.data()), n, k,
                                    reinterpret_cast<int8_t*>(dst));
                     }});
      out.push_back(paddedScale(n, in.scale));
      break;
    }
    case QuantMode::Int4: {
      int64_t bytes = kc::packedInt4Bytes(n, k);
      out.push_back({"weight", PackedDType::U8, bytes, static_cast<uint64_t>(bytes),
                     [=](char* dst) {
                       kc::packInt4(reinterpret_cast<const uint8_t*>(in.weight.data()), n, k,
                                    reinterpret_cast<uint8_t*>(dst));
                     }});
      int64_t groups = quantGroupCount(k, groupSize);
      int64_t count = panels * groups * kc::kQPanelWidth;
      auto params = [=](std::string role, llvm::ArrayRef<char> bits) {
        return PackedConstant{std::move(role), PackedDType::F16, count, count * sizeof(uint16_t),
                              [=](char* dst) {
                                std::vector<uint16_t> values = typed<uint16_t>(bits);
                                std::vector<uint16_t> packed(count);
                                kc::packInt4GroupParams(values.data(), n, groups, packed.data());
                                std::memcpy(dst, packed.data(), count * sizeof(uint16_t));
                              }};
      };
      out.push_back(params("scale", in.scale));
      out.push_back(params("offset", in.offset));
      break;
    }
    case QuantMode::F16:
    case QuantMode::BF16: {
      int64_t count = kc::packed16BitBytes(n, k) / 2;
      out.push_back({"weight", mode == QuantMode::F16 ? PackedDType::F16 : PackedDType::BF16,
                     count, count * sizeof(uint16_t), [=](char* dst) {
                       std::vector<uint16_t> values = typed<uint16_t>(in.weight);
                       std::vector<uint16_t> packed(count);
                       kc::pack16Bit(values.data(), n, k, packed.data());
                       std::memcpy(dst, packed.data(), count * sizeof(uint16_t));
                     }});
      break;
    }
  }
  return out;
}

std::vector<PackedConstant> packQuantizedTable(QuantMode mode, int64_t rows, int64_t dim,
                                               int64_t groupSize,
                                               const QuantizedOperandBytes& in) {
  std::vector<PackedConstant> out;
  switch (mode) {
    case QuantMode::Int8:
    case QuantMode::Int8Weight:
      out.push_back(verbatim("table", PackedDType::I8, rows * dim, 1, in.weight));
      out.push_back(verbatim("scale", PackedDType::F32, rows, sizeof(float), in.scale));
      break;
    case QuantMode::Int4: {
      int64_t rowBytes = (dim + 1) / 2;
      out.push_back({"table", PackedDType::U8, rows * rowBytes,
                     static_cast<uint64_t>(rows * rowBytes), [=](char* dst) {
                       // Column 2j in the low nibble, 2j + 1 in the high one.
                       const auto* q = reinterpret_cast<const uint8_t*>(in.weight.data());
                       auto* packed = reinterpret_cast<uint8_t*>(dst);
                       std::memset(packed, 0, rows * rowBytes);
                       for (int64_t r = 0; r < rows; ++r)
                         for (int64_t c = 0; c < dim; ++c)
                           packed[r * rowBytes + c / 2] |=
                               static_cast<uint8_t>((q[r * dim + c] & 15) << (c % 2 ? 4 : 0));
                     }});
      int64_t groups = quantGroupCount(dim, groupSize);
      out.push_back(verbatim("scale", PackedDType::F16, rows * groups, 2, in.scale));
      out.push_back(verbatim("offset", PackedDType::F16, rows * groups, 2, in.offset));
      break;
    }
    case QuantMode::F16:
    case QuantMode::BF16:
      out.push_back(verbatim("table", mode == QuantMode::F16 ? PackedDType::F16 : PackedDType::BF16,
                             rows * dim, 2, in.weight));
      break;
  }
  return out;
}

}  // namespace llmopt::cpu
