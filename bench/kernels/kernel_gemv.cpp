#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "kernels.h"
#include "kernels/cpu/generic/qdecode.h"
#include "kernels/cpu/generic/qfloat16.h"
#include "kernels/cpu/generic/qlinear.h"
#include "kernels/cpu/generic/qpack.h"
#include "random_fill.h"
#include "thread_counts.h"

namespace llmopt::bench {
namespace {

namespace kc = kernels::cpu;

constexpr int64_t kGroupSize = 64;  // the int4 format's default group size

// `copies` copies of one array, each on a 64-byte boundary: cycling through them reads `copies`
// times as many distinct bytes, more than the last-level cache holds.
class Replicated {
 public:
  template <class T>
  Replicated(const std::vector<T>& src, int64_t copies)
      : bytes_(static_cast<int64_t>(src.size() * sizeof(T))),
        stride_((bytes_ + 63) / 64 * 64),
        data_(static_cast<size_t>(stride_ * copies)) {
    for (int64_t c = 0; c < copies; ++c)
      std::memcpy(data_.as<uint8_t>() + c * stride_, src.data(), static_cast<size_t>(bytes_));
  }
  template <class T>
  const T* copy(int64_t c) const {
    return reinterpret_cast<const T*>(data_.as<uint8_t>() + c * stride_);
  }

 private:
  int64_t bytes_, stride_;
  AlignedBuffer data_;
};

template <class T>
int64_t byteSize(const std::vector<T>& v) {
  return static_cast<int64_t>(v.size() * sizeof(T));
}

int64_t copiesFor(const Settings& s, int64_t bytes_per_copy) {
  return std::max<int64_t>(1, (s.gemv_bytes + bytes_per_copy - 1) / bytes_per_copy);
}

// One row per thread count; run(copy, parallel) computes one M = 1 product over weight copy
// `copy`, cycling through all of them.
template <class Run>
void timeGemv(const Settings& s, const Limits& lim, const std::string& id, const std::string& label,
              int64_t bytes_per_copy, int64_t copies, RowLog& log, Run&& run) {
  forEachThreadCount(s, [&](int threads, kernels::Parallel* parallel) {
    int64_t next = 0;
    const Rate rate = measureRate(s.timing, static_cast<double>(bytes_per_copy), [&] {
      run(next, parallel);
      next = (next + 1) % copies;
    });
    Row row = rateRow(id + "." + std::to_string(threads), label + " x" + std::to_string(copies),
                      threads, rate, 1e9, "GB/s");
    row.params = {{"m", 1},
                  {"k", static_cast<double>(s.gemv_k)},
                  {"n", static_cast<double>(s.gemv_n)},
                  {"copies", static_cast<double>(copies)},
                  {"bytes_per_copy", static_cast<double>(bytes_per_copy)},
                  {"bytes_cycled", static_cast<double>(bytes_per_copy * copies)}};
    addFraction(row, "read_bandwidth", "of read bandwidth",
                threads == 1 ? lim.read_gbs_1 : lim.read_gbs_n);
    log.add(std::move(row));
  });
}

}  // namespace

// The bytes streamed per product are the packed weights and their parameters (scales, column
// sums, group offsets), which come from memory with them; x, y and the bias stay in cache.
void benchGemv(const Settings& s, const Limits& lim, RowLog& log) {
  const int64_t k = s.gemv_k, n = s.gemv_n, panels = kc::qPanelCount(n);
  const std::string shape = "1x" + std::to_string(k) + "x" + std::to_string(n);
  AlignedBuffer x(k * sizeof(float)), y(n * sizeof(float));
  fillFloats(x.as<float>(), k, 11);
  std::vector<float> bias(n);
  fillFloats(bias.data(), bias.size(), 12);
  const std::vector<float> channel_scale(panels * 16, 0.01f);

  {  // W8A8: int8 weights, the activation row quantized at run time
    std::vector<int8_t> w(n * k), packed(kc::packedW8A8Bytes(n, k));
    fillBytes(w.data(), w.size(), 13);
    kc::packW8A8(w.data(), n, k, packed.data());
    std::vector<int32_t> colsum(panels * 16);
    kc::w8a8ColumnSums(w.data(), n, k, colsum.data());
    w = {};
    const int64_t bytes = byteSize(packed) + byteSize(colsum) + byteSize(channel_scale);
    const int64_t copies = copiesFor(s, bytes);
    const Replicated r_w(packed, copies), r_colsum(colsum, copies), r_scale(channel_scale, copies);
    packed = {};
    AlignedBuffer scratch(kc::linearW8A8ScratchBytes(1, k, n));
    const char* variant = kc::qgemmVariantForRows(1).name;
    timeGemv(s, lim, std::string("gemv.int8_w8a8.") + variant,
             "int8 w8a8 gemv " + shape + " " + variant, bytes, copies, log,
             [&](int64_t copy, kernels::Parallel* parallel) {
               kc::LinearW8A8Args a;
               a.x = x.as<float>();
               a.m = 1;
               a.k = k;
               a.n = n;
               a.w = r_w.copy<int8_t>(copy);
               a.w_colsum = r_colsum.copy<int32_t>(copy);
               a.w_scale = r_scale.copy<float>(copy);
               a.bias = bias.data();
               a.y = y.as<float>();
               a.scratch = scratch.data();
               kc::linearW8A8(a, parallel);
             });
  }

  const char* decode = kc::bestQDecodeVariant().name;
  AlignedBuffer decode_scratch(kc::linearDecodedScratchFloats(1, k, n) * sizeof(float));
  auto decodedArgs = [&] {
    kc::LinearDecodedArgs a;
    a.x = x.as<float>();
    a.m = 1;
    a.k = k;
    a.n = n;
    a.bias = bias.data();
    a.y = y.as<float>();
    a.scratch = decode_scratch.as<float>();
    return a;
  };

  {  // weight-only int8, per-channel scales, decoded to fp32 inside the GEMV
    std::vector<int8_t> w(n * k), packed(kc::packedInt8Bytes(n, k));
    fillBytes(w.data(), w.size(), 14);
    kc::packInt8(w.data(), n, k, packed.data());
    w = {};
    const int64_t bytes = byteSize(packed) + byteSize(channel_scale);
    const int64_t copies = copiesFor(s, bytes);
    const Replicated r_w(packed, copies), r_scale(channel_scale, copies);
    packed = {};
    timeGemv(s, lim, std::string("gemv.int8_decoded.") + decode,
             "int8 decoded gemv " + shape + " " + decode, bytes, copies, log,
             [&](int64_t copy, kernels::Parallel* parallel) {
               kc::LinearDecodedArgs a = decodedArgs();
               a.format = kc::QWeightFormat::Int8;
               a.w = r_w.copy<int8_t>(copy);
               a.scale = r_scale.copy<float>(copy);
               kc::linearDecoded(a, parallel);
             });
  }

  {  // weight-only int4, groups of 64 along k with an fp16 scale and offset each
    std::vector<uint8_t> q(n * k), packed(kc::packedInt4Bytes(n, k));
    fillBytes(q.data(), q.size(), 15, 0x0f);
    kc::packInt4(q.data(), n, k, packed.data());
    q = {};
    const int64_t groups = (k + kGroupSize - 1) / kGroupSize;
    std::vector<uint16_t> row_scale(n * groups), row_offset(n * groups);
    XorShift rng(16);
    for (size_t i = 0; i < row_scale.size(); ++i) {
      row_scale[i] = kc::floatToHalf(0.01f + 0.005f * rng.nextFloat());
      row_offset[i] = kc::floatToHalf(0.1f * rng.nextFloat());
    }
    std::vector<uint16_t> group_scale(panels * groups * 16), group_offset(panels * groups * 16);
    kc::packInt4GroupParams(row_scale.data(), n, groups, group_scale.data());
    kc::packInt4GroupParams(row_offset.data(), n, groups, group_offset.data());
    const int64_t bytes = byteSize(packed) + byteSize(group_scale) + byteSize(group_offset);
    const int64_t copies = copiesFor(s, bytes);
    const Replicated r_w(packed, copies), r_scale(group_scale, copies),
        r_offset(group_offset, copies);
    packed = {};
    timeGemv(s, lim, std::string("gemv.int4_g64_decoded.") + decode,
             "int4 g64 decoded gemv " + shape + " " + decode, bytes, copies, log,
             [&](int64_t copy, kernels::Parallel* parallel) {
               kc::LinearDecodedArgs a = decodedArgs();
               a.format = kc::QWeightFormat::Int4;
               a.w = r_w.copy<uint8_t>(copy);
               a.group_scale = r_scale.copy<uint16_t>(copy);
               a.group_offset = r_offset.copy<uint16_t>(copy);
               a.group_size = kGroupSize;
               kc::linearDecoded(a, parallel);
             });
  }
}

}  // namespace llmopt::bench
