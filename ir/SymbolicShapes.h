//===- SymbolicShapes.h - dims as monomials over the model's symbols ------===//
//
// MLIR types say `?` for a dynamic dim; the importer (to fold shape computations) and the
// runtime (to size tensors once inputs are bound) must know *which* value it takes. Every dim here
// is a monomial num · Π symbols / den (the plan's `Dim`): [batch, seq, 256] reshaped to
// [0, 0, 8, 32] and then to [-1, 32] gives [batch·seq·8, 32].
//
// Ops whose result shape depends on symbols in a way their operands do not show (slice, expand,
// fill, range) spell it in a `shape` attribute: integers and strings such as "seq" or
// "batch*seq"; slice starts may add an offset ("seq-1").
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_IR_SYMBOLICSHAPES_H
#define LLMOPT_IR_SYMBOLICSHAPES_H

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
  /// this + other, if the result is still a monomial (same symbols, or either is 0).
  std::optional<SymDim> plus(const SymDim& other) const;
};

using SymShape = std::vector<SymDim>;

/// An integer known up to the symbols: offset + term (the plan's `SymInt`), e.g. seq - 1.
struct SymInt {
  int64_t offset = 0;
  std::optional<SymDim> term;
};

/// "batch*seq*8" for messages, tests and `shape` attributes.
std::string formatSymDim(const SymDim& dim, const std::vector<std::string>& symbolNames);
std::string formatSymInt(const SymInt& value, const std::vector<std::string>& symbolNames);

/// An integer attribute for a static dim, else a string naming the monomial.
mlir::Attribute symDimAttr(mlir::MLIRContext* context, const SymDim& dim,
                           const std::vector<std::string>& symbolNames);
mlir::Attribute symIntAttr(mlir::MLIRContext* context, const SymInt& value,
                           const std::vector<std::string>& symbolNames);
/// The inverse of symDimAttr / symIntAttr; nullopt when the text names an unknown symbol or
/// does not parse.
std::optional<SymDim> parseSymDim(mlir::Attribute attr, const std::vector<std::string>& symbolNames);
std::optional<SymInt> parseSymInt(mlir::Attribute attr, const std::vector<std::string>& symbolNames);

struct SymbolicShapes {
  std::vector<std::string> symbolNames;
  llvm::DenseMap<mlir::Value, SymShape> shapes;
};

/// Names a symbol per distinct `llmopt.dim_names` entry of the arguments (an unnamed dynamic dim
/// gets its own symbol, "<input>.<dim>") and propagates monomials op by op. The importer runs
/// it as it builds the function (to fold Shape computations); the artifact writer over a whole
/// function.
class SymbolicShapeInference {
 public:
  mlir::LogicalResult bindArguments(mlir::func::FuncOp func);
  /// Computes the symbolic shape of op's results; an error at the op if it cannot.
  mlir::LogicalResult visit(mlir::Operation* op);
  /// The shape of a value visited before (or of an argument); null if unknown.
  const SymShape* lookup(mlir::Value value) const;
  const std::vector<std::string>& symbolNames() const { return result.symbolNames; }
  SymbolicShapes& shapes() { return result; }

 private:
  SymbolicShapes result;
};

/// A whole function's symbolic shapes, or an error at the op whose shape cannot be expressed.
mlir::FailureOr<SymbolicShapes> inferSymbolicShapes(mlir::func::FuncOp func);

}  // namespace llmopt

#endif  // LLMOPT_IR_SYMBOLICSHAPES_H
