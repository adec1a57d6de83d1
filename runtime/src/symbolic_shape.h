// Evaluating symbolic dims (monomials over the model's symbols) once inputs bind the symbols.
#ifndef LLMOPT_RUNTIME_SYMBOLIC_SHAPE_H
#define LLMOPT_RUNTIME_SYMBOLIC_SHAPE_H

#include <string>
#include <vector>

#include "error.h"
#include "model.h"

namespace llmopt::rt {

enum class DimProblem { None, Overflow, NotWhole, Negative };

// num * product(symbol_values[s]) / den with 64-bit overflow checks; the result must be a whole
// number >= 0. On failure returns false and says why.
bool evalDim(const DimExpr& dim, const int64_t* symbol_values, int64_t* out, DimProblem* problem);

// "16", "batch", "2*batch*seq/4".
std::string formatDim(const DimExpr& dim, const std::vector<const char*>& symbol_names);

// The concrete shape of `tensor` for the bound symbol values, or an error naming the tensor.
Status resolveShape(const TensorDesc& tensor, const ModelDesc& model,
                    const int64_t* symbol_values, Shape* out);

}  // namespace llmopt::rt

#endif  // LLMOPT_RUNTIME_SYMBOLIC_SHAPE_H
