//===- MaskEvaluator.cpp - evaluate a shape-only subgraph at given symbol values -===//
#include "passes/fusion/MaskEvaluator.h"

#include "ir/ConstantFolding.h"
#include "ir/LLMOptOps.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>

namespace llmopt {

using namespace mlir;

namespace {

constexpr int64_t kMaxElements = int64_t(1) << 20;

int64_t elementCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

/// Row-major strides of `shape`.
std::vector<int64_t> stridesOf(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Calls visit(flat index, multi-index) for every element of `shape`.
void forEachIndex(const std::vector<int64_t>& shape,
                  const std::function<void(int64_t, const std::vector<int64_t>&)>& visit) {
  const int64_t count = elementCount(shape);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t flat = 0; flat < count; ++flat) {
    visit(flat, index);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

/// The element of `t` that numpy broadcasting reads for `index` of a result of rank `rank`.
double broadcastAt(const ConcreteTensor& t, const std::vector<int64_t>& strides,
                   const std::vector<int64_t>& index) {
  const size_t offset = index.size() - t.shape.size();
  int64_t flat = 0;
  for (size_t d = 0; d < t.shape.size(); ++d)
    if (t.shape[d] != 1) flat += index[offset + d] * strides[d];
  return t.values[flat];
}

std::optional<std::vector<int64_t>> broadcastShape(llvm::ArrayRef<const ConcreteTensor*> inputs) {
  size_t rank = 0;
  for (const ConcreteTensor* t : inputs) rank = std::max(rank, t->shape.size());
  std::vector<int64_t> shape(rank, 1);
  for (const ConcreteTensor* t : inputs)
    for (size_t d = 0; d < t->shape.size(); ++d) {
      int64_t& out = shape[rank - t->shape.size() + d];
      int64_t dim = t->shape[d];
      if (dim == out || dim == 1) continue;
      if (out != 1) return std::nullopt;
      out = dim;
    }
  return shape;
}

/// Elementwise `fn` over inputs broadcast together.
std::optional<ConcreteTensor> elementwise(llvm::ArrayRef<const ConcreteTensor*> inputs,
                                          const std::function<double(llvm::ArrayRef<double>)>& fn) {
  std::optional<std::vector<int64_t>> shape = broadcastShape(inputs);
  if (!shape || elementCount(*shape) > kMaxElements) return std::nullopt;
  std::vector<std::vector<int64_t>> strides;
  for (const ConcreteTensor* t : inputs) strides.push_back(stridesOf(t->shape));
  ConcreteTensor result{*shape, std::vector<double>(elementCount(*shape))};
  std::vector<double> args(inputs.size());
  forEachIndex(*shape, [&](int64_t flat, const std::vector<int64_t>& index) {
    for (size_t i = 0; i < inputs.size(); ++i) args[i] = broadcastAt(*inputs[i], strides[i], index);
    result.values[flat] = fn(args);
  });
  return result;
}

/// Rounds the values to what a tensor of `type`'s element type holds.
void roundTo(Type type, ConcreteTensor& t) {
  Type element = type.cast<ShapedType>().getElementType();
  for (double& v : t.values) {
    if (element.isF32()) v = static_cast<float>(v);
    else if (element.isInteger(1)) v = v != 0.0 ? 1.0 : 0.0;
    else if (element.isa<IntegerType>()) v = std::trunc(v);
  }
}

std::optional<ConcreteTensor> constantValues(ConstantOp constant) {
  auto type = constant.getType().cast<RankedTensorType>();
  if (!type.hasStaticShape() || type.getNumElements() > kMaxElements) return std::nullopt;
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  const int64_t count = type.getNumElements();
  Type element = type.getElementType();
  if (element.isF32()) {
    std::optional<std::vector<float>> values = getFloatValues(constant.getValue());
    if (!values) return std::nullopt;
    return ConcreteTensor{shape, std::vector<double>(values->begin(), values->end())};
  }
  std::optional<std::vector<char>> bytes = getExpandedRawBytes(constant.getValue());
  if (!bytes) return std::nullopt;
  ConcreteTensor t{shape, std::vector<double>(count)};
  const int64_t size = static_cast<int64_t>(bytes->size());
  if (element.isInteger(1)) {
    // One byte per element (ONNX tensors), or bits packed eight to a byte (MLIR's dense i1).
    const bool packed = size < count;
    if (packed && size * 8 < count) return std::nullopt;
    for (int64_t i = 0; i < count; ++i)
      t.values[i] = packed ? ((*bytes)[i / 8] >> (i % 8)) & 1 : (*bytes)[i] != 0;
    return t;
  }
  auto read = [&](auto sample) -> bool {
    using T = decltype(sample);
    if (size != count * static_cast<int64_t>(sizeof(T))) return false;
    for (int64_t i = 0; i < count; ++i) {
      T v;
      std::memcpy(&v, bytes->data() + i * sizeof(T), sizeof(T));
      t.values[i] = static_cast<double>(v);
    }
    return true;
  };
  bool ok = element.isInteger(64)  ? read(int64_t{})
            : element.isInteger(32) ? read(int32_t{})
            : element.isInteger(8)  ? read(int8_t{})
                                    : false;
  if (!ok) return std::nullopt;
  return t;
}

class Evaluator {
 public:
  Evaluator(const SymbolicShapes& shapes, llvm::ArrayRef<int64_t> symbolValues)
      : shapes(shapes), symbolValues(symbolValues) {}

  std::optional<ConcreteTensor> evaluate(Value value) {
    if (auto it = memo.find(value); it != memo.end()) return it->second;
    Operation* op = value.getDefiningOp();
    if (!op || op->getNumResults() != 1 || ++visited > 4096) return std::nullopt;
    std::optional<ConcreteTensor> result = compute(op);
    if (!result || elementCount(result->shape) != static_cast<int64_t>(result->values.size()))
      return std::nullopt;
    roundTo(value.getType(), *result);
    memo[value] = *result;
    return result;
  }

 private:
  std::optional<int64_t> valueOf(const SymDim& d) {
    int64_t value = d.num;
    for (uint32_t sym : d.syms) {
      if (sym >= symbolValues.size()) return std::nullopt;
      value *= symbolValues[sym];
    }
    if (d.den == 0 || value % d.den != 0) return std::nullopt;
    return value / d.den;
  }

  std::optional<int64_t> dim(Attribute attr) {
    std::optional<SymDim> d = parseSymDim(attr, shapes.symbolNames);
    return d ? valueOf(*d) : std::nullopt;
  }

  std::optional<std::vector<int64_t>> shapeOf(ArrayAttr attr) {
    std::vector<int64_t> shape;
    for (Attribute a : attr) {
      std::optional<int64_t> d = dim(a);
      if (!d || *d < 0) return std::nullopt;
      shape.push_back(*d);
    }
    if (elementCount(shape) > kMaxElements) return std::nullopt;
    return shape;
  }

  std::optional<ConcreteTensor> binary(Operation* op, std::function<double(double, double)> fn) {
    auto lhs = evaluate(op->getOperand(0)), rhs = evaluate(op->getOperand(1));
    if (!lhs || !rhs) return std::nullopt;
    return elementwise({&*lhs, &*rhs}, [&](llvm::ArrayRef<double> a) { return fn(a[0], a[1]); });
  }

  std::optional<ConcreteTensor> unary(Operation* op, std::function<double(double)> fn) {
    auto input = evaluate(op->getOperand(0));
    if (!input) return std::nullopt;
    for (double& v : input->values) v = fn(v);
    return input;
  }

  /// numpy broadcasting of `input` to `shape` (Expand: either side may hold the 1s).
  static std::optional<ConcreteTensor> broadcastTo(const ConcreteTensor& input,
                                                   const std::vector<int64_t>& shape) {
    if (elementCount(shape) > kMaxElements) return std::nullopt;
    ConcreteTensor sized{shape, std::vector<double>(elementCount(shape), 0.0)};
    return elementwise({&input, &sized}, [](llvm::ArrayRef<double> a) { return a[0]; });
  }

  std::optional<ConcreteTensor> compute(Operation* op);

  const SymbolicShapes& shapes;
  llvm::ArrayRef<int64_t> symbolValues;
  llvm::DenseMap<Value, ConcreteTensor> memo;
  int visited = 0;
};

std::optional<ConcreteTensor> Evaluator::compute(Operation* op) {
  using Result = std::optional<ConcreteTensor>;
  return llvm::TypeSwitch<Operation*, Result>(op)
      .Case([&](ConstantOp c) { return constantValues(c); })
      .Case([&](CastOp c) { return evaluate(c.getInput()); })  // rounded to the result type
      .Case([&](AddOp) { return binary(op, std::plus<double>()); })
      .Case([&](SubOp) { return binary(op, std::minus<double>()); })
      .Case([&](MulOp) { return binary(op, std::multiplies<double>()); })
      .Case([&](DivOp d) {
        bool integer = d.getType().cast<ShapedType>().getElementType().isa<IntegerType>();
        return binary(op, [integer](double a, double b) {
          return integer ? std::trunc(a / b) : a / b;
        });
      })
      .Case([&](MinOp) { return binary(op, [](double a, double b) { return std::min(a, b); }); })
      .Case([&](MaxOp) { return binary(op, [](double a, double b) { return std::max(a, b); }); })
      .Case([&](EqualOp) { return binary(op, [](double a, double b) { return double(a == b); }); })
      .Case([&](LessOp) { return binary(op, [](double a, double b) { return double(a < b); }); })
      .Case([&](GreaterOp) { return binary(op, [](double a, double b) { return double(a > b); }); })
      .Case([&](LessEqualOp) { return binary(op, [](double a, double b) { return double(a <= b); }); })
      .Case([&](GreaterEqualOp) {
        return binary(op, [](double a, double b) { return double(a >= b); });
      })
      .Case([&](AndOp) { return binary(op, [](double a, double b) { return double(a && b); }); })
      .Case([&](OrOp) { return binary(op, [](double a, double b) { return double(a || b); }); })
      .Case([&](XorOp) { return binary(op, [](double a, double b) { return double(!a != !b); }); })
      .Case([&](NegOp) { return unary(op, [](double a) { return -a; }); })
      .Case([&](NotOp) { return unary(op, [](double a) { return double(a == 0.0); }); })
      .Case([&](AbsOp) { return unary(op, [](double a) { return std::fabs(a); }); })
      .Case([&](WhereOp w) -> Result {
        auto cond = evaluate(w.getCondition()), lhs = evaluate(w.getLhs()),
             rhs = evaluate(w.getRhs());
        if (!cond || !lhs || !rhs) return std::nullopt;
        return elementwise({&*cond, &*lhs, &*rhs},
                           [](llvm::ArrayRef<double> a) { return a[0] != 0.0 ? a[1] : a[2]; });
      })
      .Case([&](ReshapeOp r) -> Result {
        auto input = evaluate(r.getInput());
        if (!input) return std::nullopt;
        // ONNX Reshape (allowzero 0): 0 copies the input's dim, one -1 takes what is left.
        std::vector<int64_t> shape;
        int64_t known = 1, infer = -1;
        for (auto [d, spec] : llvm::enumerate(r.getShape())) {
          int64_t value = spec;
          if (spec == 0) {
            if (d >= input->shape.size()) return std::nullopt;
            value = input->shape[d];
          }
          if (value == -1) infer = static_cast<int64_t>(d);
          else if (value < 0) return std::nullopt;
          else known *= value;
          shape.push_back(value);
        }
        const int64_t count = static_cast<int64_t>(input->values.size());
        if (infer >= 0) {
          if (known == 0 || count % known != 0) return std::nullopt;
          shape[infer] = count / known;
        }
        input->shape = shape;
        return input;
      })
      .Case([&](ReshapeToOp r) -> Result {
        auto input = evaluate(r.getInput());
        std::optional<std::vector<int64_t>> shape = shapeOf(r.getShape());
        if (!input || !shape) return std::nullopt;
        input->shape = *shape;
        return input;
      })
      .Case([&](ExpandOp e) -> Result {
        auto input = evaluate(e.getInput());
        std::optional<std::vector<int64_t>> shape = shapeOf(e.getShape());
        if (!input || !shape) return std::nullopt;
        return broadcastTo(*input, *shape);
      })
      .Case([&](TransposeOp t) -> Result {
        auto input = evaluate(t.getInput());
        ArrayRef<int64_t> perm = t.getPerm();
        if (!input || perm.size() != input->shape.size()) return std::nullopt;
        std::vector<int64_t> shape, strides = stridesOf(input->shape);
        for (int64_t p : perm) shape.push_back(input->shape[p]);
        ConcreteTensor result{shape, std::vector<double>(input->values.size())};
        forEachIndex(shape, [&](int64_t flat, const std::vector<int64_t>& index) {
          int64_t source = 0;
          for (size_t d = 0; d < perm.size(); ++d) source += index[d] * strides[perm[d]];
          result.values[flat] = input->values[source];
        });
        return result;
      })
      .Case([&](SliceOp s) -> Result {
        auto input = evaluate(s.getInput());
        std::optional<std::vector<int64_t>> shape = shapeOf(s.getShape());
        const size_t rank = input ? input->shape.size() : 0;
        if (!input || !shape || shape->size() != rank || s.getStarts().size() != s.getAxes().size())
          return std::nullopt;
        std::vector<int64_t> start(rank, 0), step(rank, 1);
        for (auto [axis, startAttr, stepValue] :
             llvm::zip(s.getAxes(), s.getStarts(), s.getSteps())) {
          std::optional<SymInt> offset = parseSymInt(startAttr, shapes.symbolNames);
          if (!offset || axis < 0 || static_cast<size_t>(axis) >= rank) return std::nullopt;
          int64_t value = offset->offset;
          if (offset->term) {
            std::optional<int64_t> term = valueOf(*offset->term);
            if (!term) return std::nullopt;
            value += *term;
          }
          start[axis] = value;
          step[axis] = stepValue;
        }
        for (size_t d = 0; d < rank; ++d) {
          if ((*shape)[d] == 0) continue;
          int64_t last = start[d] + step[d] * ((*shape)[d] - 1);
          if (start[d] < 0 || start[d] >= input->shape[d] || last < 0 || last >= input->shape[d])
            return std::nullopt;  // outside the input: not this length
        }
        std::vector<int64_t> strides = stridesOf(input->shape);
        ConcreteTensor result{*shape, std::vector<double>(elementCount(*shape))};
        forEachIndex(*shape, [&](int64_t flat, const std::vector<int64_t>& index) {
          int64_t source = 0;
          for (size_t d = 0; d < rank; ++d) source += (start[d] + step[d] * index[d]) * strides[d];
          result.values[flat] = input->values[source];
        });
        return result;
      })
      .Case([&](GatherOp g) -> Result {
        auto data = evaluate(g.getData()), indices = evaluate(g.getIndices());
        const int64_t axis = static_cast<int64_t>(g.getAxis());
        if (!data || !indices || axis < 0 || axis >= static_cast<int64_t>(data->shape.size()))
          return std::nullopt;
        const int64_t dimSize = data->shape[axis];
        int64_t outer = 1, inner = 1;
        for (int64_t d = 0; d < axis; ++d) outer *= data->shape[d];
        for (size_t d = axis + 1; d < data->shape.size(); ++d) inner *= data->shape[d];
        std::vector<int64_t> shape(data->shape.begin(), data->shape.begin() + axis);
        shape.insert(shape.end(), indices->shape.begin(), indices->shape.end());
        shape.insert(shape.end(), data->shape.begin() + axis + 1, data->shape.end());
        if (elementCount(shape) > kMaxElements) return std::nullopt;
        ConcreteTensor result{shape, {}};
        result.values.reserve(elementCount(shape));
        for (int64_t o = 0; o < outer; ++o)
          for (double index : indices->values) {
            int64_t i = static_cast<int64_t>(index);
            if (i < 0) i += dimSize;
            if (i < 0 || i >= dimSize) return std::nullopt;
            for (int64_t x = 0; x < inner; ++x)
              result.values.push_back(data->values[(o * dimSize + i) * inner + x]);
          }
        return result;
      })
      .Case([&](ConcatOp c) -> Result {
        std::vector<ConcreteTensor> parts;
        for (Value input : c.getInputs()) {
          auto part = evaluate(input);
          if (!part) return std::nullopt;
          parts.push_back(std::move(*part));
        }
        const int64_t axis = static_cast<int64_t>(c.getAxis());
        if (parts.empty() || axis < 0 || axis >= static_cast<int64_t>(parts[0].shape.size()))
          return std::nullopt;
        std::vector<int64_t> shape = parts[0].shape;
        shape[axis] = 0;
        for (const ConcreteTensor& part : parts) {
          if (part.shape.size() != shape.size()) return std::nullopt;
          shape[axis] += part.shape[axis];
        }
        int64_t outer = 1;
        for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
        ConcreteTensor result{shape, {}};
        for (int64_t o = 0; o < outer; ++o)
          for (const ConcreteTensor& part : parts) {
            const int64_t chunk = static_cast<int64_t>(part.values.size()) / std::max<int64_t>(outer, 1);
            result.values.insert(result.values.end(), part.values.begin() + o * chunk,
                                 part.values.begin() + (o + 1) * chunk);
          }
        return result;
      })
      .Case([&](RangeOp r) -> Result {
        std::optional<std::vector<int64_t>> shape = shapeOf(r.getShape());
        if (!shape || shape->size() != 1) return std::nullopt;
        ConcreteTensor result{*shape, std::vector<double>((*shape)[0])};
        const double start = r.getStart().convertToDouble(), delta = r.getDelta().convertToDouble();
        for (int64_t i = 0; i < (*shape)[0]; ++i) result.values[i] = start + i * delta;
        return result;
      })
      .Case([&](FillOp f) -> Result {
        std::optional<std::vector<int64_t>> shape = shapeOf(f.getShape());
        if (!shape) return std::nullopt;
        return ConcreteTensor{*shape,
                              std::vector<double>(elementCount(*shape), f.getValue().convertToDouble())};
      })
      .Case([&](TriluOp t) -> Result {
        auto input = evaluate(t.getInput());
        if (!input || input->shape.size() < 2) return std::nullopt;
        const int64_t rows = input->shape[input->shape.size() - 2], cols = input->shape.back();
        const int64_t k = static_cast<int64_t>(t.getK());
        const bool upper = t.getUpper();
        for (int64_t flat = 0; flat < static_cast<int64_t>(input->values.size()); ++flat) {
          const int64_t i = (flat / cols) % rows, j = flat % cols;
          const bool keep = upper ? j - i >= k : j - i <= k;
          if (!keep) input->values[flat] = 0.0;
        }
        return input;
      })
      .Default([](Operation*) { return std::nullopt; });
}

/// Whether the matrices [.., s, s] of `t` (all the same) follow `form`.
bool followsCausalForm(const ConcreteTensor& t, int64_t s, CausalForm form) {
  const size_t rank = t.shape.size();
  if (rank < 2 || t.shape[rank - 2] != s || t.shape[rank - 1] != s) return false;
  for (size_t flat = 0; flat < t.values.size(); ++flat) {
    const int64_t i = static_cast<int64_t>(flat / s) % s, j = static_cast<int64_t>(flat % s);
    const double v = t.values[flat];
    const bool sees = j <= i;
    bool ok = false;
    switch (form) {
      case CausalForm::Keep: ok = (v != 0.0) == sees; break;
      case CausalForm::Drop: ok = (v != 0.0) != sees; break;
      case CausalForm::Additive: ok = sees ? v == 0.0 : v <= -1e4; break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<ConcreteTensor> evaluateWithSymbols(Value value, const SymbolicShapes& shapes,
                                                  llvm::ArrayRef<int64_t> symbolValues) {
  Evaluator evaluator(shapes, symbolValues);
  return evaluator.evaluate(value);
}

bool isCausalMask(Value mask, CausalForm form, const SymDim& seq, const SymbolicShapes& shapes) {
  std::vector<int64_t> probes;
  if (seq.isStatic()) {
    probes.push_back(seq.num);
  } else if (seq.num == 1 && seq.den == 1 && seq.syms.size() == 1) {
    probes = {1, 2, 3, 5, 8, 13, 31, 64};
  } else {
    return false;
  }
  // Lengths in increasing order up to the first the mask cannot be evaluated at (a model's
  // fixed tables end somewhere): at least three must evaluate, unless the length is static.
  int evaluated = 0;
  for (int64_t s : probes) {
    std::vector<int64_t> symbols(shapes.symbolNames.size(), 2);
    if (!seq.isStatic()) symbols[seq.syms[0]] = s;
    std::optional<ConcreteTensor> t = evaluateWithSymbols(mask, shapes, symbols);
    if (!t) break;
    if (!followsCausalForm(*t, s, form)) return false;
    ++evaluated;
  }
  if (!seq.isStatic() && evaluated < 3) return false;
  return evaluated > 0;
}

}  // namespace llmopt
