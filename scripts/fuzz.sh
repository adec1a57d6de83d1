#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang-14, -DLLMOPT_FUZZ=ON: ASan + UBSan +
# coverage on llmopt's own code) in build-fuzz/ and runs each for SECONDS (default 600):
#   scripts/fuzz.sh                      # all four targets, 10 minutes each, one after another
#   scripts/fuzz.sh 60 fuzz_npy          # one target, one minute
#   FUZZ_JOBS=2 scripts/fuzz.sh          # two targets at a time
# Targets: fuzz_onnx_import fuzz_pipeline_yaml fuzz_artifact_load fuzz_npy.
# Each target fuzzes a writable corpus in build-fuzz/fuzz/<target>/corpus (seeded, and topped up
# on every run, from tests/fuzz/corpus/<target> and tests/fuzz/regressions/<target>, which are
# never written); crashes, timeouts, leaks and OOMs go to build-fuzz/fuzz/<target>/artifacts/,
# the whole log to build-fuzz/fuzz/<target>/fuzz.log. Prints per target the executions, exec/s,
# coverage (cov: and ft: of the last status line) and any crash files; exits 1 if any.
# Environment: FUZZ_JOBS (targets run at once, default 1), FUZZ_ARGS (extra libFuzzer flags),
# LLMOPT_JOBS (build jobs, default nproc), LLMOPT_BUILD_LOCK (a file to flock around the build),
# LLMOPT_FUZZ_ARTIFACT_DIR (where fuzz_onnx_import writes artifacts; default /dev/shm).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
all_targets=(fuzz_onnx_import fuzz_pipeline_yaml fuzz_artifact_load fuzz_npy)

seconds=600
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $target "* ]] || {
    echo "fuzz.sh: unknown target '$target' (targets: ${all_targets[*]})" >&2
    exit 2
  }
done

build_dir=$root/build-fuzz
lock=()
[[ -n ${LLMOPT_BUILD_LOCK:-} ]] && lock=(flock "$LLMOPT_BUILD_LOCK")
if [[ ! -f $build_dir/build.ninja ]]; then
  CC=clang-14 CXX=clang++-14 "${lock[@]}" cmake -S . -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DLLMOPT_BUILD_TESTS=ON -DLLMOPT_FUZZ=ON >/dev/null
fi
"${lock[@]}" ninja -C "$build_dir" -j "${LLMOPT_JOBS:-$(nproc)}" "${targets[@]}"

# fuzz_onnx_import also writes each artifact it compiles and loads it back (the runtime must
# accept whatever the compiler writes): on a tmpfs, as the writer fsyncs. Set it empty to skip.
if [[ -z ${LLMOPT_FUZZ_ARTIFACT_DIR+set} ]]; then
  LLMOPT_FUZZ_ARTIFACT_DIR=$build_dir/fuzz
  [[ -d /dev/shm && -w /dev/shm ]] && LLMOPT_FUZZ_ARTIFACT_DIR=/dev/shm
fi
export LLMOPT_FUZZ_ARTIFACT_DIR

# Report every sanitizer finding as a crash libFuzzer writes out. LeakSanitizer stays on
# (libFuzzer checks each new input for leaks).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}

run_target() {
  local target=$1 work=$build_dir/fuzz/$1
  mkdir -p "$work/corpus" "$work/artifacts"
  local seeds
  for seeds in "$root/tests/fuzz/corpus/$target" "$root/tests/fuzz/regressions/$target"; do
    [[ -d $seeds ]] && find "$seeds" -type f ! -name '.*' -exec cp -n -t "$work/corpus" {} +
  done
  local dict=()
  [[ -f $root/tests/fuzz/dict/$target.dict ]] && dict=(-dict="$root/tests/fuzz/dict/$target.dict")
  local status=0
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  "$build_dir/tests/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict[@]}" ${FUZZ_ARGS:-} \
    "$work/corpus" >"$work/fuzz.log" 2>&1 || status=$?
  echo "$status" >"$work/status"
}

summarize() {
  local target=$1 work=$build_dir/fuzz/$1
  local log=$work/fuzz.log status
  status=$(cat "$work/status")
  local execs rate status_line cov ft
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  status_line=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status_line")
  printf '%-20s executions %-10s exec/s %-7s cov %-6s ft %-6s exit %s\n' "$target" \
    "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$status"
  local found
  found=$(find "$work/artifacts" -type f -newer "$work/started" 2>/dev/null | sort || true)
  if [[ -n $found ]]; then
    sed 's/^/    found: /' <<<"$found"
    grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|^fuzz_' "$log" |
      sed 's/^/    /' || true
  fi
  [[ $status == 0 && -z $found ]]
}

echo "fuzz.sh: ${targets[*]}: $seconds s each, ${FUZZ_JOBS:-1} at a time; logs in build-fuzz/fuzz/<target>/"
for target in "${targets[@]}"; do
  mkdir -p "$build_dir/fuzz/$target"
  touch "$build_dir/fuzz/$target/started"
done
running=0
for target in "${targets[@]}"; do
  if [[ $running -ge ${FUZZ_JOBS:-1} ]]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
wait || true

failed=0
for target in "${targets[@]}"; do
  summarize "$target" || failed=1
done
exit "$failed"
