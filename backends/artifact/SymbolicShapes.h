//===- SymbolicShapes.h - dims as monomials over the model's symbols ------===//
//
// MLIR types say `?` for a dynamic dim; the runtime must know *which* value it takes once the
// inputs are bound. Every dim here is a monomial num · Π symbols / den (the plan's `Dim`):
// [batch, seq, 256] reshaped to [0, 0, 8, 32] and then to [-1, 32] gives [batch·seq·8, 32].
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_BACKENDS_ARTIFACT_SYMBOLICSHAPES_H
#define LLMOPT_BACKENDS_ARTIFACT_SYMBOLICSHAPES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>
#include <string>
#include <vector>

namespace llmopt {

struct SymDim {
  int64_t num = 1;
  int64_t den = 1;
  std::vector<uint32_t> syms;  // sorted; repeated for powers

  static SymDim constant(int64_t value) { return {value, 1, {}}; }
  static SymDim symbol(uint32_t index) { return {1, 1, {index}}; }
  bool isStatic() const { return syms.empty() && den == 1; }
  bool operator==(const SymDim& other) const {
    return num == other.num && den == other.den && syms == other.syms;
  }
  bool operator!=(const SymDim& other) const { return !(*this == other); }
  /// this · other, unless its coefficients overflow int64_t (dims come from untrusted models).
  std::optional<SymDim> times(const SymDim& other) const;
  /// this / other, if the result is still a monomial (and its coefficients fit).
  std::optional<SymDim> divide(const SymDim& other) const;
};

using SymShape = std::vector<SymDim>;

/// "batch*seq*8" for messages and tests.
std::string formatSymDim(const SymDim& dim, const std::vector<std::string>& symbolNames);

struct SymbolicShapes {
  std::vector<std::string> symbolNames;
  llvm::DenseMap<mlir::Value, SymShape> shapes;
};

/// Names a symbol per distinct `llmopt.dim_names` entry of the arguments (an unnamed dynamic dim
/// gets its own symbol, "<input>.<dim>") and propagates monomials through every op. Reports an
/// error at the op whose shape cannot be expressed.
mlir::FailureOr<SymbolicShapes> inferSymbolicShapes(mlir::func::FuncOp func);

}  // namespace llmopt

#endif  // LLMOPT_BACKENDS_ARTIFACT_SYMBOLICSHAPES_H
