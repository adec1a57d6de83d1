//===- Diagnostics.cpp - MLIR diagnostics as one clear line each ----------===//
#include "tools/llmopt/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/raw_ostream.h"

namespace llmopt {

namespace {
std::string prefixFor(mlir::Location loc, const std::string& message) {
  if (message.rfind("node '", 0) == 0) return "";
  if (auto name = loc.dyn_cast<mlir::NameLoc>()) return "node '" + name.getName().str() + "': ";
  if (auto file = loc.dyn_cast<mlir::FileLineColLoc>()) {
    std::string text = file.getFilename().str();
    if (file.getLine() > 0) text += ":" + std::to_string(file.getLine()) + ":" + std::to_string(file.getColumn());
    return text + ": ";
  }
  return "";
}
}  // namespace

CliDiagnostics::CliDiagnostics(mlir::MLIRContext& context)
    : handler(&context, [this](mlir::Diagnostic& diagnostic) {
        std::string message = diagnostic.str();
        const char* severity = "note";
        switch (diagnostic.getSeverity()) {
          case mlir::DiagnosticSeverity::Error: severity = "error"; ++errors; break;
          case mlir::DiagnosticSeverity::Warning: severity = "warning"; break;
          case mlir::DiagnosticSeverity::Remark: severity = "remark"; break;
          case mlir::DiagnosticSeverity::Note: break;
        }
        llvm::errs() << severity << ": " << prefixFor(diagnostic.getLocation(), message) << message
                     << "\n";
        return mlir::success();
      }) {}

}  // namespace llmopt
