#include "kernels/cpu/generic/kv_cache.h"

#include <cstring>

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

void rowTo(const float* x, int64_t n, float* y) { std::memcpy(y, x, n * sizeof(float)); }
void rowTo(const float* x, int64_t n, uint16_t* y) { rowToHalf(x, n, y); }

template <class T>
void append(const KvCacheLayer& c, int64_t batch, int64_t past, int64_t len, const float* k,
            int64_t k_stride, const float* v, int64_t v_stride) {
  T* keys = static_cast<T*>(c.keys);
  T* values = static_cast<T*>(c.values);
  const int64_t dim = c.dim;
  T key[kAttentionMaxDim];  // a key row converted, then spread over its tile's lane
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t g = 0; g < c.kv_heads; ++g) {
      const int64_t head = b * c.batchElements() + g * c.headElements();
      for (int64_t i = 0; i < len; ++i) {
        const int64_t position = past + i, lane = position % kKvKeyTile;
        T* tile = keys + head + (position - lane) * dim;
        if (lane == 0) std::memset(tile, 0, kKvKeyTile * dim * sizeof(T));
        rowTo(k + (b * len + i) * k_stride + g * dim, dim, key);
        for (int64_t d = 0; d < dim; ++d) tile[d * kKvKeyTile + lane] = key[d];
        rowTo(v + (b * len + i) * v_stride + g * dim, dim, values + head + position * dim);
      }
    }
}

template <class T>
float keyAt(const KvCacheLayer& c, int64_t b, int64_t g, int64_t position, int64_t d) {
  const int64_t lane = position % kKvKeyTile;
  return kvCacheToFloat(static_cast<const T*>(c.keys)[b * c.batchElements() + g * c.headElements() +
                                               (position - lane) * c.dim + d * kKvKeyTile + lane]);
}

template <class T>
float valueAt(const KvCacheLayer& c, int64_t b, int64_t g, int64_t position, int64_t d) {
  return kvCacheToFloat(static_cast<const T*>(
      c.values)[b * c.batchElements() + g * c.headElements() + position * c.dim + d]);
}

}  // namespace

void kvCacheAppend(const KvCacheLayer& cache, int64_t batch, int64_t past, int64_t len,
                   const float* k, int64_t k_stride, const float* v, int64_t v_stride) {
  if (cache.type == KvCacheType::F16)
    append<uint16_t>(cache, batch, past, len, k, k_stride, v, v_stride);
  else
    append<float>(cache, batch, past, len, k, k_stride, v, v_stride);
}

float kvCacheKey(const KvCacheLayer& cache, int64_t b, int64_t g, int64_t position, int64_t d) {
  return cache.type == KvCacheType::F16 ? keyAt<uint16_t>(cache, b, g, position, d)
                                        : keyAt<float>(cache, b, g, position, d);
}

float kvCacheValue(const KvCacheLayer& cache, int64_t b, int64_t g, int64_t position, int64_t d) {
  return cache.type == KvCacheType::F16 ? valueAt<uint16_t>(cache, b, g, position, d)
                                        : valueAt<float>(cache, b, g, position, d);
}

}  // namespace llmopt::kernels::cpu
