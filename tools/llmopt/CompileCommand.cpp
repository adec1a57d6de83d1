//===- CompileCommand.cpp - llmopt compile --------------------------------===//
#include "backends/artifact/ArtifactWriter.h"
#include "frontends/onnx/OnnxImporter.h"
#include "passes/Passes.h"
#include "passes/pipeline/PipelineConfig.h"
#include "tools/llmopt/Commands.h"
#include "tools/llmopt/Diagnostics.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"

namespace llmopt {
namespace {

struct CompileOptions {
  std::string input;
  std::string output;
  std::string config;
  std::string emit;
  unsigned threads = 0;  // 0: one per core
};

std::string defaultOutputPath(const std::string& input) {
  size_t slash = input.find_last_of('/');
  size_t dot = input.find_last_of('.');
  std::string stem = dot != std::string::npos && (slash == std::string::npos || dot > slash)
                         ? input.substr(0, dot)
                         : input;
  return stem + ".llmo";
}

std::string humanBytes(uint64_t bytes) {
  char text[32];
  if (bytes >= (1u << 20))
    snprintf(text, sizeof text, "%.1f MiB", bytes / 1048576.0);
  else if (bytes >= 1024)
    snprintf(text, sizeof text, "%.1f KiB", bytes / 1024.0);
  else
    snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
  return text;
}

/// Prints the module to `path` ("-" or "" = stdout), atomically for files.
int printModule(mlir::ModuleOp module, const std::string& path) {
  if (path.empty() || path == "-") {
    module.print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }
  std::string temp = path + ".tmp";
  std::error_code ec;
  {
    llvm::raw_fd_ostream out(temp, ec);
    if (ec) return fail("cannot write '" + path + "': " + ec.message());
    module.print(out);
    out << "\n";
  }
  if (llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return fail("cannot write '" + path + "'");
  }
  return 0;
}

int runCompile(const CompileOptions& options) {
  // The pass manager's threads (declared first: the pool must outlive the context). The
  // artifact is the same for any count; a test checks it.
  std::unique_ptr<llvm::ThreadPool> threads;
  if (options.threads != 1)
    threads = std::make_unique<llvm::ThreadPool>(llvm::hardware_concurrency(options.threads));
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  if (threads) context.setThreadPool(*threads);
  context.printOpOnDiagnostic(false);
  CliDiagnostics diagnostics(context);
  registerAllPipelinePasses();

  // Validate the pipeline before the (possibly long) import.
  mlir::PassManager pm(&context, mlir::OpPassManager::Nesting::Implicit);
  if (!options.config.empty()) {
    PipelineError error;
    if (!loadPipelineFile(options.config, pm, error)) {
      // Already "file:line:col: error: message", like a compiler's; no second "error: ".
      llvm::errs() << error.format() << "\n";
      return 1;
    }
  } else if (mlir::failed(mlir::parsePassPipeline(defaultPipeline(), pm))) {
    return fail("internal: the default pipeline does not parse");
  }

  mlir::FailureOr<ImportedModel> imported = importOnnxFile(context, options.input);
  if (mlir::failed(imported)) return 1;
  mlir::ModuleOp module = *imported->module;
  if (options.emit == "mlir-imported") return printModule(module, options.output);

  if (mlir::failed(pm.run(module))) return diagnostics.errorCount() ? 1 : fail("pass pipeline failed");
  if (options.emit == "mlir") return printModule(module, options.output);

  std::string output = options.output.empty() ? defaultOutputPath(options.input) : options.output;
  ArtifactStats stats;
  if (mlir::failed(writeArtifact(module, output, &stats))) return 1;
  llvm::errs() << "llmopt: " << options.input << " -> " << output << ": " << stats.numOps
               << " ops, weights " << humanBytes(stats.weightBytes) << ", file "
               << humanBytes(stats.fileBytes) << "\n";
  return 0;
}

}  // namespace

std::function<int()> addCompileCommand(CLI::App& app) {
  auto options = std::make_shared<CompileOptions>();
  CLI::App* cmd = app.add_subcommand("compile", "Compile an ONNX model into an artifact (.llmo)");
  cmd->add_option("model", options->input, "ONNX model (.onnx, or ONNX text .onnxtxt)")->required();
  cmd->add_option("-o,--output", options->output,
                  "Output path (default: the model's name with .llmo); with --emit, '-' is stdout");
  cmd->add_option("--config", options->config, "YAML pass pipeline (see README: Pipelines)");
  cmd->add_option("--emit", options->emit,
                  "Print IR instead of writing an artifact: 'mlir' (after the pipeline) or "
                  "'mlir-imported' (straight from the importer)")
      ->check(CLI::IsMember({"mlir", "mlir-imported"}));
  cmd->add_option("--threads", options->threads, "Compiler threads (default: one per core)")
      ->check(CLI::Range(0u, 1024u));
  return [options] { return runCompile(*options); };
}

}  // namespace llmopt
