//===- PipelineConfig.cpp - YAML pass pipelines ---------------------------===//
#include "passes/pipeline/PipelineConfig.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace llmopt {
namespace {

/// Runs `fn` with file descriptor 2 sent to a temporary file and returns what was written.
/// MLIR 16 pass options report parse errors only on llvm::errs(), and we want that text in our
/// own diagnostic, at the YAML line that caused it.
template <typename Fn>
std::string captureStderr(Fn&& fn) {
  llvm::errs().flush();
  std::fflush(stderr);
  std::FILE* capture = std::tmpfile();
  int saved = dup(2);
  if (!capture || saved < 0) {
    fn();
    return "";
  }
  dup2(fileno(capture), 2);
  fn();
  llvm::errs().flush();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::string text;
  std::rewind(capture);
  char buffer[512];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, capture)) > 0) text.append(buffer, n);
  std::fclose(capture);
  // One line: the option parser's first complaint, without its "<pass>: " prefix noise.
  std::string line = text.substr(0, text.find('\n'));
  return line;
}

class Loader {
 public:
  Loader(std::string file, mlir::OpPassManager& pm, PipelineError& error)
      : file(std::move(file)), pm(pm), error(error) {}

  bool load(const YAML::Node& root) {
    if (!root.IsMap()) return fail(root, "a pipeline file is a mapping with a `passes` list");
    for (const auto& entry : root) {
      std::string key = entry.first.as<std::string>();
      if (key != "passes")
        return fail(entry.first, "unknown key '" + key + "' (expected: passes)");
    }
    YAML::Node passes = root["passes"];
    if (!passes) return fail(root, "missing `passes` list");
    if (!passes.IsSequence()) return fail(passes, "`passes` must be a list");
    for (const YAML::Node& pass : passes)
      if (!addPass(pass)) return false;
    return true;
  }

  bool fail(const YAML::Node& node, const std::string& message) {
    error.file = file;
    error.line = node.Mark().line + 1;
    error.column = node.Mark().column + 1;
    error.message = message;
    return false;
  }

 private:
  bool addPass(const YAML::Node& entry) {
    // Nodes are bound once and never reassigned: yaml-cpp's Node::operator= writes through to
    // the node already referred to (`nameNode = entry["name"]` would overwrite `entry`), and a
    // default-constructed Node counts as defined.
    const bool isMap = entry.IsMap();
    if (isMap) {
      for (const auto& field : entry) {
        std::string key = field.first.as<std::string>();
        if (key != "name" && key != "options")
          return fail(field.first, "unknown key '" + key + "' in a pass (expected: name, options)");
      }
      if (!entry["name"]) return fail(entry, "a pass needs a `name`");
    }
    const YAML::Node nameNode = isMap ? entry["name"] : entry;
    const bool hasOptions = isMap && entry["options"];
    const YAML::Node options = hasOptions ? entry["options"] : YAML::Node();
    if (!nameNode.IsScalar()) return fail(nameNode, "a pass is a name or a {name, options} map");
    std::string name = nameNode.as<std::string>();
    const mlir::PassInfo* info = mlir::Pass::lookupPassInfo(name);
    if (!info) return fail(nameNode, "unknown pass '" + name + "'" + knownPassesHint());

    std::string optionText;
    if (hasOptions) {
      if (!options.IsMap()) return fail(options, "`options` must be a mapping of name: value");
      for (const auto& option : options) {
        std::string key = option.first.as<std::string>(), value;
        if (!scalarOrList(option.second, value))
          return fail(option.second, "option '" + key + "' must be a scalar or a list of scalars");
        YAML::Node culprit;
        std::string why;
        if (unsafeScalar(option.second, culprit, why))
          return fail(culprit, "option '" + key + "': '" + culprit.as<std::string>() + "' " + why);
        std::string one = key + "=" + value;
        if (!validateOption(*info, one))
          return fail(option.first, "pass '" + name + "': bad option '" + one + "': " + lastParseError);
        optionText += (optionText.empty() ? "" : " ") + one;
      }
    }
    auto handler = [&](const llvm::Twine& message) {
      lastParseError = message.str();
      return mlir::failure();
    };
    if (mlir::failed(info->addToPipeline(pm, optionText, handler)))
      return fail(nameNode, "pass '" + name + "': " + lastParseError);
    return true;
  }

  /// Tries one "key=value" on a scratch pipeline; on failure keeps the option parser's message.
  bool validateOption(const mlir::PassInfo& info, const std::string& option) {
    mlir::OpPassManager scratch("builtin.module", mlir::OpPassManager::Nesting::Implicit);
    bool ok = true;
    std::string text = captureStderr([&] {
      ok = mlir::succeeded(info.addToPipeline(
          scratch, option, [](const llvm::Twine&) { return mlir::failure(); }));
    });
    // llvm::cl prefixes its message with the program name; keep what follows the first ": ".
    size_t colon = text.find(": ");
    lastParseError = colon == std::string::npos ? text : text.substr(colon + 2);
    if (lastParseError.empty()) lastParseError = "unknown option or invalid value";
    return ok;
  }

  static bool scalarOrList(const YAML::Node& node, std::string& out) {
    if (node.IsScalar()) {
      out = node.as<std::string>();
      return true;
    }
    if (!node.IsSequence()) return false;
    out.clear();
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return false;
      out += (out.empty() ? "" : ",") + item.as<std::string>();
    }
    return true;
  }

  /// The first scalar of `node` (a scalar or a list of them) that cannot go into a pass
  /// option's text, with why; false when all can.
  static bool unsafeScalar(const YAML::Node& node, YAML::Node& culprit, std::string& why) {
    auto check = [&](const YAML::Node& scalar) {
      why = unsafeOptionValue(scalar.as<std::string>());
      culprit = scalar;
      return !why.empty();
    };
    if (node.IsScalar()) return check(node);
    for (const YAML::Node& item : node)
      if (check(item)) return true;
    return false;
  }

  static std::string knownPassesHint() {
    std::string names;
    for (const char* known : {"canonicalize", "cse", "llmopt-recognize-linear"})
      names += (names.empty() ? "" : ", ") + std::string(known);
    return " (known passes include: " + names + ")";
  }

  std::string file;
  mlir::OpPassManager& pm;
  PipelineError& error;
  std::string lastParseError;
};

}  // namespace

std::string unsafeOptionValue(const std::string& value) {
  for (char c : value) {
    if (c == '{' || c == '}' || c == '[' || c == ']' || c == '"' || c == '\'')
      return std::string("holds '") + c + "': braces, brackets and quotes cannot be passed to a pass option";
    if (c == ',') return "holds ',': list items are separated by commas, so none can hold one";
    if (std::isspace(static_cast<unsigned char>(c)))
      return "holds a space: a pass option's value cannot";
  }
  return "";
}

std::string PipelineError::format() const {
  std::ostringstream os;
  os << file;
  if (line > 0) os << ":" << line << ":" << column;
  os << ": error: " << message;
  return os.str();
}

bool loadPipelineText(const std::string& text, const std::string& file, mlir::OpPassManager& pm,
                      PipelineError& error) {
  registerAllPipelinePasses();
  Loader loader(file, pm, error);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    error.file = file;
    error.line = e.mark.line + 1;
    error.column = e.mark.column + 1;
    error.message = "invalid YAML: " + e.msg;
    return false;
  }
  try {
    return loader.load(root);
  } catch (const YAML::Exception& e) {
    error.file = file;
    error.line = e.mark.line + 1;
    error.column = e.mark.column + 1;
    error.message = e.msg;
    return false;
  }
}

bool loadPipelineFile(const std::string& path, mlir::OpPassManager& pm, PipelineError& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = {path, 0, 0, "cannot read pipeline file"};
    return false;
  }
  std::stringstream contents;
  contents << in.rdbuf();
  return loadPipelineText(contents.str(), path, pm, error);
}

}  // namespace llmopt
