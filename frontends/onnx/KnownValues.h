//===- KnownValues.h - small tensors the importer computes at compile time -===//
//
// Exporters compute shapes in the graph: Shape → Gather → Unsqueeze → Concat → Reshape, index
// arithmetic, Range/Where masks of static size. The importer evaluates such small integer,
// boolean and float tensors itself, so the plan holds no shape arithmetic. Integer elements are
// monomials over the model's symbols (`SymDim`), so the shape of a dynamic tensor folds too:
// Shape(x) of x : [batch, seq, 256] is the known value [batch, seq, 256].
//
//===----------------------------------------------------------------------===//
#ifndef LLMOPT_FRONTENDS_ONNX_KNOWNVALUES_H
#define LLMOPT_FRONTENDS_ONNX_KNOWNVALUES_H

#include "ir/SymbolicShapes.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace llmopt::onnx_import {

/// Element counts above these stay IR constants (and their ops run in the plan).
constexpr int64_t kMaxKnownInts = 4096;
constexpr int64_t kMaxKnownFloats = 64;

struct KnownValue {
  mlir::Type elementType;       // i64, i32, i1 (ints hold 0/1) or f32/f64/f16
  std::vector<int64_t> shape;   // always static
  std::vector<SymDim> ints;     // integer and bool tensors
  std::vector<double> floats;   // float tensors

  bool isFloat() const { return elementType.isa<mlir::FloatType>(); }
  bool isBool() const { return elementType.isInteger(1); }
  int64_t numElements() const;
  /// Every element is a plain number (no symbol).
  bool isStatic() const;
  /// Element i as an integer, if static.
  std::optional<int64_t> staticInt(size_t i) const;

  static KnownValue ints1D(mlir::Type elementType, std::vector<SymDim> values);
};

/// The value of a constant attribute, if it is small enough and of a supported type.
std::optional<KnownValue> knownFromConstant(mlir::ElementsAttr attr);
/// The constant for a static known value.
mlir::ElementsAttr constantFromKnown(const KnownValue& value);

/// Evaluation results: a value, or why it cannot be computed at compile time.
using KnownOrError = std::variant<KnownValue, std::string>;

enum class KnownBinary { Add, Sub, Mul, Div, Pow, Min, Max, Equal, Less, Greater, LessOrEqual,
                         GreaterOrEqual, And, Or, Xor };
/// Numpy-broadcasting elementwise op; the result type is `resultType` (i1 for comparisons).
KnownOrError evaluateBinary(KnownBinary kind, const KnownValue& lhs, const KnownValue& rhs,
                            mlir::Type resultType);
KnownOrError evaluateWhere(const KnownValue& condition, const KnownValue& lhs,
                           const KnownValue& rhs);
KnownOrError evaluateCast(const KnownValue& input, mlir::Type to);
/// Neg, Abs, Not, Sqrt, Reciprocal, Exp, Log, Ceil, Floor on static or integer values.
KnownOrError evaluateUnary(const std::string& opType, const KnownValue& input);
KnownOrError evaluateGather(const KnownValue& data, const KnownValue& indices, int64_t axis);
KnownOrError evaluateConcat(const std::vector<const KnownValue*>& inputs, int64_t axis);
/// Slice with normalised, static parameters (one entry per axis of data).
KnownOrError evaluateSlice(const KnownValue& data, const std::vector<int64_t>& starts,
                           const std::vector<int64_t>& steps, const std::vector<int64_t>& sizes);
KnownOrError evaluateExpand(const KnownValue& input, const std::vector<int64_t>& shape);
KnownOrError evaluateTranspose(const KnownValue& input, const std::vector<int64_t>& perm);

/// Broadcast shape of static shapes, or an error.
std::variant<std::vector<int64_t>, std::string> broadcastStatic(const std::vector<int64_t>& a,
                                                                const std::vector<int64_t>& b);

}  // namespace llmopt::onnx_import

#endif  // LLMOPT_FRONTENDS_ONNX_KNOWNVALUES_H
