#include "kernels/cpu/generic/qpack.h"

namespace llmopt::kernels::cpu {
namespace {

int64_t quadCount(int64_t k) { return (k + 3) / 4; }

// Panel-major copy of 16-channel rows: dst row (p, kk) gets W[16p + j][kk], j < 16, zero past n.
template <class T>
void packN16(const T* w, int64_t n, int64_t k, T* dst) {
  for (int64_t p = 0; p < qPanelCount(n); ++p)
    for (int64_t kk = 0; kk < k; ++kk) {
      T* row = dst + (p * k + kk) * kQPanelWidth;
      for (int64_t j = 0; j < kQPanelWidth; ++j) {
        const int64_t c = p * kQPanelWidth + j;
        row[j] = c < n ? w[c * k + kk] : T(0);
      }
    }
}

}  // namespace

int64_t packedW8A8Bytes(int64_t n, int64_t k) { return qPanelCount(n) * quadCount(k) * 64; }

void packW8A8(const int8_t* w, int64_t n, int64_t k, int8_t* dst) {
  const int64_t kq = quadCount(k);
  for (int64_t p = 0; p < qPanelCount(n); ++p)
    for (int64_t q = 0; q < kq; ++q) {
      int8_t* block = dst + (p * kq + q) * 64;
      for (int64_t j = 0; j < kQPanelWidth; ++j)
        for (int64_t t = 0; t < 4; ++t) {
          const int64_t c = p * kQPanelWidth + j, kk = 4 * q + t;
          block[j * 4 + t] = (c < n && kk < k) ? w[c * k + kk] : int8_t(0);
        }
    }
}

void w8a8ColumnSums(const int8_t* w, int64_t n, int64_t k, int32_t* dst) {
  const int64_t padded = qPanelCount(n) * kQPanelWidth;
  for (int64_t c = 0; c < padded; ++c) {
    int32_t sum = 0;
    if (c < n)
      for (int64_t kk = 0; kk < k; ++kk) sum += w[c * k + kk];
    dst[c] = sum;
  }
}

int64_t packedInt8Bytes(int64_t n, int64_t k) { return qPanelCount(n) * k * 16; }
int64_t packedInt4Bytes(int64_t n, int64_t k) { return qPanelCount(n) * k * 8; }
int64_t packed16BitBytes(int64_t n, int64_t k) { return qPanelCount(n) * k * 16 * 2; }

void packInt8(const int8_t* w, int64_t n, int64_t k, int8_t* dst) { packN16(w, n, k, dst); }

void packInt4(const uint8_t* q, int64_t n, int64_t k, uint8_t* dst) {
  for (int64_t p = 0; p < qPanelCount(n); ++p)
    for (int64_t kk = 0; kk < k; ++kk) {
      uint8_t* row = dst + (p * k + kk) * 8;
      for (int64_t j = 0; j < 8; ++j) {
        const int64_t c = p * kQPanelWidth + 2 * j;
        const uint8_t low = c < n ? q[c * k + kk] & 0xf : 0;
        const uint8_t high = c + 1 < n ? q[(c + 1) * k + kk] & 0xf : 0;
        row[j] = static_cast<uint8_t>(low | (high << 4));
      }
    }
}

void packInt4GroupParams(const uint16_t* params, int64_t n, int64_t groups, uint16_t* dst) {
  packN16(params, n, groups, dst);  // the same transpose, with groups in the place of k
}

void pack16Bit(const uint16_t* w, int64_t n, int64_t k, uint16_t* dst) { packN16(w, n, k, dst); }

}  // namespace llmopt::kernels::cpu
