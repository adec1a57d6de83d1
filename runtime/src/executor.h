// Runs one op of a checked plan on its kernel.
#ifndef LLMOPT_RUNTIME_EXECUTOR_H
#define LLMOPT_RUNTIME_EXECUTOR_H

#include <cstdint>

#include "error.h"
#include "kernels/cpu/generic/kv_cache.h"
#include "kernels/cpu/parallel.h"
#include "model.h"

namespace llmopt::rt {

// The KV cache a run continues (Session::runCached): per layer, keys and values of the cached
// positions in kv_cache.h's layout.
struct KvCacheView {
  void* const* keys = nullptr;
  void* const* values = nullptr;
  int64_t length = 0;     // positions cached before this run
  int64_t positions = 0;  // kvCachePositions(max_seq)
  kernels::cpu::KvCacheType type = kernels::cpu::KvCacheType::F32;
};

struct ExecContext {
  const ModelDesc* model;
  const Shape* shapes;      // resolved, per tensor; checked by checkOpShapes
  const int64_t* symbols;   // the bound symbol values the shapes were resolved for
  void* const* data;        // per tensor
  float* scratch;           // at least the largest opScratchBytes, 64-byte aligned
  kernels::Parallel* parallel;
  const KvCacheView* cache = nullptr;  // null: a plain run (the model's KV cache is ignored)
  // A linear layer (no epilogue) that computes only the last row of its input, into the first row
  // of its output: a prefill's LM head, whose other rows nobody reads.
  const OpDesc* last_row_only = nullptr;
};

// The rows a linear layer computes: all m of x, or its last one for context.last_row_only.
inline const float* linearRows(const OpDesc& op, const ExecContext& context, const float* x,
                               int64_t* m) {
  if (&op != context.last_row_only || *m == 0) return x;
  x += (*m - 1) * op.k;
  *m = 1;
  return x;
}

// Scratch bytes the op's kernel needs for these shapes.
uint64_t opScratchBytes(const OpDesc& op, const Shape* shapes);

// Where a linear layer writes its product: its output, or with the swiglu epilogue (product
// [m, n], output [m, n/2]) a buffer in scratch after what the layer's kernel needs there.
float* linearProduct(const OpDesc& op, const ExecContext& context);

// Runs the op. Fails, naming the op, only where the data itself is wrong (a gather index out of
// range); shapes must have passed checkOpShapes.
Status executeOp(const OpDesc& op, const ExecContext& context);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_EXECUTOR_H
