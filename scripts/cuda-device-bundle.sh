#!/usr/bin/env bash
# Packs the llmopt compiler with the shared libraries it needs that a GPU machine without LLVM 16,
# MLIR, protobuf or ONNX lacks (everything `ldd` lists but the C and C++ runtime), so that the
# lent GPU machines (the `device` tool; x86-64, a newer glibc and libstdc++) can compile for CUDA
# there: GPT-2-small artifacts are too big to travel, a compiler with its libraries is not.
#
#   scripts/cuda-device-bundle.sh [BUILD_DIR] [OUT_DIR]      # default build, .cuda-tools
#
# There: tar xJf .cuda-tools/llmopt-bundle.tar.xz -C /tmp &&
#        LD_LIBRARY_PATH=/tmp/llmopt-bundle/lib /tmp/llmopt-bundle/llmopt ...
set -euo pipefail
build=${1:-build}
out=${2:-.cuda-tools}
llmopt="$build/tools/llmopt/llmopt"
[ -x "$llmopt" ] || { echo "error: $llmopt not built (scripts/build.sh)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/llmopt-bundle/lib"
cp "$llmopt" "$stage/llmopt-bundle/llmopt"
# The C/C++ runtime and the dynamic loader come from the machine itself.
ldd "$llmopt" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
  grep -Ev '/(libc|libm|libgcc_s|libstdc\+\+|libpthread|libdl|librt)\.so' |
  while read -r lib; do cp -L "$lib" "$stage/llmopt-bundle/lib/"; done
strip --strip-unneeded "$stage/llmopt-bundle/llmopt" "$stage"/llmopt-bundle/lib/*
mkdir -p "$out"
tar -C "$stage" -cf - llmopt-bundle | xz -T0 -9 >"$out/llmopt-bundle.tar.xz.tmp"
mv "$out/llmopt-bundle.tar.xz.tmp" "$out/llmopt-bundle.tar.xz"
echo "$out/llmopt-bundle.tar.xz: $(du -h "$out/llmopt-bundle.tar.xz" | cut -f1)" \
  "($(ls "$stage/llmopt-bundle/lib" | wc -l) libraries)"
