//===- SymbolicShapes.cpp - dims as monomials over the model's symbols ----===//
#include "backends/artifact/SymbolicShapes.h"

#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"

#include "artifact_format.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <numeric>

namespace llmopt {

using namespace mlir;

namespace {
SymDim normalized(SymDim dim) {
  int64_t g = std::gcd(dim.num, dim.den);
  if (g > 1) dim.num /= g, dim.den /= g;
  std::sort(dim.syms.begin(), dim.syms.end());
  if (dim.num == 0) dim.syms.clear(), dim.den = 1;
  return dim;
}
}  // namespace

std::optional<SymDim> SymDim::times(const SymDim& other) const {
  SymDim product{1, 1, syms};
  if (__builtin_mul_overflow(num, other.num, &product.num) ||
      __builtin_mul_overflow(den, other.den, &product.den))
    return std::nullopt;
  product.syms.insert(product.syms.end(), other.syms.begin(), other.syms.end());
  return normalized(product);
}

std::optional<SymDim> SymDim::divide(const SymDim& other) const {
  if (other.num == 0) return std::nullopt;
  SymDim quotient{1, 1, {}};
  if (__builtin_mul_overflow(num, other.den, &quotient.num) ||
      __builtin_mul_overflow(den, other.num, &quotient.den))
    return std::nullopt;
  std::vector<uint32_t> remaining = syms;
  for (uint32_t s : other.syms) {
    auto it = std::find(remaining.begin(), remaining.end(), s);
    if (it == remaining.end()) return std::nullopt;  // would need a negative power
    remaining.erase(it);
  }
  quotient.syms = remaining;
  if (quotient.den < 0) quotient.num = -quotient.num, quotient.den = -quotient.den;
  return normalized(quotient);
}

std::string formatSymDim(const SymDim& dim, const std::vector<std::string>& symbolNames) {
  std::string text;
  if (dim.num != 1 || dim.syms.empty()) text = std::to_string(dim.num);
  for (uint32_t s : dim.syms) text += (text.empty() ? "" : "*") + symbolNames[s];
  if (dim.den != 1) text += "/" + std::to_string(dim.den);
  return text;
}

namespace {

class Propagator {
 public:
  explicit Propagator(SymbolicShapes& result) : result(result) {}

  LogicalResult bindArguments(func::FuncOp func) {
    std::map<std::string, uint32_t> byName;
    for (BlockArgument arg : func.getArguments()) {
      auto type = arg.getType().cast<RankedTensorType>();
      auto names = func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), kDimNamesAttr);
      auto inputName = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kNameAttr);
      std::string input = inputName ? inputName.str() : "arg" + std::to_string(arg.getArgNumber());
      SymShape shape;
      for (int64_t i = 0; i < type.getRank(); ++i) {
        if (!type.isDynamicDim(i)) {
          shape.push_back(SymDim::constant(type.getDimSize(i)));
          continue;
        }
        std::string name;
        if (names && i < static_cast<int64_t>(names.size()))
          if (auto s = names[i].dyn_cast<StringAttr>()) name = s.str();
        if (name.empty()) name = input + "." + std::to_string(i);
        auto [it, inserted] = byName.try_emplace(name, result.symbolNames.size());
        if (inserted) result.symbolNames.push_back(name);
        shape.push_back(SymDim::symbol(it->second));
      }
      auto inputError = [&] {
        InFlightDiagnostic diagnostic = func.emitError();
        diagnostic << "input '" << input << "': ";
        return diagnostic;
      };
      if (failed(checkExpressible(shape, inputError))) return failure();
      result.shapes[arg] = shape;
    }
    return success();
  }

  LogicalResult visit(Operation* op) {
    if (isa<func::ReturnOp>(op)) return success();
    if (op->getNumResults() != 1)
      return op->emitError("cannot plan an op with ") << op->getNumResults() << " results";
    FailureOr<SymShape> shape =
        llvm::TypeSwitch<Operation*, FailureOr<SymShape>>(op)
            .Case([&](ConstantOp c) { return staticShape(c.getType()); })
            .Case([&](LinearOp l) {
              SymShape s = get(l.getInput());
              s.back() = SymDim::constant(l.getWeight().getType().cast<ShapedType>().getDimSize(0));
              return s;
            })
            .Case([&](MatMulOp m) { return matmul(m); })
            .Case<AddOp, SubOp, MulOp, DivOp>(
                [&](Operation* b) { return broadcast(get(b->getOperand(0)), get(b->getOperand(1))); })
            .Case<ReluOp, TanhOp, SigmoidOp, GeluOp, SoftmaxOp>(
                [&](Operation* u) { return get(u->getOperand(0)); })
            .Case([&](ReshapeOp r) { return reshape(r); })
            .Case([&](TransposeOp t) {
              SymShape in = get(t.getInput()), out;
              for (int64_t p : t.getPerm()) out.push_back(in[p]);
              return out;
            })
            .Default([&](Operation* other) -> FailureOr<SymShape> {
              return other->emitError("no symbolic shape rule for this op");
            });
    if (failed(shape)) return failure();
    // Where the MLIR type knows a static dim, it is authoritative (e.g. ? broadcast with 4).
    auto type = op->getResult(0).getType().cast<RankedTensorType>();
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (!type.isDynamicDim(i)) (*shape)[i] = SymDim::constant(type.getDimSize(i));
    if (failed(checkExpressible(*shape, [&] { return op->emitError(); }))) return failure();
    result.shapes[op->getResult(0)] = *shape;
    return success();
  }

 private:
  SymShape get(Value value) { return result.shapes.lookup(value); }

  /// What the plan (format v1) can hold, and the runtime load: refused here, at the op, rather
  /// than in an artifact that does not load.
  template <typename EmitError>
  LogicalResult checkExpressible(const SymShape& shape, EmitError emitError) {
    if (shape.size() > static_cast<size_t>(artifact::kMaxRank))
      return emitError() << "rank " << shape.size() << " is over the runtime's maximum of "
                         << artifact::kMaxRank;
    for (size_t d = 0; d < shape.size(); ++d) {
      const SymDim& dim = shape[d];
      if (dim.syms.size() > static_cast<size_t>(artifact::kMaxDimSymbols))
        return emitError() << "dim " << d << " = " << formatSymDim(dim, result.symbolNames)
                           << " multiplies " << dim.syms.size()
                           << " symbols, over the runtime's maximum of "
                           << artifact::kMaxDimSymbols;
      if (dim.syms.empty() && dim.den != 1)
        return emitError() << "dim " << d << " = " << formatSymDim(dim, result.symbolNames)
                           << " is not a whole number";
    }
    return success();
  }

  static SymShape staticShape(Type type) {
    SymShape shape;
    for (int64_t d : type.cast<ShapedType>().getShape()) shape.push_back(SymDim::constant(d));
    return shape;
  }

  static SymShape broadcast(const SymShape& a, const SymShape& b) {
    size_t rank = std::max(a.size(), b.size());
    SymShape out(rank);
    for (size_t i = 0; i < rank; ++i) {
      SymDim x = i < rank - a.size() ? SymDim::constant(1) : a[i - (rank - a.size())];
      SymDim y = i < rank - b.size() ? SymDim::constant(1) : b[i - (rank - b.size())];
      // Two different symbols are assumed equal here; the runtime checks it when it binds.
      out[i] = x == SymDim::constant(1) ? y : x;
    }
    return out;
  }

  FailureOr<SymShape> matmul(MatMulOp op) {
    SymShape a = get(op.getLhs()), b = get(op.getRhs());
    bool lhsVector = a.size() == 1, rhsVector = b.size() == 1;
    if (lhsVector) a.insert(a.begin(), SymDim::constant(1));
    if (rhsVector) b.push_back(SymDim::constant(1));
    SymShape out = broadcast(SymShape(a.begin(), a.end() - 2), SymShape(b.begin(), b.end() - 2));
    if (!lhsVector) out.push_back(a[a.size() - 2]);
    if (!rhsVector) out.push_back(b.back());
    return out;
  }

  FailureOr<SymShape> reshape(ReshapeOp op) {
    SymShape in = get(op.getInput());
    ArrayRef<int64_t> spec = op.getShape();
    SymShape out(spec.size());
    auto tooLarge = [&] {
      return op.emitError("the element count of this reshape does not fit in 64 bits");
    };
    std::optional<SymDim> total = SymDim::constant(1), known = SymDim::constant(1);
    for (const SymDim& d : in)
      if (!(total = total->times(d))) return tooLarge();
    int inferred = -1;
    for (size_t i = 0; i < spec.size(); ++i) {
      if (spec[i] == -1) {
        inferred = static_cast<int>(i);
        continue;
      }
      out[i] = spec[i] == 0 ? in[i] : SymDim::constant(spec[i]);
      if (!(known = known->times(out[i]))) return tooLarge();
    }
    if (inferred >= 0) {
      std::optional<SymDim> dim = total->divide(*known);
      if (!dim)
        return op.emitError("cannot express the inferred (-1) dim of this reshape as a product "
                            "of the model's symbols");
      out[inferred] = *dim;
    }
    return out;
  }

  SymbolicShapes& result;
};

}  // namespace

FailureOr<SymbolicShapes> inferSymbolicShapes(func::FuncOp func) {
  SymbolicShapes result;
  Propagator propagator(result);
  if (failed(propagator.bindArguments(func))) return failure();
  for (Operation& op : func.getBody().front())
    if (failed(propagator.visit(&op))) return failure();
  return result;
}

}  // namespace llmopt
