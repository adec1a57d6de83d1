//===- LayerRules.cpp - which precision each layer gets -------------------===//
#include "passes/compression/LayerRules.h"

#include "llvm/Support/Error.h"

namespace llmopt {
namespace {

/// A mode name or "fp32" (nothing); false if neither.
bool parseModeOrFp32(llvm::StringRef text, std::optional<QuantMode>& mode) {
  if (text == "fp32") {
    mode = std::nullopt;
    return true;
  }
  mode = parseQuantMode(text);
  return mode.has_value();
}

}  // namespace

std::optional<LayerRules> LayerRules::parse(llvm::StringRef mode,
                                            llvm::ArrayRef<std::string> rules,
                                            llvm::ArrayRef<std::string> keepFp32,
                                            llvm::StringRef lmHead, std::string& error) {
  LayerRules result;
  result.defaultMode = parseQuantMode(mode);
  if (!result.defaultMode) {
    error = "unknown mode '" + mode.str() + "' (expected one of " + quantModeList().str() + ")";
    return std::nullopt;
  }
  if (lmHead == "auto") {
    // int4 models keep their head in 8 bits, and in W8A8 rather than int8-weight: the same
    // bytes, but int8 dot products (VNNI) instead of decoding every weight to fp32, which for
    // GPT-2's 50257-row head at one token cost more time than all the int4 layers together.
    result.lmHeadMode =
        *result.defaultMode == QuantMode::Int4 ? QuantMode::Int8 : *result.defaultMode;
  } else if (!parseModeOrFp32(lmHead, result.lmHeadMode)) {
    error = "lm-head: unknown precision '" + lmHead.str() + "' (expected auto, fp32 or one of " +
            quantModeList().str() + ")";
    return std::nullopt;
  }

  auto addGlob = [&](llvm::StringRef pattern, std::optional<QuantMode> ruleMode,
                     llvm::StringRef what) {
    llvm::Expected<llvm::GlobPattern> glob = llvm::GlobPattern::create(pattern);
    if (!glob) {
      error = what.str() + ": bad pattern '" + pattern.str() + "': " +
              llvm::toString(glob.takeError());
      return false;
    }
    result.rules.push_back({Rule::Kind::Glob, std::move(*glob), "", ruleMode});
    return true;
  };

  for (const std::string& text : rules) {
    size_t eq = text.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      error = "rule '" + text + "' is not SELECTOR=MODE";
      return std::nullopt;
    }
    llvm::StringRef selector = llvm::StringRef(text).take_front(eq);
    llvm::StringRef modeText = llvm::StringRef(text).drop_front(eq + 1);
    std::optional<QuantMode> ruleMode;
    if (!parseModeOrFp32(modeText, ruleMode)) {
      error = "rule '" + text + "': unknown precision '" + modeText.str() +
              "' (expected fp32 or one of " + quantModeList().str() + ")";
      return std::nullopt;
    }
    if (selector.consume_front("op:")) {
      if (selector != "linear" && selector != "gather") {
        error = "rule '" + text + "': unknown op kind '" + selector.str() +
                "' (expected linear or gather)";
        return std::nullopt;
      }
      result.rules.push_back({Rule::Kind::OpKind, std::nullopt, selector.str(), ruleMode});
    } else if (selector == "lm-head") {
      result.rules.push_back({Rule::Kind::LmHead, std::nullopt, "", ruleMode});
    } else if (!addGlob(selector, ruleMode, "rule '" + text + "'")) {
      return std::nullopt;
    }
  }
  for (const std::string& pattern : keepFp32)
    if (!addGlob(pattern, std::nullopt, "keep-fp32")) return std::nullopt;
  return result;
}

bool LayerRules::matches(const Rule& rule, const LayerInfo& layer) const {
  switch (rule.kind) {
    case Rule::Kind::Glob: return rule.glob->match(layer.name);
    case Rule::Kind::OpKind: return rule.opKind == layer.opKind;
    case Rule::Kind::LmHead: return layer.isLmHead;
  }
  return false;
}

std::optional<QuantMode> LayerRules::modeFor(const LayerInfo& layer) const {
  std::optional<QuantMode> mode = layer.isLmHead ? lmHeadMode : defaultMode;
  // A 4-bit embedding table costs far more accuracy than a 4-bit linear (on charlm-gpt: +5.6%
  // bits per byte against +0.6% with int8 tables) for a few KiB: int4 models keep int8 tables.
  if (layer.opKind == "gather" && mode == QuantMode::Int4) mode = QuantMode::Int8;
  for (const Rule& rule : rules)
    if (matches(rule, layer)) mode = rule.mode;
  return mode;
}

std::optional<GlobValueRules> GlobValueRules::parse(llvm::ArrayRef<std::string> rules,
                                                     llvm::function_ref<bool(double)> inRange,
                                                     llvm::StringRef valueSyntax,
                                                     std::string& error) {
  GlobValueRules result;
  for (const std::string& rule : rules) {
    auto [pattern, valueText] = llvm::StringRef(rule).rsplit('=');
    double value = 0.0;
    if (pattern.empty() || valueText.empty() || valueText.getAsDouble(value) || !inRange(value)) {
      error = "rule '" + rule + "' must be GLOB=" + valueSyntax.str();
      return std::nullopt;
    }
    llvm::Expected<llvm::GlobPattern> glob = llvm::GlobPattern::create(pattern);
    if (!glob) {
      error = "rule '" + rule + "': " + llvm::toString(glob.takeError());
      return std::nullopt;
    }
    result.rules.emplace_back(std::move(*glob), value);
  }
  return result;
}

double GlobValueRules::valueFor(llvm::StringRef name, double fallback) const {
  double value = fallback;
  for (const auto& [glob, ruleValue] : rules)
    if (glob.match(name)) value = ruleValue;
  return value;
}

}  // namespace llmopt
