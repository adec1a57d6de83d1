#!/usr/bin/env bash
# Configures and builds llmopt (Release, Ninja) in $LLMOPT_BUILD_DIR (default: build/).
#   scripts/build.sh                 # everything, tests included
#   scripts/build.sh llmopt          # just these targets
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${LLMOPT_BUILD_DIR:-build}
jobs=${LLMOPT_JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLMOPT_BUILD_TESTS=ON >/dev/null
ninja -C "$build_dir" -j "$jobs" "$@"
