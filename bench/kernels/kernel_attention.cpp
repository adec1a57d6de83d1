#include <algorithm>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "kernels.h"
#include "kernels/cpu/generic/attention.h"
#include "random_fill.h"
#include "thread_counts.h"

namespace llmopt::bench {
namespace {

namespace kc = kernels::cpu;

// GPT-2 small's attention layers: 12 heads of 64, a cache of room for 1024 positions; a decoding
// step at position 192 (the middle of bench_generate.py's 128 new tokens after a 128-token
// prompt). The quick run takes a small cache.
struct DecodeShape {
  int64_t heads = 12, dim = 64, max_seq = 1024, kv_len = 192;
};

const char* cacheTypeName(kc::KvCacheType type) {
  switch (type) {
    case kc::KvCacheType::F32: return "fp32";
    case kc::KvCacheType::F16: return "fp16";
    case kc::KvCacheType::I8: return "int8";
  }
  return "?";
}

}  // namespace

// Each copy is one layer's cache (keys and values); a run is one query against the next copy, so
// that, as in a decoding step, whose weights evict the caches between layers, the cached keys and
// values come from memory. Rate: the bytes of keys, values (and int8 scales) the query reads.
void benchDecodeAttention(const Settings& s, const Limits& lim, RowLog& log) {
  DecodeShape shape;
  if (s.quick) shape.max_seq = 128, shape.kv_len = 70;
  const kc::AttentionVariant& variant = kc::bestAttentionVariant();
  std::vector<float> q(shape.heads * shape.dim), y(q.size());
  std::vector<float> k(shape.kv_len * shape.heads * shape.dim), v(k.size());
  fillFloats(q.data(), q.size(), 21);
  fillFloats(k.data(), k.size(), 22);
  fillFloats(v.data(), v.size(), 23);
  for (const kc::KvCacheType type :
       {kc::KvCacheType::F32, kc::KvCacheType::F16, kc::KvCacheType::I8}) {
    kc::KvCacheLayer layer;
    layer.type = type;
    layer.kv_heads = shape.heads;
    layer.dim = shape.dim;
    layer.positions = kc::kvCachePositions(shape.max_seq);
    const int64_t block_bytes = (kc::kvCacheBlockBytes(layer, 1) + 63) / 64 * 64;
    const int64_t copies = std::max<int64_t>(2, s.gemv_bytes / (2 * block_bytes));
    AlignedBuffer memory(2 * block_bytes * copies);
    std::vector<kc::KvCacheLayer> layers(copies, layer);
    for (int64_t c = 0; c < copies; ++c) {
      layers[c].keys = memory.as<uint8_t>() + 2 * c * block_bytes;
      layers[c].values = memory.as<uint8_t>() + (2 * c + 1) * block_bytes;
      kc::kvCacheAppend(layers[c], 1, 0, shape.kv_len, k.data(), 0, v.data(), 0);
    }
    const int64_t scale_bytes = type == kc::KvCacheType::I8 ? 4 : 0;
    const int64_t bytes_read =
        2 * shape.kv_len * shape.heads *
        (shape.dim * static_cast<int64_t>(kc::kvCacheElementBytes(type)) + scale_bytes);
    const std::string label = std::string("decode attention ") + cacheTypeName(type) + " cache " +
                              std::to_string(shape.heads) + "x" + std::to_string(shape.dim) +
                              " at " + std::to_string(shape.kv_len) + " " + variant.name;
    forEachThreadCount(s, [&](int threads, kernels::Parallel* parallel) {
      int64_t next = 0;
      const Rate rate = measureRate(s.timing, static_cast<double>(bytes_read), [&] {
        kc::CachedAttentionArgs a;
        a.q = q.data();
        a.cache = layers[next];
        a.y = y.data();
        a.batch = 1;
        a.q_len = 1;
        a.kv_len = shape.kv_len;
        a.heads = shape.heads;
        a.scale = 0.125f;
        a.causal = true;
        kc::attentionCachedF32(variant, a, parallel);
        next = (next + 1) % copies;
      });
      Row row = rateRow(std::string("attention.decode.") + cacheTypeName(type) + "." +
                            variant.name + "." + std::to_string(threads),
                        label + " x" + std::to_string(copies), threads, rate, 1e9, "GB/s");
      row.params = {{"heads", static_cast<double>(shape.heads)},
                    {"dim", static_cast<double>(shape.dim)},
                    {"max_seq", static_cast<double>(shape.max_seq)},
                    {"kv_len", static_cast<double>(shape.kv_len)},
                    {"copies", static_cast<double>(copies)},
                    {"bytes_read", static_cast<double>(bytes_read)}};
      addFraction(row, "read_bandwidth", "of read bandwidth",
                  threads == 1 ? lim.read_gbs_1 : lim.read_gbs_n);
      log.add(std::move(row));
    });
  }
}

}  // namespace llmopt::bench
