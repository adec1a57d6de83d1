//===- KvCache.cpp - a decoder's incremental form, derived from its graph -===//
//
// A model exported as `input_ids → logits` attends, at every position, to the keys and values
// of the positions before it; those do not change when a token is appended. So the cached form
// needs only two facts the fused graph states: which attentions are causal self-attention (they
// become the cache's layers) and which values are the sequence's positions (ranges from 0 over
// a sequence dim: they must continue after the cached tokens). Everything else in a decoder is
// per token. The runtime does the rest (session.h: prefill and step).
#include "ir/LLMOptOps.h"
#include "llvm/ADT/SetVector.h"
#include "passes/Passes.h"

namespace llmopt {
#define GEN_PASS_DEF_KVCACHE
#include "passes/Passes.h.inc"
}  // namespace llmopt

using namespace mlir;
using namespace llmopt;

namespace {

/// The cache length when the positions are computed (rotary embeddings) rather than looked up
/// in a table whose rows bound them.
constexpr int64_t kDefaultMaxSeq = 2048;

/// The symbols of the sequence dims: dim 1 and later of every function input (dim 0 is the
/// batch), by the names the importer gave them.
llvm::SetVector<StringRef> sequenceSymbols(func::FuncOp func) {
  llvm::SetVector<StringRef> symbols;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto names = func.getArgAttrOfType<ArrayAttr>(i, "llmopt.dim_names");
    if (!names) continue;
    for (Attribute name : names.getValue().drop_front())
      if (auto text = name.dyn_cast<StringAttr>(); text && !text.getValue().empty())
        symbols.insert(text.getValue());
  }
  return symbols;
}

/// The symbol a 1-D range spans, or "" when its length is static.
StringRef rangeSymbol(RangeOp range) {
  ArrayRef<Attribute> shape = range.getShape().getValue();
  if (shape.size() != 1) return "";
  auto symbol = shape[0].dyn_cast<StringAttr>();
  return symbol ? symbol.getValue() : "";
}

/// The rows of the embedding tables `positions` indexes (through reshapes and casts), the
/// smallest if several; 0 when none does.
int64_t positionTableRows(Value positions) {
  int64_t rows = 0;
  SmallVector<Value> work{positions};
  while (!work.empty()) {
    Value value = work.pop_back_val();
    for (Operation* user : value.getUsers()) {
      Value table;
      if (auto gather = dyn_cast<GatherOp>(user); gather && gather.getIndices() == value)
        table = gather.getData();
      else if (auto gather = dyn_cast<QuantizedGatherOp>(user);
               gather && gather.getIndices() == value)
        table = gather.getTable();
      else if (isa<ReshapeOp, CastOp>(user))
        work.push_back(user->getResult(0));
      if (!table) continue;
      auto type = table.getType().cast<RankedTensorType>();
      if (type.getRank() >= 1 && !type.isDynamicDim(0))
        rows = rows ? std::min(rows, type.getDimSize(0)) : type.getDimSize(0);
    }
  }
  return rows;
}

struct KvCachePass : public llmopt::impl::KvCacheBase<KvCachePass> {
  using KvCacheBase::KvCacheBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // An export with past keys and values has no other place for them.
    const bool mustCache = required || func->hasAttr(kDecoderWithPastAttr);
    if (cacheType != "f32" && cacheType != "f16" && cacheType != "i8")
      return fail(func.getLoc(), "cache-type '" + cacheType + "' is not f32, f16 or i8");
    SmallVector<Operation*> attentions;
    bool anyCausal = false;
    std::string reason;
    func.walk([&](Operation* op) {
      bool causal, keyBias;
      if (auto a = dyn_cast<AttentionOp>(op)) {
        causal = a.getCausal();
        keyBias = a.getKeyBias() != nullptr;
      } else if (auto a = dyn_cast<PackedAttentionOp>(op)) {
        causal = a.getCausal();
        keyBias = a.getKeyBias() != nullptr;
      } else {
        return;
      }
      attentions.push_back(op);
      anyCausal |= causal;
      if (reason.empty() && !causal) reason = "an attention is not causal";
      if (reason.empty() && keyBias) reason = "an attention has a padding mask (key bias)";
    });
    if (!anyCausal) {
      if (mustCache) fail(func.getLoc(), "the model has no causal attention");
      return;  // not a decoder: nothing to cache
    }

    llvm::SetVector<StringRef> sequence = sequenceSymbols(func);
    SmallVector<RangeOp> positions;
    func.walk([&](RangeOp range) {
      StringRef symbol = rangeSymbol(range);
      if (symbol.empty() || !sequence.contains(symbol)) return;
      if (range.getStart().convertToDouble() != 0.0 || range.getDelta().convertToDouble() != 1.0) {
        if (reason.empty()) reason = "a range over the sequence does not count positions from 0";
        return;
      }
      positions.push_back(range);
    });

    int64_t tableRows = 0;
    for (RangeOp range : positions)
      if (int64_t rows = positionTableRows(range.getResult()))
        tableRows = tableRows ? std::min(tableRows, rows) : rows;
    int64_t length = maxSeq > 0 ? maxSeq : (tableRows ? tableRows : kDefaultMaxSeq);
    if (reason.empty() && maxSeq < 0) reason = "max-seq must be positive";
    if (reason.empty() && tableRows && length > tableRows)
      reason = "max-seq " + std::to_string(length) + " exceeds the " + std::to_string(tableRows) +
               " positions of the model's position table";
    if (!reason.empty()) {
      if (mustCache) return fail(func.getLoc(), "no KV cache: " + reason);
      emitWarning(func.getLoc()) << "no KV cache (generation recomputes the prefix): " << reason;
      return;
    }

    Builder builder(&getContext());
    for (auto [slot, op] : llvm::enumerate(attentions))
      op->setAttr("kv_cache", builder.getI64IntegerAttr(static_cast<int64_t>(slot)));
    for (RangeOp range : positions) range.setOffsetByCache(true);
    func->setAttr("llmopt.kv_cache_max_seq", builder.getI64IntegerAttr(length));
    func->setAttr("llmopt.kv_cache_type", builder.getStringAttr(cacheType));
  }

  void fail(Location loc, const std::string& message) {
    emitError(loc) << message;
    signalPassFailure();
  }
};

}  // namespace
