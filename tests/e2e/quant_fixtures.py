#!/usr/bin/env python3
"""Quantized compiles of the tiny transformer fixtures against their fp32 references.

For each model of tests/fixtures/transformers/ (gpt2, bert, llama; see manifest.json there) and
each compile mode of MODES (fp32, then every ``--quant`` mode): ``llmopt compile model.onnx
[FLAGS] -o A.llmo``, then ``llmopt run A.llmo --input NAME=FILE.npy ... --output-dir DIR`` for
every case (``case<K>/inputs``, as tests/e2e/run_fixtures.py lays them out), and for every graph
output the relative error against the ONNX Runtime fp32 reference (``case<K>/outputs``)::

    rel = ||y - ref||_2 / ||ref||_2      (float64, over the whole tensor)

The error of a (model, output, mode) is the largest over the cases; it must be at most the
mode's bound (a loose bound, about 2-3x what was measured, to catch a broken quantizer or kernel,
not to grade accuracy: that is tests/e2e/charlm_quant.py on a trained model). The fixtures have
random weights (std 0.1), so their errors are larger than a trained model's would be.

Prints a Markdown table model/output x mode of the errors, then ``N passed, M failed``; exits 1
if any compile, run or bound failed.

Usage::

    .venv/bin/python tests/e2e/quant_fixtures.py [LLMOPT_BIN] [FIXTURES_DIR] [--work DIR]
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
MODELS = ("gpt2", "bert", "llama")
CASE_DIR = re.compile(r"case\d+")

# (label, extra compile flags, bound on ||y - ref|| / ||ref|| for every output of every model).
# Measured (max over the 3 cases; gpt2 logits / bert last_hidden_state / bert pooler_output /
# llama logits) with the first build of the --quant modes; each bound is about 2-3x the largest:
#   fp32         4.7e-07 / 2.9e-07 / 3.1e-07 / 6.3e-07   -> 2e-6
#   int8-weight  1.7e-02 / 9.5e-03 / 1.3e-02 / 3.0e-02   -> 8e-2
#   int8         2.2e-02 / 1.5e-02 / 1.8e-02 / 4.0e-02   -> 1e-1
#   int4 (g64)   2.1e-01 / 1.1e-01 / 1.4e-01 / 3.2e-01   -> 7e-1
#   fp16         6.2e-04 / 3.4e-04 / 4.4e-04 / 9.6e-04   -> 2.5e-3
#   bf16         4.2e-03 / 3.3e-03 / 3.5e-03 / 7.8e-03   -> 2e-2
# These are large because the fixtures' weights are random (std 0.1, no outliers, nothing
# learned): the same weights fake-quantized in numpy (per-channel symmetric int8; asymmetric
# int4 in groups of 64) and run by ONNX Runtime give 1.3e-02..1.5e-02 (gpt2) and 1.7e-02..2.6e-02
# (llama) for int8 weights, 0.20..0.23 (gpt2) and 0.25..0.36 (llama) for int4. A quantizer or
# kernel that is wrong gives errors near 1 (random or zero outputs), above every bound.
MODES = [
    ("fp32", [], 2e-6),
    ("int8-weight", ["--quant", "int8-weight"], 8e-2),
    ("int8", ["--quant", "int8"], 1e-1),
    ("int4 (g64)", ["--quant", "int4", "--group-size", "64"], 7e-1),
    ("fp16", ["--quant", "fp16"], 2.5e-3),
    ("bf16", ["--quant", "bf16"], 2e-2),
]


def file_name(tensor_name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", tensor_name)


def run_cmd(argv, timeout):
    """Runs argv; returns (exit status, stderr). A timeout or exec failure is status None."""
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, text=True, errors="replace")
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    except OSError as e:
        return None, f"cannot execute: {e}"
    return proc.returncode, proc.stderr


def first_line(status, stderr):
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    text = lines[0] if lines else "(no stderr)"
    return text if status is None else f"exit {status}: {text}"


def rel_l2(got, ref):
    ref64 = ref.astype(np.float64)
    diff = np.linalg.norm((got.astype(np.float64) - ref64).ravel())
    norm = np.linalg.norm(ref64.ravel())
    err = float(diff / norm) if norm > 0 else float(diff)
    return err if np.isfinite(err) else float("inf")


def graph_inputs(model):
    initializers = {t.name for t in model.graph.initializer}
    return [v.name for v in model.graph.input if v.name not in initializers]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("llmopt", nargs="?",
                        default=os.path.join(REPO, "build", "tools", "llmopt", "llmopt"))
    parser.add_argument("fixtures", nargs="?",
                        default=os.path.join(REPO, "tests", "fixtures", "transformers"),
                        help="folder holding gpt2/, bert/, llama/ (default: tests/fixtures/transformers)")
    parser.add_argument("--work", help="keep artifacts and outputs here (default: a temporary folder)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per llmopt command")
    args = parser.parse_args()
    llmopt = os.path.abspath(args.llmopt)
    if not os.access(llmopt, os.X_OK):
        sys.exit(f"quant_fixtures: {llmopt} is not an executable")

    passed = failed = 0
    errors = {}  # (model, output) -> {mode label: error or None}
    rows = []    # (model, output) in order
    case_counts = []

    def fail(what, detail):
        nonlocal failed
        failed += 1
        print(f"FAIL  {what}: {detail}", flush=True)

    with tempfile.TemporaryDirectory(prefix="llmopt-qfix-") as tmp:
        work = os.path.abspath(args.work) if args.work else tmp
        for name in MODELS:
            fixture = os.path.join(args.fixtures, name)
            onnx_path = os.path.join(fixture, "model.onnx")
            if not os.path.isfile(onnx_path):
                fail(f"{name}", f"no {onnx_path}")
                continue
            model = onnx.load(onnx_path, load_external_data=False)
            outputs = [o.name for o in model.graph.output]
            for out in outputs:
                rows.append((name, out))
                errors[(name, out)] = {}
            cases = sorted((d for d in os.listdir(fixture) if CASE_DIR.fullmatch(d)),
                           key=lambda d: int(d[4:]))
            case_counts.append(len(cases))
            for label, flags, bound in MODES:
                mode_dir = os.path.join(work, name, re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_"))
                shutil.rmtree(mode_dir, ignore_errors=True)
                os.makedirs(mode_dir)
                artifact = os.path.join(mode_dir, "model.llmo")
                status, stderr = run_cmd([llmopt, "compile", onnx_path, *flags, "-o", artifact],
                                         args.timeout)
                if status != 0:
                    fail(f"compile {name} {label}", first_line(status, stderr))
                    continue
                worst = {out: 0.0 for out in outputs}
                ok = True
                for case in cases:
                    out_dir = os.path.join(mode_dir, case)
                    argv = [llmopt, "run", artifact]
                    for input_name in graph_inputs(model):
                        path = os.path.join(fixture, case, "inputs", file_name(input_name) + ".npy")
                        argv += ["--input", f"{input_name}={path}"]
                    status, stderr = run_cmd(argv + ["--output-dir", out_dir], args.timeout)
                    if status != 0:
                        fail(f"run {name} {label} {case}", first_line(status, stderr))
                        ok = False
                        continue
                    for out in outputs:
                        stem = file_name(out) + ".npy"
                        ref = np.load(os.path.join(fixture, case, "outputs", stem), allow_pickle=False)
                        try:
                            got = np.load(os.path.join(out_dir, stem), allow_pickle=False)
                        except (OSError, ValueError) as e:
                            fail(f"output {name} {label} {case} {out}", f"cannot read {stem}: {e}")
                            ok = False
                            continue
                        if got.shape != ref.shape or got.dtype != ref.dtype:
                            fail(f"output {name} {label} {case} {out}",
                                 f"{got.dtype} {list(got.shape)}, expected {ref.dtype} {list(ref.shape)}")
                            ok = False
                            continue
                        worst[out] = max(worst[out], rel_l2(got, ref))
                if not ok:
                    continue
                for out in outputs:
                    errors[(name, out)][label] = worst[out]
                    if worst[out] <= bound:
                        passed += 1
                    else:
                        fail(f"{name} {out} {label}", f"||y - ref|| / ||ref|| = {worst[out]:.2e} > {bound:g}")

    labels = [m[0] for m in MODES]
    print()
    print("Relative output error ||y - ref|| / ||ref|| against ONNX Runtime fp32 "
          f"(max over {'/'.join(str(n) for n in sorted(set(case_counts))) or 0} cases per model):")
    print()
    print("| model | output | " + " | ".join(labels) + " |")
    print("|---|---|" + "---:|" * len(labels))
    for name, out in rows:
        cells = []
        for label, _, bound in MODES:
            e = errors[(name, out)].get(label)
            cells.append("n/a" if e is None else f"{e:.1e}" + ("" if e <= bound else " (FAIL)"))
        print(f"| {name} | {out} | " + " | ".join(cells) + " |")
    print("| bound | | " + " | ".join(f"{m[2]:.1e}" for m in MODES) + " |")
    print()
    print(f"quant fixtures: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
