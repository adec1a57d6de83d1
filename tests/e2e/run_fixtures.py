#!/usr/bin/env python3
"""End-to-end checks of the llmopt CLI on the fixtures of tests/fixtures (see its README.md).

For every fixture model that has reference outputs (``<model>/batch<B>/`` or ``<model>/case<K>/``;
the transformer exports under ``transformers/<model>/`` included):

* ``llmopt compile model.onnx -o A.llmo`` succeeds, and a second compile gives a byte-identical
  artifact (the compiler is deterministic);
* for each batch size, ``llmopt run A.llmo --input NAME=FILE.npy ... --output-dir DIR`` with that
  one artifact succeeds and writes ``DIR/<output>.npy`` for every graph output, with the reference's
  dtype and shape and ``|got - ref| <= TOL * max(1, |ref|)`` elementwise (the max relative error
  ``max(|got - ref| / max(1, |ref|))`` is printed). TOL is 1e-5 for the small fixtures and 1e-4
  for the transformer exports (deep graphs whose references come from ONNX Runtime).

For every fixture with ``expected_errors.txt`` (the ``unsupported`` model): ``llmopt compile`` exits
with a non-zero status (not a crash), its stderr names each listed node and its op type, and no
output file (nor anything else) is left in the output directory.

One line is printed per check, then ``N passed, M failed``; the exit status is 1 if any failed.
File names of tensors map every character outside ``[A-Za-z0-9._-]`` to ``_``, as the CLI does.

Usage::

    .venv/bin/python tests/e2e/run_fixtures.py [LLMOPT_BIN] [FIXTURES_DIR] [--work DIR]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RTOL = 1e-5  # |got - ref| <= RTOL * max(1, |ref|)
TRANSFORMER_RTOL = 1e-4
CASE_DIR = re.compile(r"(batch|case)\d+")


def file_name(tensor_name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", tensor_name)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def report(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'PASS' if ok else 'FAIL'}  {what}" + (f": {detail}" if detail else ""), flush=True)
        return ok


def run_cmd(argv, timeout):
    """Runs argv; returns (exit status, stderr). A timeout is reported as status None."""
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, text=True, errors="replace")
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    except OSError as e:
        return None, f"cannot execute: {e}"
    return proc.returncode, proc.stderr


def fresh_dir(path):
    """Creates `path` as an empty directory (stale results of a kept --work dir must not count)."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def describe_failure(status, stderr):
    """One line: the exit status and the first line of stderr (the last of a Python traceback)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    first = lines[0] if lines else "(no stderr)"
    if first.startswith("Traceback") and len(lines) > 1:
        first = lines[-1]
    if status is None:
        return stderr
    if status < 0:
        return f"killed by signal {-status}: {first}"
    return f"exit {status}: {first}"


def compare(got, ref, rtol=RTOL):
    """Returns (ok, detail) for one output against its reference."""
    if got.dtype != ref.dtype:
        return False, f"dtype {got.dtype}, expected {ref.dtype}"
    if got.shape != ref.shape:
        return False, f"shape {got.shape}, expected {ref.shape}"
    if ref.size == 0:
        return True, "empty"
    ref64 = ref.astype(np.float64)
    scale = np.maximum(1.0, np.abs(ref64))
    rel = np.abs(got.astype(np.float64) - ref64) / scale
    rel = np.where(np.isnan(rel), np.inf, rel)  # a NaN anywhere is a mismatch
    max_rel = float(rel.max())
    bad = int(np.count_nonzero(rel > rtol))
    if bad:
        return False, f"max rel err {max_rel:.3g} > {rtol:g} at {bad}/{rel.size} elements"
    return True, f"max rel err {max_rel:.3g}"


def graph_inputs(model):
    initializers = {t.name for t in model.graph.initializer}
    return [v.name for v in model.graph.input if v.name not in initializers]


def check_model(checks, llmopt, fixture, name, work, timeout, rtol=RTOL):
    onnx_path = os.path.join(fixture, "model.onnx")
    model = onnx.load(onnx_path, load_external_data=False)
    model_work = os.path.join(work, name)
    fresh_dir(model_work)
    artifacts = [os.path.join(model_work, f"model.{i}.llmo") for i in (1, 2)]

    status, stderr = run_cmd([llmopt, "compile", onnx_path, "-o", artifacts[0]], timeout)
    if status != 0:
        checks.report(False, f"compile {name}", describe_failure(status, stderr))
        return
    if not checks.report(os.path.isfile(artifacts[0]), f"compile {name}",
                         "" if os.path.isfile(artifacts[0]) else "exit 0 but no artifact written"):
        return
    status, stderr = run_cmd([llmopt, "compile", onnx_path, "-o", artifacts[1]], timeout)
    if status != 0:
        checks.report(False, f"deterministic {name}",
                      "second compile: " + describe_failure(status, stderr))
    else:
        with open(artifacts[0], "rb") as a, open(artifacts[1], "rb") as b:
            first, second = a.read(), b.read()
        checks.report(first == second, f"deterministic {name}",
                      f"two compiles byte-identical ({len(first)} bytes)" if first == second else
                      f"two compiles differ ({len(first)} vs {len(second)} bytes)")

    batches = sorted((d for d in os.listdir(fixture) if CASE_DIR.fullmatch(d)),
                     key=lambda d: (d[:4], int(re.sub(r"\D", "", d))))
    for batch in batches:
        data = os.path.join(fixture, batch)
        out_dir = os.path.join(model_work, batch)
        os.makedirs(out_dir)
        argv = [llmopt, "run", artifacts[0]]
        for input_name in graph_inputs(model):
            path = os.path.join(data, "inputs", file_name(input_name) + ".npy")
            argv += ["--input", f"{input_name}={path}"]
        argv += ["--output-dir", out_dir]
        status, stderr = run_cmd(argv, timeout)
        if not checks.report(status == 0, f"run {name} {batch}",
                             "" if status == 0 else describe_failure(status, stderr)):
            continue
        for output in model.graph.output:
            stem = file_name(output.name) + ".npy"
            what = f"output {name} {batch} {output.name}"
            got_path = os.path.join(out_dir, stem)
            if not os.path.isfile(got_path):
                checks.report(False, what, f"{stem} not written")
                continue
            try:
                got = np.load(got_path, allow_pickle=False)
            except Exception as e:  # noqa: BLE001 - any unreadable file is a failure
                checks.report(False, what, f"cannot read {stem}: {e}")
                continue
            ref = np.load(os.path.join(data, "outputs", stem), allow_pickle=False)
            ok, detail = compare(got, ref, rtol)
            checks.report(ok, what, detail)


def check_rejected(checks, llmopt, fixture, name, work, timeout):
    expected = []
    with open(os.path.join(fixture, "expected_errors.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                expected.append((line[0], line[1]))
    out_dir = os.path.join(work, name)
    fresh_dir(out_dir)
    status, stderr = run_cmd(
        [llmopt, "compile", os.path.join(fixture, "model.onnx"), "-o",
         os.path.join(out_dir, "model.llmo")], timeout)
    checks.report(status is not None and status > 0, f"reject {name}: exits with an error",
                  describe_failure(status, stderr) if status != 0 else "exit 0")
    for node, op in expected:
        checks.report(node in stderr and op in stderr, f"reject {name}: stderr names {node} ({op})")
    left = sorted(os.listdir(out_dir))
    checks.report(not left, f"reject {name}: no output left behind",
                  f"found {', '.join(left)}" if left else "")


def main():
    parser = argparse.ArgumentParser(
        description="Compile and run the llmopt fixtures, compare with the references.")
    parser.add_argument("llmopt", nargs="?",
                        default=os.path.join(REPO, "build", "tools", "llmopt", "llmopt"),
                        help="the llmopt binary (default: build/tools/llmopt/llmopt)")
    parser.add_argument("fixtures", nargs="?", default=os.path.join(REPO, "tests", "fixtures"),
                        help="the fixtures directory (default: tests/fixtures)")
    parser.add_argument("--work", help="keep artifacts and outputs in this directory "
                        "(default: a temporary directory, removed at the end)")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds allowed per llmopt command (default: 120)")
    args = parser.parse_args()

    llmopt = os.path.abspath(args.llmopt)
    if not os.access(llmopt, os.X_OK):
        sys.exit(f"run_fixtures: {llmopt} is not an executable")
    fixtures_dir = os.path.abspath(args.fixtures)
    fixtures = sorted(d for d in os.listdir(fixtures_dir)
                      if os.path.isfile(os.path.join(fixtures_dir, d, "model.onnx")))
    transformers = os.path.join(fixtures_dir, "transformers")
    if os.path.isdir(transformers):
        fixtures += sorted(os.path.join("transformers", d) for d in os.listdir(transformers)
                           if os.path.isfile(os.path.join(transformers, d, "model.onnx")))
    if not fixtures:
        sys.exit(f"run_fixtures: no fixture (*/model.onnx) in {fixtures_dir}")

    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="llmopt-e2e-") as tmp:
        work = os.path.abspath(args.work) if args.work else tmp
        os.makedirs(work, exist_ok=True)
        for name in fixtures:
            fixture = os.path.join(fixtures_dir, name)
            if os.path.isfile(os.path.join(fixture, "expected_errors.txt")):
                check_rejected(checks, llmopt, fixture, name, work, args.timeout)
            elif any(CASE_DIR.fullmatch(d) for d in os.listdir(fixture)):
                rtol = TRANSFORMER_RTOL if name.startswith("transformers") else RTOL
                check_model(checks, llmopt, fixture, name, work, args.timeout, rtol)
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
