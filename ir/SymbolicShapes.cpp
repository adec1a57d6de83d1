//===- SymbolicShapes.cpp - dims as monomials over the model's symbols ----===//
#include "ir/SymbolicShapes.h"

#include "ir/LLMOptDialect.h"
#include "ir/LLMOptOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <map>
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

std::optional<SymDim> SymDim::plus(const SymDim& other) const {
  if (num == 0) return other;
  if (other.num == 0) return *this;
  if (syms != other.syms || den != other.den) return std::nullopt;
  SymDim sum = *this;
  if (__builtin_add_overflow(num, other.num, &sum.num)) return std::nullopt;
  return normalized(sum);
}

std::string formatSymDim(const SymDim& dim, const std::vector<std::string>& symbolNames) {
  std::string text;
  if (dim.num != 1 || dim.syms.empty()) text = std::to_string(dim.num);
  for (uint32_t s : dim.syms)
    text += (text.empty() ? "" : "*") +
            (s < symbolNames.size() ? symbolNames[s] : "sym" + std::to_string(s));
  if (dim.den != 1) text += "/" + std::to_string(dim.den);
  return text;
}

std::string formatSymInt(const SymInt& value, const std::vector<std::string>& symbolNames) {
  if (!value.term) return std::to_string(value.offset);
  std::string text = formatSymDim(*value.term, symbolNames);
  if (value.offset > 0) text += "+" + std::to_string(value.offset);
  if (value.offset < 0) text += std::to_string(value.offset);
  return text;
}

Attribute symDimAttr(MLIRContext* context, const SymDim& dim,
                     const std::vector<std::string>& symbolNames) {
  if (dim.isStatic()) return IntegerAttr::get(IntegerType::get(context, 64), dim.num);
  return StringAttr::get(context, formatSymDim(dim, symbolNames));
}

Attribute symIntAttr(MLIRContext* context, const SymInt& value,
                     const std::vector<std::string>& symbolNames) {
  if (!value.term || value.term->num == 0)
    return IntegerAttr::get(IntegerType::get(context, 64), value.offset);
  return StringAttr::get(context, formatSymInt(value, symbolNames));
}

namespace {
/// Parses "[num*]name[*name...][/den][(+|-)offset]" or a plain integer. Symbol names may hold
/// any character, so names are matched against the table (longest first), not tokenised.
std::optional<SymInt> parseText(StringRef text, const std::vector<std::string>& names) {
  SymInt value;
  SymDim term{1, 1, {}};
  bool hasTerm = false;
  size_t pos = 0;
  auto parseNumber = [&](int64_t& out) {
    size_t start = pos;
    while (pos < text.size() && isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    return pos > start && !text.substr(start, pos - start).getAsInteger(10, out);
  };
  // Factors joined by '*'.
  while (pos < text.size()) {
    size_t best = names.size();
    for (size_t s = 0; s < names.size(); ++s)
      if (!names[s].empty() && text.substr(pos).startswith(names[s]) &&
          (best == names.size() || names[s].size() > names[best].size()))
        best = s;
    if (best != names.size()) {
      term.syms.push_back(static_cast<uint32_t>(best));
      pos += names[best].size();
      hasTerm = true;
    } else {
      int64_t factor;
      if (!parseNumber(factor)) return std::nullopt;
      if (__builtin_mul_overflow(term.num, factor, &term.num)) return std::nullopt;
    }
    if (pos < text.size() && text[pos] == '*') {
      ++pos;
      continue;
    }
    break;
  }
  if (pos < text.size() && text[pos] == '/') {
    ++pos;
    if (!parseNumber(term.den) || term.den <= 0) return std::nullopt;
  }
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    bool negative = text[pos] == '-';
    ++pos;
    if (!parseNumber(value.offset)) return std::nullopt;
    if (negative) value.offset = -value.offset;
  }
  if (pos != text.size()) return std::nullopt;
  if (hasTerm) {
    value.term = normalized(term);
  } else {
    if (term.den != 1 || value.offset != 0) return std::nullopt;
    value.offset = term.num;
  }
  return value;
}
}  // namespace

std::optional<SymInt> parseSymInt(Attribute attr, const std::vector<std::string>& symbolNames) {
  if (auto integer = attr.dyn_cast_or_null<IntegerAttr>()) return SymInt{integer.getInt(), {}};
  if (auto text = attr.dyn_cast_or_null<StringAttr>())
    return parseText(text.getValue(), symbolNames);
  return std::nullopt;
}

std::optional<SymDim> parseSymDim(Attribute attr, const std::vector<std::string>& symbolNames) {
  std::optional<SymInt> value = parseSymInt(attr, symbolNames);
  if (!value) return std::nullopt;
  if (!value->term) return SymDim::constant(value->offset);
  if (value->offset != 0) return std::nullopt;
  return value->term;
}

//===----------------------------------------------------------------------===//
// Propagation
//===----------------------------------------------------------------------===//

namespace {

SymShape staticShape(Type type) {
  SymShape shape;
  for (int64_t d : type.cast<ShapedType>().getShape()) shape.push_back(SymDim::constant(d));
  return shape;
}

SymShape broadcast(const SymShape& a, const SymShape& b) {
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

class Rules {
 public:
  explicit Rules(SymbolicShapes& result) : result(result) {}

  FailureOr<SymShape> resultShape(Operation* op) {
    return llvm::TypeSwitch<Operation*, FailureOr<SymShape>>(op)
        .Case([&](ConstantOp c) { return staticShape(c.getType()); })
        .Case([&](LinearOp l) {
          SymShape s = get(l.getInput());  // the result's features: the weight's rows, halved by swiglu
          s.back() = SymDim::constant(l.getType().template cast<ShapedType>().getShape().back());
          return s;
        })
        .Case([&](QuantizedLinearOp l) {
          SymShape s = get(l.getInput());  // the result's features: the weight's rows, halved by swiglu
          s.back() = SymDim::constant(l.getType().template cast<ShapedType>().getShape().back());
          return s;
        })
        .Case([&](QuantizedGatherOp g) {
          SymShape out = get(g.getIndices());
          out.push_back(SymDim::constant(g.getTable().getType().cast<ShapedType>().getDimSize(1)));
          return out;
        })
        .Case([&](MatMulOp m) { return matmul(m.getLhs(), m.getRhs()); })
        .Case([&](AttentionOp a) { return get(a.getQuery()); })
        .Case([&](PackedAttentionOp a) {
          SymShape s = get(a.getQkv());
          s[2] = SymDim::constant(a.getType().cast<ShapedType>().getDimSize(2));
          return s;
        })
        .Case([&](MatMulIntegerOp m) { return matmul(m.getA(), m.getB()); })
        .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MinOp, MaxOp, EqualOp, LessOp, GreaterOp,
              LessEqualOp, GreaterEqualOp, AndOp, OrOp, XorOp>(
            [&](Operation* b) { return broadcast(get(b->getOperand(0)), get(b->getOperand(1))); })
        .Case([&](WhereOp w) {
          return broadcast(broadcast(get(w.getCondition()), get(w.getLhs())), get(w.getRhs()));
        })
        .Case<ReluOp, TanhOp, SigmoidOp, SiluOp, GeluOp, SoftmaxOp, NegOp, AbsOp, ExpOp, LogOp, SqrtOp,
              ReciprocalOp, ErfOp, CosOp, SinOp, NotOp, ClipOp, CastOp, TriluOp, LayerNormOp,
              FakeQuantizeOp, QuantizeLinearOp, DequantizeLinearOp, RmsNormOp>(
            [&](Operation* u) { return get(u->getOperand(0)); })
        .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp>(
            [&](Operation* r) { return reduce(r); })
        .Case([&](ReshapeOp r) { return reshape(r); })
        .Case([&](TransposeOp t) {
          SymShape in = get(t.getInput()), out;
          for (int64_t p : t.getPerm()) out.push_back(in[p]);
          return out;
        })
        .Case([&](GatherOp g) {
          SymShape data = get(g.getData()), indices = get(g.getIndices());
          int64_t axis = static_cast<int64_t>(g.getAxis());
          SymShape out(data.begin(), data.begin() + axis);
          out.insert(out.end(), indices.begin(), indices.end());
          out.insert(out.end(), data.begin() + axis + 1, data.end());
          return out;
        })
        .Case([&](ConcatOp c) -> FailureOr<SymShape> {
          int64_t axis = static_cast<int64_t>(c.getAxis());
          SymShape out = get(c.getInputs()[0]);
          for (Value input : c.getInputs().drop_front()) {
            std::optional<SymDim> sum = out[axis].plus(get(input)[axis]);
            if (!sum)
              return c.emitError("the joined dim is a sum of different symbols (")
                     << formatSymDim(out[axis], result.symbolNames) << " + "
                     << formatSymDim(get(input)[axis], result.symbolNames)
                     << "), which a shape cannot express";
            out[axis] = *sum;
          }
          return out;
        })
        .Case<SliceOp, ExpandOp, FillOp, RangeOp, ReshapeToOp>([&](Operation* s) -> FailureOr<SymShape> {
          auto dims = s->getAttrOfType<ArrayAttr>("shape");
          SymShape out;
          for (Attribute dim : dims) {
            std::optional<SymDim> value = parseSymDim(dim, result.symbolNames);
            if (!value) return s->emitError("cannot read the symbolic dim ") << dim;
            out.push_back(*value);
          }
          return out;
        })
        .Default([&](Operation* other) -> FailureOr<SymShape> {
          return other->emitError("no symbolic shape rule for this op");
        });
  }

 private:
  SymShape get(Value value) { return result.shapes.lookup(value); }

  FailureOr<SymShape> matmul(Value lhs, Value rhs) {
    SymShape a = get(lhs), b = get(rhs);
    bool lhsVector = a.size() == 1, rhsVector = b.size() == 1;
    if (lhsVector) a.insert(a.begin(), SymDim::constant(1));
    if (rhsVector) b.push_back(SymDim::constant(1));
    SymShape out = broadcast(SymShape(a.begin(), a.end() - 2), SymShape(b.begin(), b.end() - 2));
    if (!lhsVector) out.push_back(a[a.size() - 2]);
    if (!rhsVector) out.push_back(b.back());
    return out;
  }

  FailureOr<SymShape> reduce(Operation* op) {
    SymShape in = get(op->getOperand(0)), out;
    auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
    bool keep = op->getAttrOfType<BoolAttr>("keepdims").getValue();
    for (size_t d = 0; d < in.size(); ++d) {
      if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
        out.push_back(in[d]);
      else if (keep)
        out.push_back(SymDim::constant(1));
    }
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

LogicalResult SymbolicShapeInference::bindArguments(func::FuncOp func) {
  std::map<std::string, uint32_t> byName;
  for (size_t s = 0; s < result.symbolNames.size(); ++s) byName[result.symbolNames[s]] = s;
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
    result.shapes[arg] = shape;
  }
  return success();
}

LogicalResult SymbolicShapeInference::visit(Operation* op) {
  if (isa<func::ReturnOp>(op)) return success();
  // The one op with several results: the quantized tensor, then its scalar scale and zero point.
  if (auto dq = dyn_cast<DynamicQuantizeLinearOp>(op)) {
    const SymShape* input = lookup(dq.getInput());
    if (!input) return op->emitError("an operand's symbolic shape is unknown");
    result.shapes[op->getResult(0)] = *input;
    result.shapes[op->getResult(1)] = SymShape();
    result.shapes[op->getResult(2)] = SymShape();
    return success();
  }
  if (op->getNumResults() != 1)
    return op->emitError("cannot plan an op with ") << op->getNumResults() << " results";
  for (Value operand : op->getOperands())
    if (!result.shapes.count(operand))
      return op->emitError("an operand's symbolic shape is unknown");
  Rules rules(result);
  FailureOr<SymShape> shape = rules.resultShape(op);
  if (failed(shape)) return failure();
  // Where the MLIR type knows a static dim, it is authoritative (e.g. ? broadcast with 4).
  auto type = op->getResult(0).getType().cast<RankedTensorType>();
  if (static_cast<int64_t>(shape->size()) != type.getRank())
    return op->emitError("symbolic shape has rank ") << shape->size() << ", the type "
                                                     << type.getRank();
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (!type.isDynamicDim(i)) (*shape)[i] = SymDim::constant(type.getDimSize(i));
  result.shapes[op->getResult(0)] = *shape;
  return success();
}

const SymShape* SymbolicShapeInference::lookup(Value value) const {
  auto it = result.shapes.find(value);
  return it == result.shapes.end() ? nullptr : &it->second;
}

FailureOr<SymbolicShapes> inferSymbolicShapes(func::FuncOp func) {
  SymbolicShapeInference inference;
  if (failed(inference.bindArguments(func))) return failure();
  for (Operation& op : func.getBody().front())
    if (failed(inference.visit(&op))) return failure();
  return std::move(inference.shapes());
}

}  // namespace llmopt
