#!/usr/bin/env python3
"""Structured pruning (`llmopt compile --prune-heads R --prune-ffn R`) end to end.

For each transformer fixture (tests/fixtures/transformers/<model>, its case<K>/inputs) and, when
../shared is present, charlm-gpt (input_window0.npy):

1. pruning nothing: `--prune-heads 1e-4 --prune-ffn 1e-4` rounds to no unit removed in any
   block; the pass runs, records nothing, and the outputs equal the plain compile's bit for bit;
2. pruning half of every block: the IR (`--emit mlir`) records the blocks the model has
   (`llmopt.pruning`: FFN blocks in every model; attention heads where Q, K and V are separate
   projections: BERT, Llama (grouped-query), charlm-gpt; GPT-2's one Conv1D for Q, K and V is not
   pruned), the artifact has fewer weight bytes, and it runs with outputs of the same shapes,
   all finite;
3. charlm-gpt with `--calib`: removing 15% of the FFN channels by the activation criterion
   costs at most 5% bits per byte on the first evaluation windows, and less than removing them
   by weight magnitude.

Prints one line per check and ``N passed, M failed``; exits 1 if any failed.

Usage::

    .venv/bin/python tests/e2e/prune_models.py [LLMOPT_BIN] [FIXTURES_DIR] [--model-dir DIR]
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Blocks llmopt-prune finds in each model: {kind: count}.
EXPECTED_BLOCKS = {
    "gpt2": {"ffn": 2},
    "bert": {"ffn": 2, "heads": 2},
    "llama": {"ffn": 2, "heads": 2},
    "charlm-gpt": {"ffn": 4, "heads": 4},
}
EVAL_WINDOWS = 60


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def failure(result):
    """': <the end of stderr>' for a failed command, else ''."""
    return "" if result.returncode == 0 else ": " + result.stderr.strip()[-300:]


def outputs_of(llmopt, artifact, inputs, out_dir):
    """{output file name: array} of `llmopt run` on one case."""
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    cmd = [llmopt, "run", artifact, "--output-dir", out_dir]
    for name, path in sorted(inputs.items()):
        cmd += ["--input", f"{name}={path}"]
    r = run(cmd)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return {os.path.basename(p): np.load(p) for p in glob.glob(os.path.join(out_dir, "*.npy"))}


def pruned_blocks(mlir_text):
    """{kind: count} of the entries of the llmopt.pruning module attribute."""
    m = re.search(r"llmopt\.pruning = \{(.*?)\}\}[,}]", mlir_text)
    counts = {}
    for kind in re.findall(r'kind = "([a-z]+)"', m.group(1) if m else ""):
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def weight_bytes(llmopt, artifact):
    out = run([llmopt, "inspect", artifact]).stdout
    m = re.search(r"^weight bytes:\s+(\d+)", out, re.M)
    return int(m.group(1)) if m else -1


def bits_per_byte(llmopt, artifact, text):
    r = run([llmopt, "eval", artifact, "--bytes", text, "--max-windows", str(EVAL_WINDOWS),
             "--json"])
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return json.loads(r.stdout)["bpb"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("llmopt", nargs="?",
                        default=os.path.join(REPO, "build", "tools", "llmopt", "llmopt"))
    parser.add_argument("fixtures", nargs="?", default=os.path.join(REPO, "tests", "fixtures"))
    parser.add_argument("--model-dir",
                        default=os.path.join(os.path.dirname(REPO), "shared", "eval", "charlm-gpt"))
    args = parser.parse_args()
    passed = failed = 0

    def check(ok, text):
        nonlocal passed, failed
        print(("PASS " if ok else "FAIL ") + text)
        passed, failed = passed + ok, failed + (not ok)
        return ok

    models = []  # (label, onnx, [ {input name: npy path} ])
    for name in ("gpt2", "bert", "llama"):
        d = os.path.join(args.fixtures, "transformers", name)
        cases = [{os.path.basename(p)[:-4]: p for p in glob.glob(os.path.join(c, "inputs", "*.npy"))}
                 for c in sorted(glob.glob(os.path.join(d, "case*")))]
        models.append((name, os.path.join(d, "model.onnx"), cases))
    charlm = os.path.join(args.model_dir, "model.onnx")
    if os.path.isfile(charlm):
        models.append(("charlm-gpt", charlm,
                       [{"input_ids": os.path.join(args.model_dir, "input_window0.npy")}]))
    else:
        print(f"note: {charlm} not found; charlm-gpt checks skipped")

    work = tempfile.mkdtemp(prefix="llmopt-prune-")
    try:
        for label, onnx_path, cases in models:
            artifacts = {}
            for variant, flags in (("plain", []),
                                   ("nothing", ["--prune-heads", "1e-4", "--prune-ffn", "1e-4"]),
                                   ("half", ["--prune-heads", "0.5", "--prune-ffn", "0.5"])):
                artifact = os.path.join(work, f"{label}-{variant}.llmo")
                r = run([args.llmopt, "compile", onnx_path, "-o", artifact, *flags])
                if check(r.returncode == 0, f"{label}: compile {variant}" + failure(r)):
                    artifacts[variant] = artifact
            if len(artifacts) != 3:
                continue
            for variant, flags, expected in (
                    ("nothing", ["--prune-heads", "1e-4", "--prune-ffn", "1e-4"], {}),
                    ("half", ["--prune-heads", "0.5", "--prune-ffn", "0.5"],
                     EXPECTED_BLOCKS[label])):
                r = run([args.llmopt, "compile", onnx_path, "--emit", "mlir", "-o", "-", *flags])
                blocks = pruned_blocks(r.stdout)
                check(r.returncode == 0 and blocks == expected,
                      f"{label}: {variant}: pruned blocks {blocks}, expected {expected}")
            before, after = (weight_bytes(args.llmopt, artifacts[v]) for v in ("plain", "half"))
            check(0 < after < before, f"{label}: half pruned: weight bytes {before} -> {after}")
            for k, inputs in enumerate(cases):
                plain = outputs_of(args.llmopt, artifacts["plain"], inputs, os.path.join(work, "o1"))
                nothing = outputs_of(args.llmopt, artifacts["nothing"], inputs, os.path.join(work, "o2"))
                half = outputs_of(args.llmopt, artifacts["half"], inputs, os.path.join(work, "o3"))
                same = plain.keys() == nothing.keys() and all(
                    np.array_equal(plain[n], nothing[n]) for n in plain)
                check(same, f"{label} case{k}: pruning nothing gives the same outputs bit for bit")
                shapes = plain.keys() == half.keys() and all(
                    plain[n].shape == half[n].shape and np.isfinite(half[n]).all() for n in plain)
                moved = max(float(np.abs(half[n] - plain[n]).max() / max(1e-30, np.abs(plain[n]).max()))
                            for n in plain) if shapes else float("nan")
                check(shapes, f"{label} case{k}: half pruned runs, same output shapes, finite "
                              f"(max relative change {moved:.3g})")

        if os.path.isfile(charlm):
            calib = os.path.join(args.model_dir, "calib.txt")
            text = os.path.join(args.model_dir, "eval.txt")
            bpb = {}
            for variant, flags in (("fp32", []),
                                   ("activation", ["--prune-ffn", "0.15", "--prune-criterion",
                                                   "activation", "--calib", calib]),
                                   ("magnitude", ["--prune-ffn", "0.15", "--calib", calib])):
                artifact = os.path.join(work, f"charlm-{variant}.llmo")
                r = run([args.llmopt, "compile", charlm, "-o", artifact, *flags])
                if check(r.returncode == 0, f"charlm-gpt: compile {variant}" + failure(r)):
                    bpb[variant] = bits_per_byte(args.llmopt, artifact, text)
            if len(bpb) == 3:
                change = {v: bpb[v] / bpb["fp32"] - 1 for v in ("activation", "magnitude")}
                check(change["activation"] <= 0.05,
                      f"charlm-gpt: 15% of FFN channels by activation: bpb {bpb['activation']:.4f} "
                      f"against {bpb['fp32']:.4f} ({100 * change['activation']:+.2f}%, bar +5%)")
                check(bpb["activation"] < bpb["magnitude"],
                      f"charlm-gpt: the activation criterion beats magnitude "
                      f"({bpb['activation']:.4f} < {bpb['magnitude']:.4f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
