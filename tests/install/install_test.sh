#!/usr/bin/env bash
# The installed runtime, as a user gets it: `cmake --install --component runtime` into a fresh
# prefix must hold the shared library, llmopt/runtime.h, the CMake package and llmopt.pc and
# nothing else; examples/embed (a C program) must build against it both through
# find_package(llmopt) and through pkg-config, and run an artifact compiled by this build.
#
#   tests/install/install_test.sh BUILD_DIR LLMOPT_BIN
set -euo pipefail
build=$1
llmopt=$2
root="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --component runtime --prefix "$prefix" >/dev/null
libdir=$(cd "$prefix" && ls -d lib*/ | head -1)
libdir=${libdir%/}
# (llmoptTargets-<build type>.cmake: the build type's name)
found=$(cd "$prefix" && find . -type f -o -type l | sed 's/llmoptTargets-[a-z]*\.cmake/llmoptTargets-CONFIG.cmake/' \
        | LC_ALL=C sort | tr '\n' ' ')
expected="./include/llmopt/runtime.h ./$libdir/cmake/llmopt/llmoptConfig.cmake \
./$libdir/cmake/llmopt/llmoptConfigVersion.cmake ./$libdir/cmake/llmopt/llmoptTargets-CONFIG.cmake \
./$libdir/cmake/llmopt/llmoptTargets.cmake ./$libdir/libllmopt_runtime.so \
./$libdir/libllmopt_runtime.so.0 ./$libdir/libllmopt_runtime.so.0.1.0 ./$libdir/pkgconfig/llmopt.pc "
if [ "$found" != "$expected" ]; then
  echo "FAIL: the install holds: $found"
  echo "      expected:          $expected"
  exit 1
fi
echo "ok    install: library, header, CMake package, pkg-config file, nothing else"

"$llmopt" compile "$root/examples/mlp/model.onnx" -o "$work/mlp.llmo" 2>/dev/null

# find_package(llmopt) -> llmopt::runtime
cmake -S "$root/examples/embed" -B "$work/embed" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/embed" >/dev/null
out=$("$work/embed/embed" "$work/mlp.llmo" 5)
case "$out" in
  "probs f32 [5, 10] "*) echo "ok    find_package(llmopt): embed runs the MLP: $out" ;;
  *) echo "FAIL: embed (CMake) printed: $out"; exit 1 ;;
esac

# pkg-config
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
cc -std=c11 -Wall -Werror "$root/examples/embed/main.c" $(pkg-config --cflags --libs llmopt) \
   -Wl,-rpath,"$prefix/$libdir" -o "$work/embed-pc"
out=$("$work/embed-pc" "$work/mlp.llmo" 2)
case "$out" in
  "probs f32 [2, 10] "*) echo "ok    pkg-config llmopt: embed runs the MLP: $out" ;;
  *) echo "FAIL: embed (pkg-config) printed: $out"; exit 1 ;;
esac
