#include "kernels/cpu/generic/matmul.h"

#include "kernels/cpu/generic/broadcast.h"
#include "kernels/cpu/generic/gemm.h"

namespace llmopt::kernels::cpu {
namespace {

// The operands as matrices with explicit batch shapes.
struct MatMulView {
  Shape a_batch, b_batch, y_batch;
  int64_t m = 0, k = 0, n = 0;
  bool drop_m = false, drop_n = false;
};

bool view(const Shape& a, const Shape& b, MatMulView* v) {
  if (a.rank < 1 || b.rank < 1) return false;
  v->drop_m = a.rank == 1;
  v->drop_n = b.rank == 1;
  v->m = v->drop_m ? 1 : a.dims[a.rank - 2];
  v->k = a.back();
  const int64_t kb = v->drop_n ? b.dims[0] : b.dims[b.rank - 2];
  v->n = v->drop_n ? 1 : b.back();
  if (kb != v->k) return false;
  v->a_batch.rank = v->drop_m ? 0 : a.rank - 2;
  for (int i = 0; i < v->a_batch.rank; ++i) v->a_batch.dims[i] = a.dims[i];
  v->b_batch.rank = v->drop_n ? 0 : b.rank - 2;
  for (int i = 0; i < v->b_batch.rank; ++i) v->b_batch.dims[i] = b.dims[i];
  return broadcastShapes(v->a_batch, v->b_batch, &v->y_batch);
}

}  // namespace

bool matmulShape(const Shape& a, const Shape& b, Shape* y) {
  MatMulView v;
  if (!view(a, b, &v)) return false;
  Shape out = v.y_batch;
  if (out.rank + 2 > kMaxRank) return false;
  if (!v.drop_m) out.dims[out.rank++] = v.m;
  if (!v.drop_n) out.dims[out.rank++] = v.n;
  *y = out;
  return true;
}

size_t matmulScratchFloats(const Shape& a, const Shape& b) {
  MatMulView v;
  if (!view(a, b, &v)) return 0;
  // One GEMM over all of a's rows when b is shared by every batch, else one per batch.
  const int64_t m = v.b_batch.elements() == 1 ? v.a_batch.elements() * v.m : v.m;
  return gemmScratchFloats(m, v.n, v.k, BLayout::KN);
}

void matmulF32(const float* a, const Shape& a_shape, const float* b, const Shape& b_shape,
               float* y, float* scratch, Parallel* parallel) {
  MatMulView v;
  if (!view(a_shape, b_shape, &v)) return;

  GemmArgs g;
  g.n = v.n;
  g.k = v.k;
  g.lda = v.k;
  g.b_layout = BLayout::KN;
  g.ldb = v.n;
  g.ldc = v.n;
  g.scratch = scratch;

  // b shared by every batch: one GEMM over all of a's rows (a's batch is then y's batch).
  if (v.b_batch.elements() == 1) {
    g.m = v.a_batch.elements() * v.m;
    g.a = a;
    g.b = b;
    g.c = y;
    gemmF32(g, parallel);
    return;
  }

  int64_t a_strides[kMaxRank], b_strides[kMaxRank];
  broadcastStrides(v.a_batch, v.y_batch, a_strides);
  broadcastStrides(v.b_batch, v.y_batch, b_strides);
  const int64_t batches = v.y_batch.elements();
  const int rank = v.y_batch.rank;
  int64_t index[kMaxRank] = {};
  int64_t a_batch = 0, b_batch = 0;  // batch offsets, in matrices
  g.m = v.m;
  for (int64_t i = 0; i < batches; ++i) {
    g.a = a + a_batch * v.m * v.k;
    g.b = b + b_batch * v.k * v.n;
    g.c = y + i * v.m * v.n;
    gemmF32(g, parallel);
    for (int d = rank - 1; d >= 0; --d) {
      a_batch += a_strides[d];
      b_batch += b_strides[d];
      if (++index[d] < v.y_batch.dims[d]) break;
      a_batch -= a_strides[d] * v.y_batch.dims[d];
      b_batch -= b_strides[d] * v.y_batch.dims[d];
      index[d] = 0;
    }
  }
}

}  // namespace llmopt::kernels::cpu
