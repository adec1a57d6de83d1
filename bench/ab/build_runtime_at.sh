#!/usr/bin/env bash
# Builds libllmopt_runtime.so as it was at a commit (a runtime-only build in a git worktree, about
# 30 s on 2 cores) and prints the library's path: side A of bench/ab's paired timing.
#
#   bench/ab/build_runtime_at.sh COMMIT [DIR]      # DIR default: /tmp/llmopt-runtime-COMMIT
set -euo pipefail
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 COMMIT [DIR]" >&2
  exit 2
fi
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse --verify --quiet "$1^{commit}") || {
  echo "error: '$1' is not a commit of $repo" >&2
  exit 1
}
dir=${2:-/tmp/llmopt-runtime-${commit:0:12}}
if [[ ! -d $dir/src ]]; then
  git -C "$repo" worktree add --detach --force "$dir/src" "$commit" >/dev/null
fi
cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLMOPT_RUNTIME_ONLY=ON \
  -DLLMOPT_BUILD_TESTS=OFF >/dev/null
ninja -C "$dir/build" llmopt_runtime_shared >/dev/null
echo "$dir/build/runtime/libllmopt_runtime.so"
