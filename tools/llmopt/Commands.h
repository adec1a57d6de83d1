//===- Commands.h - the llmopt subcommands --------------------------------===//
#ifndef LLMOPT_TOOLS_LLMOPT_COMMANDS_H
#define LLMOPT_TOOLS_LLMOPT_COMMANDS_H

#include <CLI/CLI.hpp>

#include <functional>

namespace llmopt {

/// Each subcommand adds its options to `app` and returns the function that runs it (exit code).
std::function<int()> addCompileCommand(CLI::App& app);
std::function<int()> addRunCommand(CLI::App& app);
std::function<int()> addInspectCommand(CLI::App& app);
std::function<int()> addEvalCommand(CLI::App& app);
std::function<int()> addBenchCommand(CLI::App& app);
std::function<int()> addGenerateCommand(CLI::App& app);

/// "error: <message>" on stderr; returns the exit code for failures.
int fail(const std::string& message);

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_COMMANDS_H
