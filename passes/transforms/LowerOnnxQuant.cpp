//===- LowerOnnxQuant.cpp - ONNX quantization ops → llmopt quantized ops --===//
//
// Models quantized by ONNX Runtime's tools arrive as the one-to-one images of ONNX's
// quantization ops. This pass rewrites the forms those tools write:
//
//   quantize_dynamic  DynamicQuantizeLinear(x) → MatMulInteger(·, Wq) → Cast(f32) → Mul(sx·sw)
//                     ⇒ quantized_linear "int8" (W8A8)
//                     Gather(Tq, ids) → DequantizeLinear ⇒ Gather(dequantized table)
//   QDQ               QuantizeLinear → DequantizeLinear on an activation ⇒ fake_quantize
//                     MatMul(x, DequantizeLinear(Wq)) ⇒ quantized_linear "int8-weight"
//   both              DequantizeLinear(constant) anywhere else ⇒ an f32 constant
//
// and reports anything else at its ONNX node.
//
//===----------------------------------------------------------------------===//
#include "ir/ConstantFolding.h"
#include "ir/LLMOptOps.h"
#include "ir/QuantModes.h"
#include "passes/Passes.h"
#include "passes/compression/WeightQuantizer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <cmath>
#include <cstring>

namespace llmopt {
#define GEN_PASS_DEF_LOWERONNXQUANT
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

RankedTensorType rankedType(Value value) { return value.getType().cast<RankedTensorType>(); }

/// The integers of a constant i8 / ui8 / i32 tensor (splats expanded), or nothing.
std::optional<std::vector<int64_t>> readInts(Value value) {
  auto constant = value ? value.getDefiningOp<ConstantOp>() : nullptr;
  if (!constant) return std::nullopt;
  Type element = rankedType(value).getElementType();
  std::optional<std::vector<char>> bytes = getExpandedRawBytes(constant.getValue());
  if (!bytes) return std::nullopt;
  std::vector<int64_t> ints;
  if (element.isInteger(8)) {
    bool isUnsigned = element.isUnsignedInteger();
    for (char c : *bytes)
      ints.push_back(isUnsigned ? int64_t(static_cast<uint8_t>(c)) : int64_t(static_cast<int8_t>(c)));
  } else if (element.isInteger(32)) {
    for (size_t i = 0; i + 4 <= bytes->size(); i += 4) {
      int32_t v;
      std::memcpy(&v, bytes->data() + i, 4);
      ints.push_back(v);
    }
  } else {
    return std::nullopt;
  }
  return ints;
}

std::optional<std::vector<float>> readFloats(Value value) {
  auto constant = value ? value.getDefiningOp<ConstantOp>() : nullptr;
  if (!constant) return std::nullopt;
  return getFloatValues(constant.getValue());
}

/// A quantization's constant scale and zero point, one entry per tensor or per axis index.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zeroPoint;  // the scale's length; zeros when the op has none
  bool perTensor() const { return scale.size() == 1; }
};

std::optional<QuantParams> readParams(Value scale, Value zeroPoint) {
  std::optional<std::vector<float>> s = readFloats(scale);
  if (!s || s->empty()) return std::nullopt;
  QuantParams params{*s, std::vector<int64_t>(s->size(), 0)};
  if (zeroPoint) {
    std::optional<std::vector<int64_t>> z = readInts(zeroPoint);
    if (!z || z->size() != s->size()) return std::nullopt;
    params.zeroPoint = *z;
  }
  return params;
}

/// qmin, qmax of 8-bit storage.
std::pair<int64_t, int64_t> storageRange(Type element) {
  if (element.isUnsignedInteger()) return {0, 255};
  return {-128, 127};
}

/// The dequantized values of a constant `dequantize_linear`, or nothing if an operand is not a
/// constant.
std::optional<std::vector<float>> dequantizeConstant(DequantizeLinearOp dq) {
  auto type = rankedType(dq.getInput());
  if (!type.hasStaticShape()) return std::nullopt;
  std::optional<std::vector<int64_t>> q = readInts(dq.getInput());
  std::optional<QuantParams> params = readParams(dq.getScale(), dq.getZeroPoint());
  if (!q || !params) return std::nullopt;
  int64_t axis = static_cast<int64_t>(dq.getAxis());
  int64_t inner = 1, axisLength = 1;
  if (!params->perTensor()) {
    for (int64_t d = axis + 1; d < type.getRank(); ++d) inner *= type.getDimSize(d);
    axisLength = type.getDimSize(axis);
  }
  std::vector<float> values(q->size());
  for (size_t i = 0; i < q->size(); ++i) {
    size_t c = params->perTensor() ? 0 : (i / inner) % axisLength;
    values[i] = static_cast<float>((*q)[i] - params->zeroPoint[c]) * params->scale[c];
  }
  return values;
}

/// A weight as llmopt's int8 layers store it: w[n][k] = q[n][k] · scale[n].
struct Int8Weight {
  int64_t n = 0, k = 0;
  std::vector<char> q;
  std::vector<float> scale;
  bool exact = true;  // false: requantized from the dequantized values
};

/// From ONNX's stored integers `q` (row-major, [K, N] when `kn`, else [N, K]) with per-tensor or
/// per-N scale and zero point. The weight is used as is when every q - zero_point fits in int8
/// (symmetric quantization, the tools' default for weights); otherwise it is requantized.
Int8Weight toInt8Weight(const std::vector<int64_t>& q, bool kn, int64_t n, int64_t k,
                        const QuantParams& params) {
  auto channel = [&](int64_t r) -> size_t { return params.perTensor() ? 0 : r; };
  auto centered = [&](int64_t r, int64_t j) {  // q[r][j] - zero_point, with W seen as [N, K]
    return q[kn ? j * n + r : r * k + j] - params.zeroPoint[channel(r)];
  };
  Int8Weight w{n, k, std::vector<char>(n * k), std::vector<float>(n), true};
  for (int64_t r = 0; r < n && w.exact; ++r)
    for (int64_t j = 0; j < k && w.exact; ++j)
      w.exact = centered(r, j) >= -128 && centered(r, j) <= 127;
  if (w.exact) {
    for (int64_t r = 0; r < n; ++r) {
      w.scale[r] = params.scale[channel(r)];
      for (int64_t j = 0; j < k; ++j)
        w.q[r * k + j] = static_cast<char>(static_cast<int8_t>(centered(r, j)));
    }
    return w;
  }
  std::vector<float> dequantized(n * k);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < k; ++j)
      dequantized[r * k + j] = static_cast<float>(centered(r, j)) * params.scale[channel(r)];
  QuantizedMatrix m = quantizeMatrix(dequantized, n, k, QuantMode::Int8, 0);
  w.q = std::move(m.data);
  w.scale = std::move(m.scale);
  return w;
}

/// The name of the ONNX node an op came from, for messages.
std::string nodeName(Operation* op) {
  if (auto name = op->getLoc().dyn_cast<NameLoc>()) return name.getName().str();
  return op->getName().getStringRef().str();
}

void eraseIfDead(Operation* op) {
  if (op && op->use_empty()) op->erase();
}

struct LowerOnnxQuantPass : public llmopt::impl::LowerOnnxQuantBase<LowerOnnxQuantPass> {
  using LowerOnnxQuantBase::LowerOnnxQuantBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Each step walks a snapshot: rewrites erase ops.
    for (auto dq : collect<DequantizeLinearOp>(func)) lowerQdqPair(dq);
    for (auto mm : collect<MatMulIntegerOp>(func)) lowerDynamicMatMul(mm);
    for (auto dq : collect<DequantizeLinearOp>(func)) hoistThroughGather(dq);
    for (auto mm : collect<MatMulOp>(func)) lowerDequantizedWeight(mm);
    for (auto dq : collect<DequantizeLinearOp>(func)) foldConstant(dq);
    for (auto op : collect<QuantizeLinearOp>(func)) eraseIfDead(op);
    for (auto op : collect<DynamicQuantizeLinearOp>(func)) eraseIfDead(op);
    if (failed(reportLeftovers(func))) signalPassFailure();
  }

  template <typename OpT>
  static SmallVector<OpT> collect(func::FuncOp func) {
    SmallVector<OpT> ops;
    func.walk([&](OpT op) { ops.push_back(op); });
    return ops;
  }

  Value createInt8Linear(OpBuilder& builder, Location loc, Value input, const Int8Weight& w,
                         StringRef mode, Operation* origin) {
    if (!w.exact)
      origin->emitWarning() << "node '" << nodeName(origin)
                            << "': its weight's zero point is not 0, so llmopt re-quantizes it "
                               "symmetrically per output channel (not bit-exact)";
    auto weightType = RankedTensorType::get({w.n, w.k}, builder.getIntegerType(8));
    Value weight = builder.create<ConstantOp>(loc, makeRawConstant(weightType, w.q, "quantized"));
    auto scaleType = RankedTensorType::get({w.n}, builder.getF32Type());
    Value scale = builder.create<ConstantOp>(loc, makeFloatConstant(scaleType, w.scale, "scale"));
    return builder.create<QuantizedLinearOp>(loc, input, weight, scale, Value(), Value(), Value(),
                                             builder.getStringAttr(mode),
                                             builder.getI64IntegerAttr(0), /*activation=*/nullptr);
  }

  /// dequantize_linear(quantize_linear(x, s, z), s, z), per tensor ⇒ fake_quantize(x).
  void lowerQdqPair(DequantizeLinearOp dq) {
    auto q = dq.getInput().getDefiningOp<QuantizeLinearOp>();
    if (!q) return;
    std::optional<QuantParams> qp = readParams(q.getScale(), q.getZeroPoint());
    std::optional<QuantParams> dp = readParams(dq.getScale(), dq.getZeroPoint());
    if (!qp || !dp || !qp->perTensor() || !dp->perTensor() || qp->scale != dp->scale ||
        qp->zeroPoint != dp->zeroPoint || !(qp->scale[0] > 0.0f) || !std::isfinite(qp->scale[0]))
      return;  // left for reportLeftovers
    auto [qmin, qmax] = storageRange(rankedType(q.getResult()).getElementType());
    OpBuilder builder(dq);
    Value fake = builder.create<FakeQuantizeOp>(
        dq.getLoc(), q.getInput().getType(), q.getInput(), builder.getF32FloatAttr(qp->scale[0]),
        builder.getI64IntegerAttr(qp->zeroPoint[0]), builder.getI64IntegerAttr(qmin),
        builder.getI64IntegerAttr(qmax));
    dq.getResult().replaceAllUsesWith(fake);
    dq.erase();
    eraseIfDead(q);
  }

  /// ONNX Runtime's quantize_dynamic form ⇒ quantized_linear "int8". Its activations were
  /// quantized per tensor to uint8; llmopt's W8A8 quantizes them per token to int8, which is
  /// never coarser.
  void lowerDynamicMatMul(MatMulIntegerOp mm) {
    auto dq = mm.getA().getDefiningOp<DynamicQuantizeLinearOp>();
    if (!dq || mm.getA() != dq->getResult(0) || mm.getAZeroPoint() != dq->getResult(2)) return;
    auto bType = rankedType(mm.getB());
    if (bType.getRank() != 2 || !bType.hasStaticShape()) return;
    int64_t k = bType.getDimSize(0), n = bType.getDimSize(1);
    if (rankedType(mm.getA()).getRank() < 2) return;
    std::optional<std::vector<int64_t>> wq = readInts(mm.getB());
    if (!wq) return;
    if (!mm->hasOneUse()) return;
    auto cast = dyn_cast<CastOp>(*mm->getUsers().begin());
    if (!cast || !rankedType(cast.getResult()).getElementType().isF32() || !cast->hasOneUse())
      return;
    auto out = dyn_cast<MulOp>(*cast->getUsers().begin());
    if (!out || out.getType() != cast.getType()) return;
    Value scaleProduct = out.getLhs() == cast.getResult() ? out.getRhs() : out.getLhs();
    auto product = scaleProduct.getDefiningOp<MulOp>();
    if (!product) return;
    Value activationScale = dq->getResult(1);
    Value weightScale;
    if (product.getLhs() == activationScale) weightScale = product.getRhs();
    else if (product.getRhs() == activationScale) weightScale = product.getLhs();
    std::optional<QuantParams> params = readParams(weightScale, mm.getBZeroPoint());
    if (!params || (!params->perTensor() && params->scale.size() != size_t(n))) return;

    Int8Weight w = toInt8Weight(*wq, /*kn=*/true, n, k, *params);
    OpBuilder builder(out);
    Value linear = createInt8Linear(builder, mm.getLoc(), dq.getInput(), w, "int8", mm);
    out.getResult().replaceAllUsesWith(linear);
    out.erase();
    eraseIfDead(product);
    cast.erase();
    mm.erase();
  }

  /// dequantize_linear(gather(T, ids)), per tensor ⇒ gather(dequantize_linear(T), ids), whose
  /// table then folds into an f32 constant (quantize_dynamic's embeddings).
  void hoistThroughGather(DequantizeLinearOp dq) {
    auto gather = dq.getInput().getDefiningOp<GatherOp>();
    if (!gather || !gather.getData().getDefiningOp<ConstantOp>()) return;
    std::optional<QuantParams> params = readParams(dq.getScale(), dq.getZeroPoint());
    if (!params || !params->perTensor()) return;
    OpBuilder builder(dq);
    auto tableType = rankedType(gather.getData());
    Value table = builder.create<DequantizeLinearOp>(
        dq.getLoc(), tableType.clone(builder.getF32Type()), gather.getData(), dq.getScale(),
        dq.getZeroPoint(), builder.getI64IntegerAttr(0));
    Value lookup = builder.create<GatherOp>(gather.getLoc(), dq.getType(), table,
                                            gather.getIndices(), gather.getAxisAttr());
    dq.getResult().replaceAllUsesWith(lookup);
    dq.erase();
    eraseIfDead(gather);
  }

  /// matmul(x, dequantize_linear(Wq [K, N])) or matmul(x, transpose(dequantize_linear(Wq [N, K])))
  /// with the scale per tensor or along N ⇒ quantized_linear "int8-weight".
  void lowerDequantizedWeight(MatMulOp mm) {
    Value rhs = mm.getRhs();
    bool kn = true;
    if (auto t = rhs.getDefiningOp<TransposeOp>(); t && t.getPerm() == ArrayRef<int64_t>{1, 0}) {
      rhs = t.getInput();
      kn = false;
    }
    auto dq = rhs.getDefiningOp<DequantizeLinearOp>();
    if (!dq) return;
    auto wType = rankedType(dq.getInput());
    if (wType.getRank() != 2 || !wType.hasStaticShape() ||
        !wType.getElementType().isInteger(8) || rankedType(mm.getLhs()).getRank() < 2)
      return;
    int64_t n = wType.getDimSize(kn ? 1 : 0), k = wType.getDimSize(kn ? 0 : 1);
    std::optional<std::vector<int64_t>> wq = readInts(dq.getInput());
    std::optional<QuantParams> params = readParams(dq.getScale(), dq.getZeroPoint());
    if (!wq || !params) return;
    int64_t nAxis = kn ? 1 : 0;
    if (!params->perTensor() && static_cast<int64_t>(dq.getAxis()) != nAxis) return;

    Int8Weight w = toInt8Weight(*wq, kn, n, k, *params);
    OpBuilder builder(mm);
    Value linear = createInt8Linear(builder, mm.getLoc(), mm.getLhs(), w, "int8-weight", dq);
    Operation* transpose = mm.getRhs().getDefiningOp<TransposeOp>();
    mm.getResult().replaceAllUsesWith(linear);
    mm.erase();
    eraseIfDead(transpose);
    eraseIfDead(dq);
  }

  /// dequantize_linear(constant) ⇒ its f32 values (biases, norms, tables, unmatched weights).
  void foldConstant(DequantizeLinearOp dq) {
    std::optional<std::vector<float>> values = dequantizeConstant(dq);
    if (!values) return;
    OpBuilder builder(dq);
    Value folded = builder.create<ConstantOp>(
        dq.getLoc(), makeFloatConstant(rankedType(dq.getResult()), *values, "dequantized"));
    dq.getResult().replaceAllUsesWith(folded);
    dq.erase();
  }

  LogicalResult reportLeftovers(func::FuncOp func) {
    bool ok = true;
    func.walk([&](Operation* op) {
      const char* reason = nullptr;
      if (isa<QuantizeLinearOp>(op))
        reason = "QuantizeLinear runs only as half of a QuantizeLinear -> DequantizeLinear pair "
                 "with the same constant per-tensor scale and zero point (QDQ format)";
      else if (isa<DequantizeLinearOp>(op))
        reason = "DequantizeLinear runs only on constants, after a matching QuantizeLinear "
                 "(QDQ format), or after a Gather of a constant table";
      else if (isa<DynamicQuantizeLinearOp, MatMulIntegerOp>(op))
        reason = "DynamicQuantizeLinear and MatMulInteger run only in ONNX Runtime's "
                 "quantize_dynamic form: DynamicQuantizeLinear -> MatMulInteger with a constant "
                 "2-D int8 weight -> Cast to float -> Mul by (activation scale x constant weight "
                 "scale, per tensor or per output channel)";
      if (!reason) return;
      op->emitError() << "node '" << nodeName(op) << "': " << reason;
      ok = false;
    });
    return success(ok);
  }
};

}  // namespace
