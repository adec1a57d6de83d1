#include "symbolic_shape.h"

#include "checked_math.h"

namespace llmopt::rt {

bool evalDim(const DimExpr& dim, const int64_t* symbol_values, int64_t* out,
             DimProblem* problem) {
  int64_t value = dim.num;
  for (int i = 0; i < dim.num_syms; ++i) {
    if (!checkedMul(value, symbol_values[dim.syms[i]], &value)) {
      *problem = DimProblem::Overflow;
      return false;
    }
  }
  if (dim.den <= 0 || value % dim.den != 0) {
    *problem = DimProblem::NotWhole;
    return false;
  }
  value /= dim.den;
  if (value < 0) {
    *problem = DimProblem::Negative;
    return false;
  }
  *problem = DimProblem::None;
  *out = value;
  return true;
}

std::string formatDim(const DimExpr& dim, const std::vector<const char*>& symbol_names) {
  std::string text;
  if (dim.num != 1 || dim.num_syms == 0) text = std::to_string(dim.num);
  for (int i = 0; i < dim.num_syms; ++i) {
    if (!text.empty()) text += '*';
    text += dim.syms[i] < symbol_names.size() ? symbol_names[dim.syms[i]] : "?";
  }
  if (dim.den != 1) text += "/" + std::to_string(dim.den);
  return text;
}

Status resolveShape(const TensorDesc& tensor, const ModelDesc& model,
                    const int64_t* symbol_values, Shape* out) {
  out->rank = tensor.rank;
  for (int d = 0; d < tensor.rank; ++d) {
    DimProblem problem;
    if (evalDim(tensor.dims[d], symbol_values, &out->dims[d], &problem)) continue;
    std::string bound;
    for (int i = 0; i < tensor.dims[d].num_syms; ++i) {
      uint32_t s = tensor.dims[d].syms[i];
      bound += (i ? ", " : "") + std::string(model.symbol_names[s]) + "=" +
               std::to_string(symbol_values[s]);
    }
    const char* what = problem == DimProblem::Overflow   ? "overflows 64 bits"
                       : problem == DimProblem::NotWhole ? "is not a whole number"
                                                         : "is negative";
    return fail(LLMOPT_ERROR_INVALID_ARGUMENT, "tensor '%s': dim %d = %s %s for %s", tensor.name,
                d, formatDim(tensor.dims[d], model.symbol_names).c_str(), what, bound.c_str());
  }
  return LLMOPT_OK;
}

}  // namespace llmopt::rt
