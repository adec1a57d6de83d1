//===- ShapeOps.cpp - Reshape, Transpose, Flatten, Identity, Unsqueeze, Squeeze -===//
//
// Shapes computed in the graph (Shape → Gather → Unsqueeze → Concat) arrive here as known
// values whose elements may be symbolic (see KnownValues.h); they become static or symbolic
// target shapes, so the plan holds no shape arithmetic.
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/ops/ShapeHelpers.h"

#include "frontends/onnx/NodeContext.h"
#include "frontends/onnx/OpRegistry.h"
#include "ir/LLMOptOps.h"

namespace llmopt::onnx_import {

using mlir::LogicalResult;
using mlir::RankedTensorType;
using mlir::Value;

std::optional<std::vector<SymDim>> knownInts(NodeContext& node, size_t i, const char* what) {
  const KnownValue* value = node.known(i);
  if (!value || value->isFloat() || value->shape.size() > 1) {
    (void)node.error(std::string(what) +
                     " must be computable at compile time (a constant, or shape arithmetic on "
                     "the inputs' dims)");
    return std::nullopt;
  }
  return value->ints;
}

std::optional<std::vector<int64_t>> staticInts(NodeContext& node, size_t i, const char* what) {
  std::optional<std::vector<SymDim>> values = knownInts(node, i, what);
  if (!values) return std::nullopt;
  std::vector<int64_t> out;
  for (const SymDim& v : *values) {
    if (!v.isStatic()) {
      (void)node.error(std::string(what) + " must not depend on the inputs' dynamic dims");
      return std::nullopt;
    }
    out.push_back(v.num);
  }
  return out;
}

mlir::ArrayAttr shapeAttr(NodeContext& node, const SymShape& shape) {
  llvm::SmallVector<mlir::Attribute> dims;
  for (const SymDim& d : shape)
    dims.push_back(symDimAttr(node.builder().getContext(), d, node.symbolNames()));
  return node.builder().getArrayAttr(dims);
}

Value reshapeTo(NodeContext& node, Value x, const SymShape& target) {
  const SymShape* in = node.symbolicShape(x);
  if (!in) return nullptr;
  if (*in == target) return x;
  // The ONNX spec form (0 = the input's dim at this index, -1 = inferred) where it is exact.
  llvm::SmallVector<int64_t> spec;
  int unresolved = 0;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i].isStatic() && target[i].num > 0) {
      spec.push_back(target[i].num);
    } else if (i < in->size() && (*in)[i] == target[i]) {
      spec.push_back(0);
    } else {
      spec.push_back(-1);
      ++unresolved;
    }
  }
  if (unresolved == 1) {
    // The -1 is exact only if it infers the target's dim: total / (product of the others).
    std::optional<SymDim> total = SymDim::constant(1), others = SymDim::constant(1);
    for (const SymDim& d : *in) total = total ? total->times(d) : std::nullopt;
    for (size_t i = 0; i < target.size(); ++i)
      if (spec[i] != -1) others = others ? others->times(target[i]) : std::nullopt;
    size_t inferred = llvm::find(spec, -1) - spec.begin();
    std::optional<SymDim> dim = total && others ? total->divide(*others) : std::nullopt;
    if (!dim || *dim != target[inferred]) unresolved = 2;
  }
  if (unresolved <= 1) return node.reshape(x, spec);
  auto& b = node.builder();
  return node.create<ReshapeToOp>(x, b.getNamedAttr("shape", shapeAttr(node, target)));
}

namespace {

/// ONNX Reshape's target (0 copies, -1 infers) resolved against the input's symbolic shape.
std::optional<SymShape> resolveReshapeTarget(NodeContext& node, const SymShape& in,
                                             const std::vector<SymDim>& spec) {
  SymShape target(spec.size());
  std::optional<SymDim> total = SymDim::constant(1), known = SymDim::constant(1);
  for (const SymDim& d : in) total = total ? total->times(d) : std::nullopt;
  if (!total) {
    (void)node.error("the input shape has too many elements (over 64 bits)");
    return std::nullopt;
  }
  int inferred = -1;
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == SymDim::constant(-1)) {
      if (inferred >= 0) {
        (void)node.error("the target shape has more than one -1");
        return std::nullopt;
      }
      inferred = static_cast<int>(i);
      continue;
    }
    if (spec[i] == SymDim::constant(0)) {
      if (i >= in.size()) {
        (void)node.error("a 0 in the target shape refers past the input's rank");
        return std::nullopt;
      }
      target[i] = in[i];
    } else if (spec[i].num < 0) {
      (void)node.error("the target shape has a negative entry other than -1");
      return std::nullopt;
    } else {
      target[i] = spec[i];
    }
    known = known ? known->times(target[i]) : std::nullopt;
  }
  if (inferred >= 0) {
    std::optional<SymDim> dim = total && known ? total->divide(*known) : std::nullopt;
    if (!dim || (dim->isStatic() && dim->num < 0)) {
      (void)node.error("cannot infer the -1 of the target shape as a product of the model's "
                       "symbols");
      return std::nullopt;
    }
    target[inferred] = *dim;
  }
  return target;
}

SymShape staticSymShape(const std::vector<int64_t>& dims) {
  SymShape shape;
  for (int64_t d : dims) shape.push_back(SymDim::constant(d));
  return shape;
}

/// Reshape of a known value to a static target.
LogicalResult reshapeKnown(NodeContext& node, const KnownValue& x, const SymShape& target) {
  KnownValue y = x;
  y.shape.clear();
  for (const SymDim& d : target) {
    if (!d.isStatic()) return node.error("cannot reshape a known value to a symbolic shape");
    y.shape.push_back(d.num);
  }
  if (y.numElements() != x.numElements()) return node.error("the reshape changes the element count");
  node.setKnownOutput(0, std::move(y));
  return mlir::success();
}

/// Sets output 0 to x reshaped to target: as a known value when x is one, else as IR.
LogicalResult setReshaped(NodeContext& node, const SymShape& target) {
  if (const KnownValue* x = node.known(0)) return reshapeKnown(node, *x, target);
  Value x = node.input(0);
  if (!x) return mlir::failure();
  Value y = reshapeTo(node, x, target);
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

/// The symbolic shape of input 0, whether it is a run-time tensor or a known value.
std::optional<SymShape> inputShape(NodeContext& node) {
  if (const KnownValue* x = node.known(0)) return staticSymShape(x->shape);
  Value x = node.input(0);
  if (!x) return std::nullopt;
  const SymShape* shape = node.symbolicShape(x);
  if (!shape) return std::nullopt;
  return *shape;
}

LogicalResult importReshape(NodeContext& node) {
  std::optional<std::vector<SymDim>> spec = knownInts(node, 1, "the target shape (input 1)");
  if (!spec) return mlir::failure();
  if (node.intAttr("allowzero").value_or(0) && llvm::is_contained(*spec, SymDim::constant(0)))
    return node.error("allowzero=1 with a 0 in the target shape (empty tensors) is not supported");
  std::optional<SymShape> in = inputShape(node);
  if (!in) return mlir::failure();
  std::optional<SymShape> target = resolveReshapeTarget(node, *in, *spec);
  if (!target) return mlir::failure();
  return setReshaped(node, *target);
}

/// Axes from the attribute (before `inputSince`) or from input 1, normalised against `rank`.
std::optional<std::vector<int64_t>> axesOf(NodeContext& node, int inputSince, int64_t rank,
                                           bool required) {
  std::optional<std::vector<int64_t>> axes;
  if (node.opset() < inputSince) {
    axes = node.intsAttr("axes");
  } else if (node.numInputs() > 1 && !node.inputName(1).empty()) {
    axes = staticInts(node, 1, "axes (input 1)");
    if (!axes) return std::nullopt;
  }
  if (!axes) {
    if (required) (void)node.error("needs axes");
    return required ? std::nullopt : std::optional<std::vector<int64_t>>(std::vector<int64_t>{});
  }
  for (int64_t& axis : *axes) {
    if (axis < -rank || axis >= rank) {
      (void)node.error("axis " + std::to_string(axis) + " is out of range for rank " +
                       std::to_string(rank));
      return std::nullopt;
    }
    if (axis < 0) axis += rank;
  }
  std::sort(axes->begin(), axes->end());
  if (std::adjacent_find(axes->begin(), axes->end()) != axes->end()) {
    (void)node.error("axes repeat");
    return std::nullopt;
  }
  return axes;
}

LogicalResult importUnsqueeze(NodeContext& node) {
  std::optional<SymShape> in = inputShape(node);
  if (!in) return mlir::failure();
  int64_t outRank = 0;
  std::optional<std::vector<int64_t>> rawAxes =
      node.opset() < 13 ? node.intsAttr("axes") : staticInts(node, 1, "axes (input 1)");
  if (!rawAxes) return node.opset() < 13 ? node.error("needs axes") : mlir::failure();
  outRank = static_cast<int64_t>(in->size() + rawAxes->size());
  std::optional<std::vector<int64_t>> axes = axesOf(node, 13, outRank, true);
  if (!axes) return mlir::failure();
  SymShape target;
  size_t next = 0;
  for (int64_t d = 0; d < outRank; ++d)
    target.push_back(llvm::is_contained(*axes, d) ? SymDim::constant(1) : (*in)[next++]);
  return setReshaped(node, target);
}

LogicalResult importSqueeze(NodeContext& node) {
  std::optional<SymShape> in = inputShape(node);
  if (!in) return mlir::failure();
  int64_t rank = static_cast<int64_t>(in->size());
  std::optional<std::vector<int64_t>> axes = axesOf(node, 13, rank, false);
  if (!axes) return mlir::failure();
  SymShape target;
  for (int64_t d = 0; d < rank; ++d) {
    bool squeeze = axes->empty() ? (*in)[d] == SymDim::constant(1) : llvm::is_contained(*axes, d);
    if (squeeze && (*in)[d] != SymDim::constant(1))
      return node.error("axis " + std::to_string(d) + " has size " +
                        formatSymDim((*in)[d], node.symbolNames()) + ", not 1");
    if (!squeeze) target.push_back((*in)[d]);
  }
  return setReshaped(node, target);
}

/// Flatten(axis): [d0, ..., dn-1] → [d0·…·d(axis-1), d(axis)·…·d(n-1)].
LogicalResult importFlatten(NodeContext& node) {
  std::optional<SymShape> in = inputShape(node);
  if (!in) return mlir::failure();
  int64_t rank = static_cast<int64_t>(in->size());
  int64_t axis = node.intAttr("axis").value_or(1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) return node.error("axis is out of range");
  std::optional<SymDim> outer = SymDim::constant(1), inner = SymDim::constant(1);
  for (int64_t d = 0; d < rank; ++d) {
    std::optional<SymDim>& side = d < axis ? outer : inner;
    side = side ? side->times((*in)[d]) : std::nullopt;
  }
  if (!outer || !inner) return node.error("the input shape has too many elements");
  return setReshaped(node, {*outer, *inner});
}

LogicalResult importIdentity(NodeContext& node) {
  if (const KnownValue* x = node.known(0)) {
    node.setKnownOutput(0, *x);
    return mlir::success();
  }
  Value x = node.input(0);
  if (!x) return mlir::failure();
  node.setOutput(0, x);
  return mlir::success();
}

LogicalResult importTranspose(NodeContext& node) {
  std::optional<SymShape> in = inputShape(node);
  if (!in) return mlir::failure();
  int64_t rank = static_cast<int64_t>(in->size());
  std::vector<int64_t> perm;
  if (auto given = node.intsAttr("perm"))
    perm = *given;
  else
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);  // default: reverse the dims
  if (static_cast<int64_t>(perm.size()) != rank)
    return node.error("perm has " + std::to_string(perm.size()) + " entries for rank " +
                      std::to_string(rank));
  if (const KnownValue* x = node.known(0)) {
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < rank; ++i)
      if (sorted[i] != i) return node.error("perm is not a permutation");
    KnownOrError y = evaluateTranspose(*x, perm);
    node.setKnownOutput(0, std::get<KnownValue>(y));
    return mlir::success();
  }
  Value y = node.transpose(node.input(0), perm);
  if (!y) return mlir::failure();
  node.setOutput(0, y);
  return mlir::success();
}

LogicalResult importShape(NodeContext& node) {
  std::optional<SymShape> in = inputShape(node);
  if (!in) return mlir::failure();
  int64_t rank = static_cast<int64_t>(in->size());
  int64_t start = node.intAttr("start").value_or(0), end = node.intAttr("end").value_or(rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  node.setKnownOutput(0, KnownValue::ints1D(node.builder().getI64Type(),
                                            SymShape(in->begin() + start, in->begin() + end)));
  return mlir::success();
}

}  // namespace

void registerShapeImporters(OpRegistry& registry) {
  registry.add("Reshape", {5, 13, 14}, importReshape);
  registry.add("Transpose", {1, 13}, importTranspose);
  registry.add("Flatten", {1, 9, 11, 13}, importFlatten);
  registry.add("Identity", {1, 13, 14, 16}, importIdentity);
  registry.add("Unsqueeze", {1, 11, 13}, importUnsqueeze);
  registry.add("Squeeze", {1, 11, 13}, importSqueeze);
  registry.add("Shape", {1, 13, 15}, importShape);
}

}  // namespace llmopt::onnx_import
