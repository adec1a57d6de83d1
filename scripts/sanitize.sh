#!/usr/bin/env bash
# Builds llmopt with AddressSanitizer + UndefinedBehaviorSanitizer (-DLLMOPT_SANITIZE=ON, Debug, so
# llmopt's own asserts and LLVM's inline cast<> checks are on too) in $LLMOPT_ASAN_BUILD_DIR
# (default: build-asan/, incremental) and runs the whole ctest suite under it: gtest units, lit,
# end-to-end fixtures, ONNX node tests (the Python drivers run the instrumented llmopt). Any
# sanitizer report fails the run, leaks included (LeakSanitizer reports none, not even in the
# uninstrumented system libraries MLIR/LLVM/protobuf/ONNX, so there are no suppressions).
#   scripts/sanitize.sh              # after scripts/install-deps.sh (scripts/test.sh runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${LLMOPT_ASAN_BUILD_DIR:-build-asan}
jobs=${LLMOPT_JOBS:-$(nproc)}

start=$(date +%s)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLLMOPT_SANITIZE=ON \
  -DLLMOPT_BUILD_TESTS=ON >/dev/null
ninja -C "$build_dir" -j "$jobs"
built=$(date +%s)
echo "sanitize.sh: build took $((built - start)) s"

# The first report aborts the process (SIGABRT), so the test fails. UBSan needs its own
# abort_on_error=1: with halt_on_error alone it exits with status 1, which is also llmopt's "the
# command failed" status, so a report on an error path would pass the tests that expect exit 1.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"
echo "sanitize.sh: tests took $(( $(date +%s) - built )) s"
