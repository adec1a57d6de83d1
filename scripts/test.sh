#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine: installs the dependencies (apt-get, and a Python
# virtual environment in .venv for the test drivers), builds everything in a clean build
# directory, and runs ctest (gtest units, lit, end-to-end fixtures, ONNX node tests); then the
# runtime cross-built for aarch64 and its tests under qemu (scripts/test-aarch64.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export LLMOPT_BUILD_DIR=${LLMOPT_BUILD_DIR:-build-test}
rm -rf "$LLMOPT_BUILD_DIR"
start=$(date +%s)
scripts/build.sh
echo "test.sh: build took $(( $(date +%s) - start )) s"
ctest --test-dir "$LLMOPT_BUILD_DIR" --output-on-failure -j "$(nproc)"
scripts/test-aarch64.sh "$LLMOPT_BUILD_DIR"
