//===- main.cpp - the llmopt command line ---------------------------------===//
//
//   llmopt compile model.onnx -o model.llmo [--config pipeline.yaml] [--emit mlir]
//   llmopt run     model.llmo --input x=x.npy [--output-dir out/]
//   llmopt inspect model.llmo
//   llmopt eval    model.llmo --bytes eval.txt [--window 256] [--batch 8] [--json]
//   llmopt bench   model.llmo --shape input_ids=1x128 [--threads N] [--json]
//   llmopt generate model.llmo --prompt TEXT | --tokens ids.npy [--max-new-tokens N]
//
// Exit codes: 0 success, 1 the command failed (bad input, compile or run error), 2 bad usage.
//===----------------------------------------------------------------------===//
#include "tools/llmopt/Commands.h"

#include "llvm/Support/raw_ostream.h"

#include <iostream>

namespace llmopt {
int fail(const std::string& message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}
}  // namespace llmopt

int main(int argc, char** argv) {
  CLI::App app{"llmopt: compile ONNX models into small, fast artifacts, and run them"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "llmopt 0.1.0");
  std::function<int()> compile = llmopt::addCompileCommand(app);
  std::function<int()> run = llmopt::addRunCommand(app);
  std::function<int()> inspect = llmopt::addInspectCommand(app);
  std::function<int()> eval = llmopt::addEvalCommand(app);
  std::function<int()> bench = llmopt::addBenchCommand(app);
  std::function<int()> generate = llmopt::addGenerateCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (app.got_subcommand("compile")) return compile();
  if (app.got_subcommand("run")) return run();
  if (app.got_subcommand("eval")) return eval();
  if (app.got_subcommand("bench")) return bench();
  if (app.got_subcommand("generate")) return generate();
  return inspect();
}
