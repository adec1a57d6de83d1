//===- MaskEvaluator.h - evaluate a shape-only subgraph at given symbol values -===//
//
// Exporters build attention masks in many ways: a triangular buffer sliced to [seq, seq], a
// `triu` of a tensor filled with the float minimum, a comparison of two ranges, rows gathered by
// position ids... Rather than matching each form, the attention fusion asks what the mask *is*:
// when it depends on constants and the model's symbols only (never on an input's values), it is
// evaluated here for a few sequence lengths and its values compared with the causal pattern.
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_PASSES_FUSION_MASKEVALUATOR_H
#define LLMOPT_PASSES_FUSION_MASKEVALUATOR_H

#include "ir/SymbolicShapes.h"

#include "mlir/IR/Value.h"

#include <optional>
#include <vector>

namespace llmopt {

/// A tensor of concrete values, row-major; numbers of every element type are held as doubles
/// (f32 results are rounded to f32 after each op, as the runtime computes them).
struct ConcreteTensor {
  std::vector<int64_t> shape;
  std::vector<double> values;
};

/// `value` computed with symbol i bound to symbolValues[i], or nothing when it reads a function
/// argument, an op this evaluator does not know, or a tensor above 2^20 elements.
std::optional<ConcreteTensor> evaluateWithSymbols(mlir::Value value, const SymbolicShapes& shapes,
                                                  llvm::ArrayRef<int64_t> symbolValues);

enum class CausalForm {
  Keep,      // boolean: true where key j <= query i (the keys a query sees)
  Drop,      // boolean: true where j > i
  Additive,  // 0 where j <= i, at most -1e4 where j > i (e^-1e4 is 0 in f32)
};

/// True when `mask` is, at every probed length s of `seq` (1, 2, 3, 5, ... 64, up to the first it
/// cannot be evaluated at, at least 1 to 3; the other symbols bound to 2), a causal mask of form
/// `form` over its last two dims [s, s], the same for every index of its leading dims. `seq`
/// must be a plain symbol (or a static dim, probed at that length only).
bool isCausalMask(mlir::Value mask, CausalForm form, const SymDim& seq,
                  const SymbolicShapes& shapes);

}  // namespace llmopt

#endif  // LLMOPT_PASSES_FUSION_MASKEVALUATOR_H
