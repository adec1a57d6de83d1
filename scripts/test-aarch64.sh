#!/usr/bin/env bash
# The runtime on 64-bit ARM, emulated: cross-builds the runtime and its tests with Debian's
# aarch64 toolchain (cmake/toolchains/aarch64-linux-gnu.cmake, LLMOPT_RUNTIME_ONLY), runs them
# under qemu-aarch64 (ctest uses it as the emulator), then runs artifacts compiled on x86 by the
# x86 build's llmopt on the ARM runtime and compares them with x86's outputs
# (tests/cross/compare_x86_aarch64.py). Both run twice: on qemu's default CPU (in Debian's qemu
# 7.2 it has armv8.2-a's dot product instructions, as -cpu max does, so the sdot kernels run)
# and on a Cortex-A53 (armv8-a without them: the fallback kernels are chosen at load). Last, C++
# emitted by the x86 llmopt (--emit cpp) is built for aarch64 against the ARM runtime and run
# against the artifact on the ARM runtime (tests/e2e/emit_cpp.py). The packages come from scripts/install-deps.sh.
#   scripts/test-aarch64.sh [X86_BUILD_DIR]     (default: $LLMOPT_BUILD_DIR or build-test)
set -euo pipefail
cd "$(dirname "$0")/.."
x86_build=${1:-${LLMOPT_BUILD_DIR:-build-test}}
build=build-aarch64
rm -rf "$build"
start=$(date +%s)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLMOPT_RUNTIME_ONLY=ON \
  -DLLMOPT_BUILD_TESTS=ON -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "test-aarch64.sh: cross build took $(( $(date +%s) - start )) s"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
# qemu-user reads its CPU model from QEMU_CPU. The kernel tests check every variant the CPU runs
# against the scalar reference, and ArmVariants.* that the sdot variants run exactly when the
# CPU reports dot products (HWCAP_ASIMDDP) and that LLMOPT_ISA forces what it names.
echo "test-aarch64.sh: the kernel tests on a Cortex-A53 (no dot products)"
QEMU_CPU=cortex-a53 ctest --test-dir "$build" --output-on-failure -j "$(nproc)" \
  -R '^runtime[.]kernels[.]'
LLMOPT_ISA=neon ctest --test-dir "$build" --output-on-failure -R 'ArmVariants|NeonVariant'
LLMOPT_ISA=scalar ctest --test-dir "$build" --output-on-failure -R 'ArmVariants|NeonVariant'
for cpu in max cortex-a53; do
  echo "test-aarch64.sh: x86 artifacts on the ARM runtime, qemu -cpu $cpu"
  .venv/bin/python tests/cross/compare_x86_aarch64.py "$x86_build/tools/llmopt/llmopt" \
    "$build/tests/cross/llmopt_run_npy" tests/fixtures \
    --emulator "qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu $cpu"
done
# `llmopt compile --emit cpp` on ARM: C++ emitted by the x86 llmopt, built by the cross compiler
# against the aarch64 static runtime, run under qemu and compared with the artifact run by the
# aarch64 runtime (identical outputs expected).
echo "test-aarch64.sh: C++ emitted on x86, built for aarch64, qemu -cpu max"
.venv/bin/python tests/e2e/emit_cpp.py "$x86_build/tools/llmopt/llmopt" aarch64-linux-gnu-g++ \
  "$build/runtime/libllmopt_runtime.a" "$build/runtime/libllmopt_artifact_format.a" \
  tests/fixtures --emulator "qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu max" \
  --run-npy "$build/tests/cross/llmopt_run_npy" --model-dir ../shared/eval/charlm-gpt
