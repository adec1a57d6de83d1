//===- KnownValues.cpp - small tensors the importer computes at compile time -===//
#include "frontends/onnx/KnownValues.h"

#include "ir/ConstantFolding.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>
#include <cstring>

namespace llmopt::onnx_import {

using namespace mlir;

int64_t KnownValue::numElements() const {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

bool KnownValue::isStatic() const {
  for (const SymDim& v : ints)
    if (!v.isStatic()) return false;
  return true;
}

std::optional<int64_t> KnownValue::staticInt(size_t i) const {
  if (isFloat()) {
    if (i >= floats.size()) return std::nullopt;
    return static_cast<int64_t>(floats[i]);
  }
  if (i >= ints.size() || !ints[i].isStatic()) return std::nullopt;
  return ints[i].num;
}

KnownValue KnownValue::ints1D(Type elementType, std::vector<SymDim> values) {
  KnownValue value;
  value.elementType = elementType;
  value.shape = {static_cast<int64_t>(values.size())};
  value.ints = std::move(values);
  return value;
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

std::optional<KnownValue> knownFromConstant(ElementsAttr attr) {
  auto type = attr.getType().dyn_cast<RankedTensorType>();
  if (!type || !type.hasStaticShape()) return std::nullopt;
  Type element = type.getElementType();
  KnownValue value;
  value.elementType = element;
  value.shape.assign(type.getShape().begin(), type.getShape().end());
  int64_t count = type.getNumElements();
  if (element.isa<FloatType>()) {
    if (count > kMaxKnownFloats) return std::nullopt;
    std::optional<std::vector<float>> floats = getFloatValues(attr);
    if (floats) {
      value.floats.assign(floats->begin(), floats->end());
      return value;
    }
    if (auto dense = attr.dyn_cast<DenseElementsAttr>()) {
      for (const APFloat& f : dense.getValues<APFloat>()) value.floats.push_back(f.convertToDouble());
      return value;
    }
    return std::nullopt;
  }
  if (!element.isInteger(64) && !element.isInteger(32) && !element.isInteger(1))
    return std::nullopt;
  if (count > kMaxKnownInts) return std::nullopt;
  if (auto dense = attr.dyn_cast<DenseElementsAttr>()) {
    if (element.isInteger(1)) {
      for (bool b : dense.getValues<bool>()) value.ints.push_back(SymDim::constant(b));
    } else {
      for (const APInt& v : dense.getValues<APInt>())
        value.ints.push_back(SymDim::constant(v.getSExtValue()));
    }
    return value;
  }
  std::optional<ArrayRef<char>> raw = getRawBytes(attr);
  if (!raw) return std::nullopt;
  size_t width = element.isInteger(64) ? 8 : element.isInteger(32) ? 4 : 1;
  if (raw->size() != static_cast<size_t>(count) * width) return std::nullopt;
  for (int64_t i = 0; i < count; ++i) {
    int64_t v = 0;
    if (width == 8) {
      std::memcpy(&v, raw->data() + i * 8, 8);
    } else if (width == 4) {
      int32_t w;
      std::memcpy(&w, raw->data() + i * 4, 4);
      v = w;
    } else {
      v = raw->data()[i] != 0;
    }
    value.ints.push_back(SymDim::constant(v));
  }
  return value;
}

ElementsAttr constantFromKnown(const KnownValue& value) {
  auto type = RankedTensorType::get(value.shape, value.elementType);
  if (value.isFloat()) {
    if (value.elementType.isF32()) {
      std::vector<float> floats(value.floats.begin(), value.floats.end());
      return DenseElementsAttr::get(type, ArrayRef<float>(floats));
    }
    std::vector<APFloat> floats;
    for (double f : value.floats) {
      APFloat v(f);
      bool lost;
      v.convert(value.elementType.cast<FloatType>().getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      floats.push_back(v);
    }
    return DenseElementsAttr::get(type, floats);
  }
  if (value.isBool()) {
    // A byte per bool, as ONNX initializers are imported (MLIR's dense i1 is bit-packed).
    std::vector<char> bytes;
    for (const SymDim& v : value.ints) bytes.push_back(v.num != 0);
    auto& manager = DenseResourceElementsHandle::getManagerInterface(type.getContext());
    return DenseResourceElementsAttr::get(
        type, manager.insert("known", HeapAsmResourceBlob::allocateAndCopyWithAlign(
                                          ArrayRef<char>(bytes), /*align=*/1)));
  }
  std::vector<APInt> ints;
  unsigned width = value.elementType.getIntOrFloatBitWidth();
  for (const SymDim& v : value.ints) ints.push_back(APInt(width, v.num, /*isSigned=*/true));
  return DenseElementsAttr::get(type, ints);
}

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

std::variant<std::vector<int64_t>, std::string> broadcastStatic(const std::vector<int64_t>& a,
                                                                const std::vector<int64_t>& b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      return "shapes do not broadcast (" + std::to_string(x) + " vs " + std::to_string(y) + ")";
    out[i] = x == 1 ? y : x;
  }
  return out;
}

namespace {

/// Flat index into `shape` (broadcast into `outShape`) for each flat index of the output.
std::vector<int64_t> broadcastIndices(const std::vector<int64_t>& shape,
                                      const std::vector<int64_t>& outShape) {
  size_t rank = outShape.size();
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    size_t axis = rank - 1 - i, dim = shape.size() - 1 - i;
    strides[axis] = shape[dim] == 1 ? 0 : stride;
    stride *= shape[dim];
  }
  int64_t count = 1;
  for (int64_t d : outShape) count *= d;
  std::vector<int64_t> indices(count);
  std::vector<int64_t> index(rank, 0);
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t at = 0;
    for (size_t d = 0; d < rank; ++d) at += index[d] * strides[d];
    indices[flat] = at;
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return indices;
}

SymDim negate(const SymDim& v) { return SymDim{-v.num, v.den, v.syms}; }

/// -1, 0 or 1 when the order of a and b is known for every value of the symbols (each >= 1).
std::optional<int> compare(const SymDim& a, const SymDim& b) {
  if (a == b) return 0;
  if (a.isStatic() && b.isStatic()) return a.num < b.num ? -1 : 1;
  auto lowerBound = [](const SymDim& v) { return static_cast<double>(v.num) / v.den; };
  if (!a.isStatic() && b.isStatic() && a.num > 0 && static_cast<double>(b.num) < lowerBound(a))
    return 1;
  if (a.isStatic() && !b.isStatic() && b.num > 0 && static_cast<double>(a.num) < lowerBound(b))
    return -1;
  return std::nullopt;
}

std::optional<SymDim> intBinary(KnownBinary kind, const SymDim& a, const SymDim& b) {
  switch (kind) {
    case KnownBinary::Add: return a.plus(b);
    case KnownBinary::Sub: return a.plus(negate(b));
    case KnownBinary::Mul: return a.times(b);
    case KnownBinary::Div:
      if (a.isStatic() && b.isStatic()) {
        if (b.num == 0) return std::nullopt;
        return SymDim::constant(a.num / b.num);  // ONNX integer Div truncates
      }
      return a.divide(b);
    case KnownBinary::Pow: {
      if (!a.isStatic() || !b.isStatic() || b.num < 0 || b.num > 62) return std::nullopt;
      std::optional<SymDim> result = SymDim::constant(1);
      for (int64_t i = 0; i < b.num && result; ++i) result = result->times(a);
      return result;
    }
    case KnownBinary::Min:
    case KnownBinary::Max: {
      std::optional<int> order = compare(a, b);
      if (!order) return std::nullopt;
      bool takeA = kind == KnownBinary::Min ? *order <= 0 : *order >= 0;
      return takeA ? a : b;
    }
    case KnownBinary::Equal: {
      std::optional<int> order = compare(a, b);
      if (!order) return std::nullopt;
      return SymDim::constant(*order == 0);
    }
    case KnownBinary::Less:
    case KnownBinary::Greater:
    case KnownBinary::LessOrEqual:
    case KnownBinary::GreaterOrEqual: {
      std::optional<int> order = compare(a, b);
      if (!order) return std::nullopt;
      bool result = kind == KnownBinary::Less      ? *order < 0
                    : kind == KnownBinary::Greater ? *order > 0
                    : kind == KnownBinary::LessOrEqual ? *order <= 0
                                                       : *order >= 0;
      return SymDim::constant(result);
    }
    case KnownBinary::And: return SymDim::constant(a.num != 0 && b.num != 0);
    case KnownBinary::Or: return SymDim::constant(a.num != 0 || b.num != 0);
    case KnownBinary::Xor: return SymDim::constant((a.num != 0) != (b.num != 0));
  }
  return std::nullopt;
}

std::optional<double> floatBinary(KnownBinary kind, double a, double b) {
  switch (kind) {
    case KnownBinary::Add: return a + b;
    case KnownBinary::Sub: return a - b;
    case KnownBinary::Mul: return a * b;
    case KnownBinary::Div: return a / b;
    case KnownBinary::Pow: return std::pow(a, b);
    case KnownBinary::Min: return std::min(a, b);
    case KnownBinary::Max: return std::max(a, b);
    case KnownBinary::Equal: return a == b;
    case KnownBinary::Less: return a < b;
    case KnownBinary::Greater: return a > b;
    case KnownBinary::LessOrEqual: return a <= b;
    case KnownBinary::GreaterOrEqual: return a >= b;
    default: return std::nullopt;
  }
}

std::vector<double> asFloats(const KnownValue& v) {
  if (v.isFloat()) return v.floats;
  std::vector<double> out;
  for (const SymDim& d : v.ints) out.push_back(static_cast<double>(d.num));
  return out;
}

}  // namespace

KnownOrError evaluateBinary(KnownBinary kind, const KnownValue& lhs, const KnownValue& rhs,
                            Type resultType) {
  auto shape = broadcastStatic(lhs.shape, rhs.shape);
  if (auto* error = std::get_if<std::string>(&shape)) return *error;
  KnownValue out;
  out.elementType = resultType;
  out.shape = std::get<std::vector<int64_t>>(shape);
  std::vector<int64_t> ia = broadcastIndices(lhs.shape, out.shape);
  std::vector<int64_t> ib = broadcastIndices(rhs.shape, out.shape);
  if (lhs.isFloat() || rhs.isFloat()) {
    if (!lhs.isStatic() || !rhs.isStatic()) return std::string("mixes symbols and floats");
    std::vector<double> a = asFloats(lhs), b = asFloats(rhs);
    for (size_t i = 0; i < ia.size(); ++i) {
      std::optional<double> v = floatBinary(kind, a[ia[i]], b[ib[i]]);
      if (!v) return std::string("no float rule for this op");
      if (out.isFloat())
        out.floats.push_back(*v);
      else
        out.ints.push_back(SymDim::constant(static_cast<int64_t>(*v)));
    }
    return out;
  }
  for (size_t i = 0; i < ia.size(); ++i) {
    std::optional<SymDim> v = intBinary(kind, lhs.ints[ia[i]], rhs.ints[ib[i]]);
    if (!v) return std::string("the result is not a product of the model's symbols");
    out.ints.push_back(*v);
  }
  return out;
}

KnownOrError evaluateWhere(const KnownValue& condition, const KnownValue& lhs,
                           const KnownValue& rhs) {
  auto shape = broadcastStatic(condition.shape, lhs.shape);
  if (auto* error = std::get_if<std::string>(&shape)) return *error;
  auto full = broadcastStatic(std::get<std::vector<int64_t>>(shape), rhs.shape);
  if (auto* error = std::get_if<std::string>(&full)) return *error;
  KnownValue out;
  out.elementType = lhs.elementType;
  out.shape = std::get<std::vector<int64_t>>(full);
  std::vector<int64_t> ic = broadcastIndices(condition.shape, out.shape);
  std::vector<int64_t> ia = broadcastIndices(lhs.shape, out.shape);
  std::vector<int64_t> ib = broadcastIndices(rhs.shape, out.shape);
  for (size_t i = 0; i < ic.size(); ++i) {
    bool take = condition.ints[ic[i]].num != 0;
    if (out.isFloat())
      out.floats.push_back(take ? lhs.floats[ia[i]] : rhs.floats[ib[i]]);
    else
      out.ints.push_back(take ? lhs.ints[ia[i]] : rhs.ints[ib[i]]);
  }
  return out;
}

KnownOrError evaluateCast(const KnownValue& input, Type to) {
  KnownValue out;
  out.elementType = to;
  out.shape = input.shape;
  bool toFloat = to.isa<FloatType>();
  if (input.isFloat()) {
    for (double f : input.floats) {
      if (toFloat)
        out.floats.push_back(f);
      else if (to.isInteger(1))
        out.ints.push_back(SymDim::constant(f != 0));
      else
        out.ints.push_back(SymDim::constant(static_cast<int64_t>(f)));
    }
    return out;
  }
  for (const SymDim& v : input.ints) {
    if (toFloat) {
      if (!v.isStatic()) return std::string("a symbolic dim cannot be cast to float at compile time");
      out.floats.push_back(static_cast<double>(v.num));
    } else if (to.isInteger(1)) {
      if (!v.isStatic() && v.num <= 0) return std::string("unknown truth value");
      out.ints.push_back(SymDim::constant(v.num != 0));
    } else {
      out.ints.push_back(v);
    }
  }
  return out;
}

KnownOrError evaluateUnary(const std::string& opType, const KnownValue& input) {
  KnownValue out = input;
  if (input.isFloat()) {
    for (double& f : out.floats) {
      if (opType == "Neg") f = -f;
      else if (opType == "Abs") f = std::fabs(f);
      else if (opType == "Sqrt") f = std::sqrt(f);
      else if (opType == "Reciprocal") f = 1.0 / f;
      else if (opType == "Exp") f = std::exp(f);
      else if (opType == "Log") f = std::log(f);
      else if (opType == "Ceil") f = std::ceil(f);
      else if (opType == "Floor") f = std::floor(f);
      else return "no compile-time rule for " + opType;
    }
    return out;
  }
  for (SymDim& v : out.ints) {
    if (opType == "Neg") {
      v = negate(v);
    } else if (opType == "Not" && input.isBool()) {
      v = SymDim::constant(v.num == 0);
    } else if (opType == "Abs" && v.isStatic()) {
      v.num = std::abs(v.num);
    } else if (opType == "Abs" && v.num > 0) {
      // a positive monomial is its own absolute value
    } else {
      return "no compile-time rule for " + opType;
    }
  }
  return out;
}

namespace {
/// Row-major strides.
std::vector<int64_t> stridesOf(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

/// Copies element `from` of `in` to the end of `out`.
void pushElement(const KnownValue& in, int64_t from, KnownValue& out) {
  if (in.isFloat())
    out.floats.push_back(in.floats[from]);
  else
    out.ints.push_back(in.ints[from]);
}
}  // namespace

KnownOrError evaluateGather(const KnownValue& data, const KnownValue& indices, int64_t axis) {
  if (!indices.isStatic()) return std::string("symbolic indices");
  KnownValue out;
  out.elementType = data.elementType;
  out.shape.assign(data.shape.begin(), data.shape.begin() + axis);
  out.shape.insert(out.shape.end(), indices.shape.begin(), indices.shape.end());
  out.shape.insert(out.shape.end(), data.shape.begin() + axis + 1, data.shape.end());
  int64_t outer = 1, inner = 1, dim = data.shape[axis];
  for (int64_t d = 0; d < axis; ++d) outer *= data.shape[d];
  for (size_t d = axis + 1; d < data.shape.size(); ++d) inner *= data.shape[d];
  for (int64_t o = 0; o < outer; ++o)
    for (const SymDim& index : indices.ints) {
      int64_t i = index.num < 0 ? index.num + dim : index.num;
      if (i < 0 || i >= dim)
        return "index " + std::to_string(index.num) + " is out of range for a dim of " +
               std::to_string(dim);
      for (int64_t j = 0; j < inner; ++j) pushElement(data, (o * dim + i) * inner + j, out);
    }
  return out;
}

KnownOrError evaluateConcat(const std::vector<const KnownValue*>& inputs, int64_t axis) {
  KnownValue out;
  out.elementType = inputs[0]->elementType;
  out.shape = inputs[0]->shape;
  out.shape[axis] = 0;
  for (const KnownValue* input : inputs) {
    if (input->shape.size() != out.shape.size()) return std::string("inputs differ in rank");
    for (size_t d = 0; d < out.shape.size(); ++d)
      if (static_cast<int64_t>(d) != axis && input->shape[d] != out.shape[d])
        return std::string("inputs differ in a dim other than the axis");
    out.shape[axis] += input->shape[axis];
  }
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out.shape[d];
  for (int64_t o = 0; o < outer; ++o)
    for (const KnownValue* input : inputs) {
      int64_t chunk = input->numElements() / std::max<int64_t>(outer, 1);
      for (int64_t j = 0; j < chunk; ++j) pushElement(*input, o * chunk + j, out);
    }
  return out;
}

KnownOrError evaluateSlice(const KnownValue& data, const std::vector<int64_t>& starts,
                           const std::vector<int64_t>& steps, const std::vector<int64_t>& sizes) {
  KnownValue out;
  out.elementType = data.elementType;
  out.shape = sizes;
  std::vector<int64_t> strides = stridesOf(data.shape);
  int64_t count = out.numElements();
  std::vector<int64_t> index(sizes.size(), 0);
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t at = 0;
    for (size_t d = 0; d < sizes.size(); ++d) at += (starts[d] + index[d] * steps[d]) * strides[d];
    pushElement(data, at, out);
    for (size_t d = sizes.size(); d-- > 0;) {
      if (++index[d] < sizes[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

KnownOrError evaluateExpand(const KnownValue& input, const std::vector<int64_t>& shape) {
  auto full = broadcastStatic(input.shape, shape);
  if (auto* error = std::get_if<std::string>(&full)) return *error;
  KnownValue out;
  out.elementType = input.elementType;
  out.shape = std::get<std::vector<int64_t>>(full);
  if (out.numElements() > (input.isFloat() ? kMaxKnownFloats : kMaxKnownInts))
    return std::string("too large to fold");
  for (int64_t i : broadcastIndices(input.shape, out.shape)) pushElement(input, i, out);
  return out;
}

KnownOrError evaluateTranspose(const KnownValue& input, const std::vector<int64_t>& perm) {
  KnownValue out;
  out.elementType = input.elementType;
  for (int64_t p : perm) out.shape.push_back(input.shape[p]);
  std::vector<int64_t> inStrides = stridesOf(input.shape);
  int64_t count = out.numElements();
  std::vector<int64_t> index(perm.size(), 0);
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t at = 0;
    for (size_t d = 0; d < perm.size(); ++d) at += index[d] * inStrides[perm[d]];
    pushElement(input, at, out);
    for (size_t d = perm.size(); d-- > 0;) {
      if (++index[d] < out.shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace llmopt::onnx_import
