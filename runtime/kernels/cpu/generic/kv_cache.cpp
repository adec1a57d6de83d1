#include "kernels/cpu/generic/kv_cache.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels/cpu/generic/attention.h"
#include "kernels/cpu/x86/qdecode_x86.h"

namespace llmopt::kernels::cpu {
namespace {

// A row of fp32 to fp16 (IEEE round to nearest even, as floatToHalf): F16C eight at a time where
// the CPU has it (a step converts 2 x kv_heads x dim values per layer; the plain conversion's
// branches were a tenth of a step's attention time).
#ifdef LLMOPT_QKERNELS_X86
__attribute__((target("avx,f16c"))) void rowToHalfF16c(const float* x, int64_t n, uint16_t* h) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) h[i] = floatToHalf(x[i]);
}
#endif

void rowToHalf(const float* x, int64_t n, uint16_t* h) {
#ifdef LLMOPT_QKERNELS_X86
  static const bool f16c = cpuHasAvx2F16c();
  if (f16c) return rowToHalfF16c(x, n, h);
#endif
  for (int64_t i = 0; i < n; ++i) h[i] = floatToHalf(x[i]);
}

// Returns the scale of the row: its largest magnitude over 127 (0 for a row of zeros, whose
// elements are then 0). Rounds half away from zero, in loops the compiler vectorises (a
// 128-token prefill stores 200 K values a layer).
float rowToInt8(const float* x, int64_t n, int8_t* q) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float scale = amax / 127.0f, inverse = amax > 0.0f ? 127.0f / amax : 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    const float r = x[i] * inverse;  // within [-127, 127]
    q[i] = static_cast<int8_t>(static_cast<int32_t>(r + (r < 0.0f ? -0.5f : 0.5f)));
  }
  return scale;
}

float rowTo(const float* x, int64_t n, float* y) {
  std::memcpy(y, x, n * sizeof(float));
  return 1.0f;
}
float rowTo(const float* x, int64_t n, uint16_t* y) {
  rowToHalf(x, n, y);
  return 1.0f;
}
float rowTo(const float* x, int64_t n, int8_t* y) { return rowToInt8(x, n, y); }

template <class T>
void append(const KvCacheLayer& c, int64_t batch, int64_t past, int64_t len, const float* k,
            int64_t k_stride, const float* v, int64_t v_stride) {
  T* keys = static_cast<T*>(c.keys);
  T* values = static_cast<T*>(c.values);
  const int64_t dim = c.dim;
  T key[kAttentionMaxDim];  // a key row converted, then spread over its tile's lane
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t g = 0; g < c.kv_heads; ++g)
      for (int64_t i = 0; i < len; ++i) {
        const int64_t position = past + i, r = position % kKvChunk, lane = r % kKvKeyTile;
        const int64_t block = c.blockOffset(b, g, position / kKvChunk);
        T* tile = keys + block + (r - lane) * dim;
        if (lane == 0) std::memset(tile, 0, kKvKeyTile * dim * sizeof(T));
        const float key_scale = rowTo(k + (b * len + i) * k_stride + g * dim, dim, key);
        for (int64_t d = 0; d < dim; ++d) tile[d * kKvKeyTile + lane] = key[d];
        const float value_scale =
            rowTo(v + (b * len + i) * v_stride + g * dim, dim, values + block + r * dim);
        if constexpr (std::is_same_v<T, int8_t>) {
          kvCacheScales(keys + block, dim)[r] = key_scale;
          kvCacheScales(values + block, dim)[r] = value_scale;
        }
      }
}

// The element at `at` of its block times its position's scale for int8.
template <class T>
float dequantized(const KvCacheLayer& c, const void* blocks, int64_t b, int64_t g, int64_t position,
                  int64_t at) {
  const T* block = static_cast<const T*>(blocks) + c.blockOffset(b, g, position / kKvChunk);
  const float x = kvCacheToFloat(block[at]);
  if constexpr (std::is_same_v<T, int8_t>)
    return x * kvCacheScales(block, c.dim)[position % kKvChunk];
  return x;
}

template <class T>
float keyAt(const KvCacheLayer& c, int64_t b, int64_t g, int64_t position, int64_t d) {
  const int64_t r = position % kKvChunk, lane = r % kKvKeyTile;
  return dequantized<T>(c, c.keys, b, g, position, (r - lane) * c.dim + d * kKvKeyTile + lane);
}

template <class T>
float valueAt(const KvCacheLayer& c, int64_t b, int64_t g, int64_t position, int64_t d) {
  return dequantized<T>(c, c.values, b, g, position, position % kKvChunk * c.dim + d);
}

}  // namespace

void kvCacheAppend(const KvCacheLayer& cache, int64_t batch, int64_t past, int64_t len,
                   const float* k, int64_t k_stride, const float* v, int64_t v_stride) {
  switch (cache.type) {
    case KvCacheType::F32: return append<float>(cache, batch, past, len, k, k_stride, v, v_stride);
    case KvCacheType::F16:
      return append<uint16_t>(cache, batch, past, len, k, k_stride, v, v_stride);
    case KvCacheType::I8: return append<int8_t>(cache, batch, past, len, k, k_stride, v, v_stride);
  }
}

float kvCacheKey(const KvCacheLayer& cache, int64_t b, int64_t g, int64_t position, int64_t d) {
  switch (cache.type) {
    case KvCacheType::F16: return keyAt<uint16_t>(cache, b, g, position, d);
    case KvCacheType::I8: return keyAt<int8_t>(cache, b, g, position, d);
    default: return keyAt<float>(cache, b, g, position, d);
  }
}

float kvCacheValue(const KvCacheLayer& cache, int64_t b, int64_t g, int64_t position, int64_t d) {
  switch (cache.type) {
    case KvCacheType::F16: return valueAt<uint16_t>(cache, b, g, position, d);
    case KvCacheType::I8: return valueAt<int8_t>(cache, b, g, position, d);
    default: return valueAt<float>(cache, b, g, position, d);
  }
}

}  // namespace llmopt::kernels::cpu
