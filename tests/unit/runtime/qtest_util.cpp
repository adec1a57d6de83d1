#include "qtest_util.h"

#include <cstring>
#include <random>

#include "kernel_test_util.h"
#include "kernels/cpu/generic/qpack.h"

namespace llmopt::testing {

using kernels::cpu::QWeightFormat;

AlignedBuffer::AlignedBuffer(size_t bytes)
    : data_(std::aligned_alloc(64, (bytes / 64 + 1) * 64)) {
  std::memset(data_, 0, (bytes / 64 + 1) * 64);
}

std::vector<int> randomInts(size_t count, uint32_t seed, int low, int high) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(low, high);
  std::vector<int> values(count);
  for (int& v : values) v = dist(rng);
  return values;
}

QuantizedWeights makeQuantizedWeights(QWeightFormat format, int64_t n, int64_t k,
                                      int64_t group_size, uint32_t seed) {
  namespace kc = kernels::cpu;
  QuantizedWeights w;
  w.format = format;
  w.n = n;
  w.k = k;
  w.dense.resize(n * k);
  const int64_t panels = kc::qPanelCount(n);
  switch (format) {
    case QWeightFormat::Int8: {
      const auto q = randomInts(n * k, seed, -128, 127);
      const auto scales = randomFloats(n, seed + 1, 0.001f, 0.02f);
      std::vector<int8_t> q8(q.begin(), q.end());
      w.rows.assign(reinterpret_cast<uint8_t*>(q8.data()),
                    reinterpret_cast<uint8_t*>(q8.data()) + q8.size());
      w.row_scale = scales;
      w.panel_scale.assign(panels * 16, 0.0f);
      for (int64_t c = 0; c < n; ++c) {
        w.panel_scale[c] = scales[c];
        for (int64_t kk = 0; kk < k; ++kk)
          w.dense[c * k + kk] = static_cast<float>(q[c * k + kk]) * scales[c];
      }
      w.packed.resize(kc::packedInt8Bytes(n, k));
      kc::packInt8(q8.data(), n, k, reinterpret_cast<int8_t*>(w.packed.data()));
      break;
    }
    case QWeightFormat::Int4: {
      w.group_size = group_size;
      w.groups = (k + group_size - 1) / group_size;
      const auto q = randomInts(n * k, seed, 0, 15);
      const auto scales = randomFloats(n * w.groups, seed + 1, 0.001f, 0.05f);
      const auto offsets = randomFloats(n * w.groups, seed + 2, -0.3f, 0.1f);
      for (size_t i = 0; i < scales.size(); ++i) {
        w.row_group_scale.push_back(kc::floatToHalf(scales[i]));
        w.row_group_offset.push_back(kc::floatToHalf(offsets[i]));
      }
      const int64_t row_bytes = (k + 1) / 2;
      w.rows.assign(n * row_bytes, 0);
      for (int64_t c = 0; c < n; ++c)
        for (int64_t kk = 0; kk < k; ++kk) {
          const int v = q[c * k + kk];
          w.rows[c * row_bytes + kk / 2] |= static_cast<uint8_t>((kk & 1) ? v << 4 : v);
          const int64_t g = c * w.groups + kk / group_size;
          const float scaled =
              static_cast<float>(v) * kc::halfToFloat(w.row_group_scale[g]);
          w.dense[c * k + kk] = scaled + kc::halfToFloat(w.row_group_offset[g]);
        }
      std::vector<uint8_t> q8(q.begin(), q.end());
      w.packed.resize(kc::packedInt4Bytes(n, k));
      kc::packInt4(q8.data(), n, k, w.packed.data());
      w.panel_group_scale.resize(panels * w.groups * 16);
      w.panel_group_offset.resize(panels * w.groups * 16);
      kc::packInt4GroupParams(w.row_group_scale.data(), n, w.groups, w.panel_group_scale.data());
      kc::packInt4GroupParams(w.row_group_offset.data(), n, w.groups,
                              w.panel_group_offset.data());
      break;
    }
    case QWeightFormat::F16:
    case QWeightFormat::BF16: {
      const bool half = format == QWeightFormat::F16;
      const auto values = randomFloats(n * k, seed, -1.0f, 1.0f);
      std::vector<uint16_t> bits(n * k);
      for (int64_t i = 0; i < n * k; ++i) {
        bits[i] = half ? kc::floatToHalf(values[i]) : kc::floatToBFloat16(values[i]);
        w.dense[i] = half ? kc::halfToFloat(bits[i]) : kc::bfloat16ToFloat(bits[i]);
      }
      w.rows.resize(bits.size() * 2);
      std::memcpy(w.rows.data(), bits.data(), w.rows.size());
      w.packed.resize(kc::packed16BitBytes(n, k));
      kc::pack16Bit(bits.data(), n, k, reinterpret_cast<uint16_t*>(w.packed.data()));
      break;
    }
  }
  return w;
}

const char* formatName(QWeightFormat format) {
  switch (format) {
    case QWeightFormat::Int8: return "int8";
    case QWeightFormat::Int4: return "int4";
    case QWeightFormat::F16: return "f16";
    case QWeightFormat::BF16: return "bf16";
  }
  return "?";
}

}  // namespace llmopt::testing
