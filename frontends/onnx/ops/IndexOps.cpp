//===- IndexOps.cpp - Gather, Concat, Split, Slice, Expand, Tile, ConstantOfShape, Range, Trilu -===//
#include "frontends/onnx/ops/ShapeHelpers.h"

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "frontends/onnx/TensorConversion.h"
#include "ir/LLMOptOps.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <limits>

namespace llmopt::onnx_import {
namespace {

using mlir::LogicalResult;
using mlir::Value;

std::optional<int64_t> normalizeAxis(NodeContext& node, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    (void)node.error("axis " + std::to_string(axis) + " is out of range for rank " +
                     std::to_string(rank));
    return std::nullopt;
  }
  return axis < 0 ? axis + rank : axis;
}

int64_t rankOf(NodeContext& node, size_t i) {
  if (const KnownValue* k = node.known(i)) return static_cast<int64_t>(k->shape.size());
  Value v = node.input(i);
  return v ? v.getType().cast<mlir::RankedTensorType>().getRank() : -1;
}

LogicalResult importGather(NodeContext& node) {
  int64_t rank = rankOf(node, 0);
  if (rank < 0) return mlir::failure();
  std::optional<int64_t> axis = normalizeAxis(node, node.intAttr("axis").value_or(0), rank);
  if (!axis) return mlir::failure();
  if (auto folded = node.foldKnown(
          [&] { return evaluateGather(*node.known(0), *node.known(1), *axis); }))
    return *folded;
  Value data = node.input(0), indices = node.input(1);
  if (!data || !indices) return mlir::failure();
  auto indexType = indices.getType().cast<mlir::ShapedType>().getElementType();
  if (!indexType.isInteger(64) && !indexType.isInteger(32))
    return node.error("indices must be int64 or int32");
  Value y = node.create<GatherOp>({data, indices},
                                  {node.builder().getNamedAttr(
                                      "axis", node.builder().getI64IntegerAttr(*axis))});
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

LogicalResult importConcat(NodeContext& node) {
  int64_t rank = rankOf(node, 0);
  if (rank < 0) return mlir::failure();
  std::optional<int64_t> axis = normalizeAxis(node, node.intAttr("axis").value_or(0), rank);
  if (!axis) return mlir::failure();
  if (auto folded = node.foldKnown([&] {
        std::vector<const KnownValue*> inputs;
        for (size_t i = 0; i < node.numInputs(); ++i) inputs.push_back(node.known(i));
        return evaluateConcat(inputs, *axis);
      }))
    return *folded;
  llvm::SmallVector<Value> inputs;
  for (size_t i = 0; i < node.numInputs(); ++i) {
    Value v = node.input(i);
    if (!v) return mlir::failure();
    // ONNX allows empty inputs (a dim of 0) in a concat; they add nothing.
    auto type = v.getType().cast<mlir::RankedTensorType>();
    if (llvm::is_contained(type.getShape(), 0)) continue;
    inputs.push_back(v);
  }
  if (inputs.empty()) return node.error("every input is empty");
  if (inputs.size() == 1) {
    node.setOutput(0, inputs[0]);
    return mlir::success();
  }
  Value y = node.create<ConcatOp>(
      inputs, {node.builder().getNamedAttr("axis", node.builder().getI64IntegerAttr(*axis))});
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

/// One axis of a slice after ONNX clamping: the first index and the length, symbolic where
/// the input dim or the bounds are.
struct AxisWindow {
  SymInt start;
  SymDim length;
};

/// ONNX Slice clamping on one axis of size `dim`. Symbolic bounds are assumed to lie inside the
/// dim (the runtime checks each index it reads); what a monomial cannot express is refused.
std::optional<AxisWindow> window(NodeContext& node, const SymDim& dim, const SymDim& start,
                                 const SymDim& end, int64_t step) {
  constexpr int64_t kHuge = std::numeric_limits<int32_t>::max();
  auto fail = [&](const std::string& why) -> std::optional<AxisWindow> {
    (void)node.error("slice bounds [" + formatSymDim(start, node.symbolNames()) + ", " +
                     formatSymDim(end, node.symbolNames()) + ") with step " +
                     std::to_string(step) + " on a dim of " +
                     formatSymDim(dim, node.symbolNames()) + ": " + why);
    return std::nullopt;
  };
  if (dim.isStatic() && start.isStatic() && end.isStatic()) {
    int64_t d = dim.num, s = start.num, e = end.num;
    if (step > 0) {
      s = s < 0 ? std::max<int64_t>(s + d, 0) : std::min(s, d);
      e = e < 0 ? std::max<int64_t>(e + d, 0) : std::min(e, d);
      int64_t len = e > s ? (e - s + step - 1) / step : 0;
      return AxisWindow{{s, {}}, SymDim::constant(len)};
    }
    s = s < 0 ? std::max<int64_t>(s + d, -1) : std::min(s, d - 1);
    e = e < 0 ? std::max<int64_t>(e + d, -1) : std::min(e, d - 1);
    int64_t len = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    return AxisWindow{{s, {}}, SymDim::constant(len)};
  }
  if (step != 1) return fail("only a step of 1 is supported where a bound or the dim is symbolic");
  // The start: 0, a static index inside a static dim, or `dim - k` for a negative static k.
  SymInt first;
  if (start.isStatic() && start.num >= 0 && (start.num == 0 || dim.isStatic())) {
    first = {dim.isStatic() ? std::min(start.num, dim.num) : 0, {}};
  } else if (start.isStatic() && start.num < 0) {
    first = {start.num, dim};
  } else if (!start.isStatic()) {
    first = {0, start};
  } else {
    return fail("the start cannot be expressed");
  }
  // The end, as a symbolic value: `dim` for "to the end" (INT64_MAX or >= dim), `dim - k`, or a
  // symbol.
  SymInt last;
  if (end.isStatic() && (end.num >= kHuge || (dim.isStatic() && end.num >= dim.num)))
    last = {0, dim};
  else if (end.isStatic() && end.num < 0)
    last = {end.num, dim};
  else if (end.isStatic())
    last = {end.num, {}};
  else
    last = {0, end};
  // length = last - first, which must be a monomial.
  auto termOf = [](const SymInt& v) { return v.term ? *v.term : SymDim::constant(0); };
  std::optional<SymDim> terms = termOf(last).plus(SymDim{-termOf(first).num, termOf(first).den,
                                                         termOf(first).syms});
  if (!terms) return fail("the length is not a product of the model's symbols");
  int64_t offset = last.offset - first.offset;
  std::optional<SymDim> length = terms->plus(SymDim::constant(offset));
  if (!length) return fail("the length is not a product of the model's symbols");
  if (length->isStatic() && length->num < 0) length = SymDim::constant(0);
  if (!first.term && dim.isStatic() && first.offset < 0) first.offset += dim.num;
  if (first.term && first.term->isStatic()) first = {first.offset + first.term->num, {}};
  return AxisWindow{first, *length};
}

/// Slices input 0 along `axes` with symbolic starts/ends; `ends`/`steps` may be shorter
/// (defaults). Sets output `out`.
LogicalResult emitSlice(NodeContext& node, size_t out, const std::vector<int64_t>& axes,
                        const std::vector<SymDim>& starts, const std::vector<SymDim>& ends,
                        const std::vector<int64_t>& steps) {
  const KnownValue* known = node.known(0);
  Value x = known ? nullptr : node.input(0);
  if (!known && !x) return mlir::failure();
  SymShape in;
  if (known) {
    for (int64_t d : known->shape) in.push_back(SymDim::constant(d));
  } else {
    const SymShape* shape = node.symbolicShape(x);
    if (!shape) return mlir::failure();
    in = *shape;
  }
  int64_t rank = static_cast<int64_t>(in.size());
  SymShape result = in;
  std::vector<int64_t> sliceAxes, sliceSteps;
  std::vector<SymInt> sliceStarts;
  for (size_t i = 0; i < axes.size(); ++i) {
    std::optional<int64_t> axis = normalizeAxis(node, axes[i], rank);
    if (!axis) return mlir::failure();
    if (llvm::is_contained(sliceAxes, *axis)) return node.error("axes repeat");
    int64_t step = i < steps.size() ? steps[i] : 1;
    if (step == 0) return node.error("a step is 0");
    std::optional<AxisWindow> w = window(node, in[*axis], starts[i], ends[i], step);
    if (!w) return mlir::failure();
    result[*axis] = w->length;
    sliceAxes.push_back(*axis);
    sliceStarts.push_back(w->start);
    sliceSteps.push_back(step);
  }
  bool staticWindow = llvm::all_of(result, [](const SymDim& d) { return d.isStatic(); }) &&
                      llvm::none_of(sliceStarts, [](const SymInt& s) { return s.term.has_value(); });
  if (known && !staticWindow) {
    // A constant (a causal-mask table) sliced to a symbolic length: slice it at run time.
    if (!known->isStatic())
      return node.error("cannot slice a shape value to a length that depends on the inputs");
    known = nullptr;
    x = node.input(0);
    if (!x) return mlir::failure();
  }
  if (known) {
    std::vector<int64_t> allStarts(rank, 0), allSteps(rank, 1), sizes;
    for (const SymDim& d : result) sizes.push_back(d.num);
    for (size_t i = 0; i < sliceAxes.size(); ++i) {
      allStarts[sliceAxes[i]] = sliceStarts[i].offset;
      allSteps[sliceAxes[i]] = sliceSteps[i];
    }
    KnownOrError y = evaluateSlice(*known, allStarts, allSteps, sizes);
    if (auto* error = std::get_if<std::string>(&y)) return node.error(*error);
    node.setKnownOutput(out, std::get<KnownValue>(y));
    return mlir::success();
  }
  if (result == in) {  // a slice that keeps everything
    node.setOutput(out, x);
    return mlir::success();
  }
  auto& b = node.builder();
  llvm::SmallVector<mlir::Attribute> startAttrs;
  for (const SymInt& s : sliceStarts)
    startAttrs.push_back(symIntAttr(b.getContext(), s, node.symbolNames()));
  Value y = node.create<SliceOp>(
      x, {b.getNamedAttr("axes", b.getDenseI64ArrayAttr(sliceAxes)),
          b.getNamedAttr("starts", b.getArrayAttr(startAttrs)),
          b.getNamedAttr("steps", b.getDenseI64ArrayAttr(sliceSteps)),
          b.getNamedAttr("shape", shapeAttr(node, result))});
  if (!y) return mlir::failure();
  node.setOutput(out, y);
  return mlir::success();
}

LogicalResult importSlice(NodeContext& node) {
  std::vector<SymDim> starts, ends;
  std::vector<int64_t> axes, steps;
  int64_t rank = rankOf(node, 0);
  if (rank < 0) return mlir::failure();
  if (node.opset() < 10) {
    auto s = node.intsAttr("starts"), e = node.intsAttr("ends");
    if (!s || !e) return node.error("needs starts and ends");
    for (int64_t v : *s) starts.push_back(SymDim::constant(v));
    for (int64_t v : *e) ends.push_back(SymDim::constant(v));
    if (auto a = node.intsAttr("axes")) axes = *a;
  } else {
    auto s = knownInts(node, 1, "starts (input 1)");
    auto e = knownInts(node, 2, "ends (input 2)");
    if (!s || !e) return mlir::failure();
    starts = *s, ends = *e;
    if (node.numInputs() > 3 && !node.inputName(3).empty()) {
      auto a = staticInts(node, 3, "axes (input 3)");
      if (!a) return mlir::failure();
      axes = *a;
    }
    if (node.numInputs() > 4 && !node.inputName(4).empty()) {
      auto st = staticInts(node, 4, "steps (input 4)");
      if (!st) return mlir::failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (starts.size() != ends.size() || starts.size() != axes.size() ||
      (!steps.empty() && steps.size() != starts.size()))
    return node.error("starts, ends, axes and steps differ in length");
  return emitSlice(node, 0, axes, starts, ends, steps);
}

LogicalResult importSplit(NodeContext& node) {
  int64_t rank = rankOf(node, 0);
  if (rank < 0) return mlir::failure();
  std::optional<int64_t> axis = normalizeAxis(node, node.intAttr("axis").value_or(0), rank);
  if (!axis) return mlir::failure();
  SymDim dim;
  if (const KnownValue* k = node.known(0)) {
    dim = SymDim::constant(k->shape[*axis]);
  } else {
    Value x = node.input(0);
    if (!x) return mlir::failure();
    const SymShape* shape = node.symbolicShape(x);
    if (!shape) return mlir::failure();
    dim = (*shape)[*axis];
  }
  size_t parts = node.node().output_size();
  std::vector<SymDim> sizes;
  std::optional<std::vector<int64_t>> given;
  if (node.opset() < 13)
    given = node.intsAttr("split");
  else if (node.numInputs() > 1 && !node.inputName(1).empty()) {
    given = staticInts(node, 1, "split (input 1)");
    if (!given) return mlir::failure();
  }
  if (given) {
    if (given->size() != parts) return node.error("split sizes do not match the outputs");
    for (int64_t s : *given) sizes.push_back(SymDim::constant(s));
  } else {
    std::optional<SymDim> each = dim.divide(SymDim::constant(static_cast<int64_t>(parts)));
    if (!each || (each->isStatic() && each->num * static_cast<int64_t>(parts) != dim.num))
      return node.error("the axis does not split evenly");
    sizes.assign(parts, *each);
  }
  SymDim at = SymDim::constant(0);
  for (size_t p = 0; p < parts; ++p) {
    std::optional<SymDim> end = at.plus(sizes[p]);
    if (!end) return node.error("split offsets are not products of the model's symbols");
    if (failed(emitSlice(node, p, {*axis}, {at}, {*end}, {1}))) return mlir::failure();
    at = *end;
  }
  return mlir::success();
}

/// The broadcast of `in` with an Expand/Tile target (ONNX: bidirectional), symbolically.
std::optional<SymShape> expandShape(NodeContext& node, const SymShape& in,
                                    const std::vector<SymDim>& target) {
  size_t rank = std::max(in.size(), target.size());
  SymShape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    SymDim a = i < rank - in.size() ? SymDim::constant(1) : in[i - (rank - in.size())];
    SymDim b = i < rank - target.size() ? SymDim::constant(1) : target[i - (rank - target.size())];
    if (a == b || b == SymDim::constant(1)) {
      out[i] = a;
    } else if (a == SymDim::constant(1)) {
      out[i] = b;
    } else if (!a.isStatic() || !b.isStatic()) {
      out[i] = a.isStatic() ? b : a;  // the runtime checks that the two agree
    } else {
      (void)node.error("cannot expand a dim of " + std::to_string(a.num) + " to " +
                       std::to_string(b.num));
      return std::nullopt;
    }
  }
  return out;
}

LogicalResult emitExpand(NodeContext& node, const std::vector<SymDim>& target) {
  if (const KnownValue* k = node.known(0)) {
    SymShape in;
    for (int64_t d : k->shape) in.push_back(SymDim::constant(d));
    std::optional<SymShape> out = expandShape(node, in, target);
    if (!out) return mlir::failure();
    std::vector<int64_t> dims;
    for (const SymDim& d : *out)
      if (d.isStatic()) dims.push_back(d.num);
    if (dims.size() == out->size()) {
      KnownOrError y = evaluateExpand(*k, dims);
      if (auto* value = std::get_if<KnownValue>(&y)) {
        node.setKnownOutput(0, *value);
        return mlir::success();
      }
    }
  }
  Value x = node.input(0);
  if (!x) return mlir::failure();
  const SymShape* in = node.symbolicShape(x);
  if (!in) return mlir::failure();
  std::optional<SymShape> out = expandShape(node, *in, target);
  if (!out) return mlir::failure();
  if (*out == *in) {
    node.setOutput(0, x);
    return mlir::success();
  }
  Value y = node.create<ExpandOp>(
      x, {node.builder().getNamedAttr("shape", shapeAttr(node, *out))});
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

LogicalResult importExpand(NodeContext& node) {
  std::optional<std::vector<SymDim>> target = knownInts(node, 1, "the shape (input 1)");
  if (!target) return mlir::failure();
  return emitExpand(node, *target);
}

/// Tile where every tiled dim has size 1 is a broadcast (the exporters' mask.repeat(b, 1, 1, 1)).
LogicalResult importTile(NodeContext& node) {
  std::optional<std::vector<SymDim>> repeats = knownInts(node, 1, "repeats (input 1)");
  if (!repeats) return mlir::failure();
  SymShape in;
  if (const KnownValue* k = node.known(0)) {
    for (int64_t d : k->shape) in.push_back(SymDim::constant(d));
  } else {
    Value x = node.input(0);
    if (!x) return mlir::failure();
    const SymShape* shape = node.symbolicShape(x);
    if (!shape) return mlir::failure();
    in = *shape;
  }
  if (repeats->size() != in.size()) return node.error("repeats must have one entry per dim");
  std::vector<SymDim> target;
  for (size_t d = 0; d < in.size(); ++d) {
    if ((*repeats)[d] == SymDim::constant(1)) {
      target.push_back(in[d]);
    } else if (in[d] == SymDim::constant(1)) {
      target.push_back((*repeats)[d]);
    } else {
      return node.error("tiling a dim larger than 1 is not supported (only broadcasting tiles)");
    }
  }
  return emitExpand(node, target);
}

/// The fill value of ConstantOfShape: a one-element tensor attribute (default float 0).
std::optional<KnownValue> fillValue(NodeContext& node) {
  const auto* attr = node.attr("value");
  if (!attr) {
    KnownValue zero;
    zero.elementType = node.builder().getF32Type();
    zero.floats = {0.0};
    return zero;
  }
  std::string error;
  mlir::ElementsAttr value =
      convertTensor(node.builder().getContext(), attr->t(), node.graph().storage(), error);
  std::optional<KnownValue> known = value ? knownFromConstant(value) : std::nullopt;
  if (!known || known->numElements() != 1) {
    (void)node.error("value must be a one-element float32, int64, int32 or bool tensor");
    return std::nullopt;
  }
  known->shape.clear();
  return known;
}

LogicalResult importConstantOfShape(NodeContext& node) {
  std::optional<std::vector<SymDim>> shape = knownInts(node, 0, "the shape (input 0)");
  std::optional<KnownValue> value = fillValue(node);
  if (!shape || !value) return mlir::failure();
  SymShape dims(shape->begin(), shape->end());
  bool isStatic = llvm::all_of(dims, [](const SymDim& d) { return d.isStatic(); });
  if (isStatic) {
    std::vector<int64_t> staticDims;
    for (const SymDim& d : dims) staticDims.push_back(d.num);
    KnownOrError filled = evaluateExpand(*value, staticDims);
    if (auto* known = std::get_if<KnownValue>(&filled)) {
      node.setKnownOutput(0, *known);
      return mlir::success();
    }
  }
  double fill = value->isFloat() ? value->floats[0] : static_cast<double>(value->ints[0].num);
  llvm::SmallVector<int64_t> mlirDims;
  for (const SymDim& d : dims) mlirDims.push_back(d.isStatic() ? d.num : mlir::ShapedType::kDynamic);
  auto type = mlir::RankedTensorType::get(mlirDims, value->elementType);
  auto& b = node.builder();
  node.setOutput(0, b.create<FillOp>(node.loc(), type, b.getF64FloatAttr(fill),
                                     shapeAttr(node, dims)));
  return mlir::success();
}

LogicalResult importRange(NodeContext& node) {
  const KnownValue *start = node.known(0), *limit = node.known(1), *delta = node.known(2);
  if (!start || !limit || !delta)
    return node.error("start, limit and delta must be computable at compile time");
  mlir::Type type = start->elementType;
  if (start->isFloat()) {
    double s = start->floats[0], l = limit->floats[0], d = delta->floats[0];
    if (d == 0) return node.error("delta is 0");
    int64_t count = std::max<int64_t>(static_cast<int64_t>(std::ceil((l - s) / d)), 0);
    KnownValue out;
    out.elementType = type;
    out.shape = {count};
    for (int64_t i = 0; i < count; ++i) out.floats.push_back(s + i * d);
    node.setKnownOutput(0, out);
    return mlir::success();
  }
  std::optional<int64_t> s = start->staticInt(0), d = delta->staticInt(0);
  if (!s || !d || *d == 0) return node.error("start and delta must be static and delta non-zero");
  const SymDim& l = limit->ints.at(0);
  if (l.isStatic()) {
    int64_t count = std::max<int64_t>((l.num - *s + *d + (*d > 0 ? -1 : 1)) / *d, 0);
    std::vector<SymDim> values;
    for (int64_t i = 0; i < count; ++i) values.push_back(SymDim::constant(*s + i * *d));
    KnownValue out = KnownValue::ints1D(type, values);
    node.setKnownOutput(0, out);
    return mlir::success();
  }
  if (*s != 0 || *d != 1)
    return node.error("a range to a symbolic limit must start at 0 with step 1");
  auto& b = node.builder();
  auto resultType = mlir::RankedTensorType::get({mlir::ShapedType::kDynamic}, type);
  node.setOutput(0, b.create<RangeOp>(node.loc(), resultType, b.getF64FloatAttr(0),
                                      b.getF64FloatAttr(1), shapeAttr(node, {l}),
                                      /*offset_by_cache=*/nullptr));
  return mlir::success();
}

LogicalResult importTrilu(NodeContext& node) {
  int64_t k = 0;
  if (node.numInputs() > 1 && !node.inputName(1).empty()) {
    auto given = staticInts(node, 1, "k (input 1)");
    if (!given || given->size() != 1) return mlir::failure();
    k = (*given)[0];
  }
  Value x = node.input(0);
  if (!x) return mlir::failure();
  if (x.getType().cast<mlir::RankedTensorType>().getRank() < 2)
    return node.error("needs a tensor of rank 2 or more");
  auto& b = node.builder();
  node.setOutput(0, b.create<TriluOp>(node.loc(), x.getType(), x,
                                      b.getBoolAttr(node.intAttr("upper").value_or(1) != 0),
                                      b.getI64IntegerAttr(k)));
  return mlir::success();
}

}  // namespace

void registerIndexImporters(OpRegistry& registry) {
  registry.add("Gather", {1, 11, 13}, importGather);
  registry.add("Concat", {4, 11, 13}, importConcat);
  registry.add("Slice", {1, 10, 11, 13}, importSlice);
  registry.add("Split", {2, 11, 13}, importSplit);
  registry.add("Expand", {8, 13}, importExpand);
  registry.add("Tile", {6, 13}, importTile);
  registry.add("ConstantOfShape", {9}, importConstantOfShape);
  registry.add("Range", {11}, importRange);
  registry.add("Trilu", {14}, importTrilu);
}

}  // namespace llmopt::onnx_import
