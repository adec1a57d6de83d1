#include "kernels/cpu/generic/linear.h"

namespace llmopt::kernels::cpu {

size_t linearScratchFloats(int64_t m, int64_t n, int64_t k, BLayout w_layout) {
  return gemmScratchFloats(m, n, k, w_layout);
}

void linearF32(const LinearArgs& args, Parallel* parallel) {
  GemmArgs g;
  g.m = args.m;
  g.n = args.n;
  g.k = args.k;
  g.a = args.x;
  g.lda = args.k;
  g.b = args.w;
  g.b_layout = args.w_layout;
  g.ldb = args.n;
  g.bias = args.bias;
  g.c = args.y;
  g.ldc = args.n;
  g.scratch = args.scratch;
  gemmF32(g, parallel);
}

}  // namespace llmopt::kernels::cpu
