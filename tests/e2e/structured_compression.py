#!/usr/bin/env python3
"""Structured pruning (`--prune-heads R --prune-ffn R`) and low-rank factorization
(`--lowrank-ratio R`, `--lowrank-energy E`, `--lowrank-budget B`) end to end.

For each transformer fixture (tests/fixtures/transformers/<model>, its case<K>/inputs) and, when
../shared is present, charlm-gpt (input_window0.npy):

1. pruning nothing: `--prune-heads 1e-4 --prune-ffn 1e-4` rounds to no unit removed in any
   block; the pass runs, records nothing, and the outputs equal the plain compile's bit for bit;
2. pruning half of every block: the IR (`--emit mlir`) records the blocks the model has
   (`llmopt.pruning`: FFN blocks in every model; attention heads where Q, K and V are separate
   projections: BERT, Llama (grouped-query), charlm-gpt, and GPT-2, whose one Conv1D makes Q, K
   and V as slices of one output), the artifact has fewer weight bytes, and it runs with outputs
   of the same shapes, all finite;
3. charlm-gpt with `--calib`: removing 15% of the FFN channels by the activation criterion
   costs at most 5% bits per byte on the first evaluation windows, and less than removing them
   by weight magnitude; ranked over the whole model (`--prune-global`) it costs less than 15%
   of each block's; the tiny Llama prunes globally (grouped-query heads, SwiGLU) and runs;
4. low rank, exactness: an MLP whose two hidden layers have rank 3 and 2 (a generated ONNX
   model) factorized with `--lowrank-energy 0.99999` records ranks 3 and 2 and gives the
   unfactorized outputs within 1e-5; `--lowrank-energy 1` factorizes nothing in the fixtures
   (full rank is above the break-even rank) and their outputs stay bit for bit;
5. low rank on the fixtures: `--lowrank-ratio 0.5` runs with fewer weight bytes and finite
   outputs of the same shapes; on charlm-gpt at `--lowrank-ratio 0.7` the activation-scaled SVD
   costs fewer bits per byte than the plain one, and `--lowrank-budget` at the same share of
   the parameters (spread by sensitivity) fewer than the uniform ratio, at no more bytes.

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
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Blocks llmopt-prune finds in each model: {kind: count}.
EXPECTED_BLOCKS = {
    "gpt2": {"ffn": 2, "heads": 2},
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


def low_rank_mlp(path):
    """x [batch, 16] -> relu(x W1 + b1) [24] -> relu(. W2 + b2) [16] -> . W3 (the head, full
    rank): W1 of rank 3, W2 of rank 2. Returns the ranks by layer name."""
    rng = np.random.default_rng(7)
    w1 = (rng.standard_normal((16, 3)) @ rng.standard_normal((3, 24))).astype(np.float32)
    w2 = (rng.standard_normal((24, 2)) @ rng.standard_normal((2, 16))).astype(np.float32)
    w3 = rng.standard_normal((16, 8)).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in
             ((w1, "w1"), (w2, "w2"), (w3, "w3"),
              (rng.standard_normal(24).astype(np.float32), "b1"),
              (rng.standard_normal(16).astype(np.float32), "b2"))]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["m1"], name="/fc1/MatMul"),
             helper.make_node("Add", ["m1", "b1"], ["a1"], name="/fc1/Add"),
             helper.make_node("Relu", ["a1"], ["h1"], name="/relu1"),
             helper.make_node("MatMul", ["h1", "w2"], ["m2"], name="/fc2/MatMul"),
             helper.make_node("Add", ["m2", "b2"], ["a2"], name="/fc2/Add"),
             helper.make_node("Relu", ["a2"], ["h2"], name="/relu2"),
             helper.make_node("MatMul", ["h2", "w3"], ["y"], name="/head/MatMul")]
    graph = helper.make_graph(nodes, "low_rank_mlp",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return {"/fc1/MatMul": 3, "/fc2/MatMul": 2}


def lowrank_ranks(mlir_text):
    """{layer: rank} of the llmopt.lowrank module attribute's entries."""
    return {name: int(rank) for name, rank in
            re.findall(r'"([^"]+)" = \{k = \d+ : i64, n = \d+ : i64, rank = (\d+) : i64\}',
                       mlir_text)}


def lowrank_kept_fraction(mlir_text):
    """Σ rank·(n + k) / Σ n·k over the llmopt.lowrank entries: the parameters the factorized
    layers keep."""
    kept = dense = 0
    for k, n, rank in re.findall(r'"[^"]+" = \{k = (\d+) : i64, n = (\d+) : i64, rank = (\d+) : i64\}',
                                 mlir_text):
        kept += int(rank) * (int(n) + int(k))
        dense += int(n) * int(k)
    return kept / dense if dense else 1.0


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
    parser.add_argument("--quick", action="store_true", help="leave charlm-gpt out")
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
    calib = os.path.join(args.model_dir, "calib.txt")
    if args.quick:
        print("note: --quick: charlm-gpt left out")
        charlm = ""
    elif os.path.isfile(charlm):
        models.append(("charlm-gpt", charlm,
                       [{"input_ids": os.path.join(args.model_dir, "input_window0.npy")}]))
    else:
        print(f"note: {charlm} not found; charlm-gpt checks skipped")

    work = tempfile.mkdtemp(prefix="llmopt-prune-")
    try:
        for label, onnx_path, cases in models:
            variants = {"plain": [],
                        "nothing": ["--prune-heads", "1e-4", "--prune-ffn", "1e-4"],
                        "half": ["--prune-heads", "0.5", "--prune-ffn", "0.5"],
                        "full-rank": ["--lowrank-energy", "1"],
                        "half-rank": ["--lowrank-ratio", "0.5"]}
            artifacts = {}
            for variant, flags in variants.items():
                artifact = os.path.join(work, f"{label}-{variant}.llmo")
                r = run([args.llmopt, "compile", onnx_path, "-o", artifact, *flags])
                if check(r.returncode == 0, f"{label}: compile {variant}" + failure(r)):
                    artifacts[variant] = artifact
            if len(artifacts) != len(variants):
                continue
            for variant, expected in (("nothing", {}), ("half", EXPECTED_BLOCKS[label])):
                r = run([args.llmopt, "compile", onnx_path, "--emit", "mlir", "-o", "-",
                         *variants[variant]])
                blocks = pruned_blocks(r.stdout)
                check(r.returncode == 0 and blocks == expected,
                      f"{label}: {variant}: pruned blocks {blocks}, expected {expected}")
            r = run([args.llmopt, "compile", onnx_path, "--emit", "mlir", "-o", "-",
                     *variants["full-rank"]])
            check(r.returncode == 0 and not lowrank_ranks(r.stdout),
                  f"{label}: full rank: no layer factorized ({lowrank_ranks(r.stdout)})")
            before = weight_bytes(args.llmopt, artifacts["plain"])
            for variant in ("half", "half-rank"):
                after = weight_bytes(args.llmopt, artifacts[variant])
                check(0 < after < before, f"{label}: {variant}: weight bytes {before} -> {after}")
            for k, inputs in enumerate(cases):
                out = {v: outputs_of(args.llmopt, a, inputs, os.path.join(work, "out-" + v))
                       for v, a in artifacts.items()}
                plain = out["plain"]
                for variant in ("nothing", "full-rank"):
                    same = plain.keys() == out[variant].keys() and all(
                        np.array_equal(plain[n], out[variant][n]) for n in plain)
                    check(same, f"{label} case{k}: {variant}: the same outputs bit for bit")
                for variant in ("half", "half-rank"):
                    other = out[variant]
                    shapes = plain.keys() == other.keys() and all(
                        plain[n].shape == other[n].shape and np.isfinite(other[n]).all()
                        for n in plain)
                    moved = max(float(np.abs(other[n] - plain[n]).max() /
                                      max(1e-30, np.abs(plain[n]).max()))
                                for n in plain) if shapes else float("nan")
                    check(shapes, f"{label} case{k}: {variant}: runs, same output shapes, finite "
                                  f"(max relative change {moved:.3g})")

        # Head pruning, exactness, in GPT-2's packed form: with the output projection's rows
        # of head 1 zeroed in every layer (Conv1D: y = x W + b), head 1 adds nothing and has
        # the lowest magnitude score, so pruning a quarter of the 4 heads removes exactly it,
        # and the outputs are the zeroed model's.
        gpt2 = models[0]
        zeroed = onnx.load(gpt2[1])
        for init in zeroed.graph.initializer:
            if init.name.endswith("attn.c_proj.weight"):
                w = numpy_helper.to_array(init).copy()
                w[16:32, :] = 0
                init.CopyFrom(numpy_helper.from_array(w, init.name))
        zeroed_path = os.path.join(work, "gpt2-zeroed-head.onnx")
        onnx.save(zeroed, zeroed_path)
        outs = {}
        for variant, flags in (("plain", []), ("pruned", ["--prune-heads", "0.25"])):
            artifact = os.path.join(work, f"gpt2-zeroed-{variant}.llmo")
            if variant == "pruned":
                r = run([args.llmopt, "compile", zeroed_path, "-o", "-", *flags, "--emit", "mlir"])
                kept = re.findall(r'"([^"]+)" = \{kept = array<i64: ([0-9, ]+)>, kind = "heads"',
                                  r.stdout)
                check(len(kept) == 2 and all(k == ", ".join(str(c) for c in list(range(16)) +
                                                            list(range(32, 64)))
                                             for _, k in kept),
                      f"gpt2: a quarter of the heads: head 1 (channels 16-31) goes in both "
                      f"layers ({[(n, k[:20] + '...') for n, k in kept]})")
            r = run([args.llmopt, "compile", zeroed_path, "-o", artifact, *flags])
            if check(r.returncode == 0, f"gpt2 zeroed head: compile {variant}" + failure(r)):
                outs[variant] = outputs_of(args.llmopt, artifact, gpt2[2][0],
                                           os.path.join(work, f"out-zeroed-{variant}"))
        if len(outs) == 2:
            rel = max(float(np.abs(outs["pruned"][f] - outs["plain"][f]).max() /
                            max(np.abs(outs["plain"][f]).max(), 1e-30)) for f in outs["plain"])
            check(rel <= 1e-5, f"gpt2: pruning the zeroed head leaves the outputs within "
                               f"{rel:.2g} (bar 1e-5)")

        # Low rank is exact on layers of low rank.
        mlp = os.path.join(work, "low_rank_mlp.onnx")
        ranks = low_rank_mlp(mlp)
        x_path = os.path.join(work, "x.npy")
        np.save(x_path, np.random.default_rng(8).standard_normal((5, 16)).astype(np.float32))
        factored = {}
        for variant, flags in (("plain", []), ("factored", ["--lowrank-energy", "0.99999"])):
            artifact = os.path.join(work, f"mlp-{variant}.llmo")
            r = run([args.llmopt, "compile", mlp, "-o", artifact, *flags])
            if check(r.returncode == 0, f"low-rank MLP: compile {variant}" + failure(r)):
                factored[variant] = outputs_of(args.llmopt, artifact, {"x": x_path},
                                               os.path.join(work, "mlp-" + variant))
        r = run([args.llmopt, "compile", mlp, "--lowrank-energy", "0.99999", "--emit", "mlir",
                 "-o", "-"])
        check(lowrank_ranks(r.stdout) == ranks,
              f"low-rank MLP: ranks {lowrank_ranks(r.stdout)}, expected {ranks}")
        if len(factored) == 2:
            a, b = factored["factored"]["y.npy"], factored["plain"]["y.npy"]
            rel = float(np.abs(a - b).max() / np.abs(b).max())
            check(rel <= 1e-5, f"low-rank MLP: factorized outputs within {rel:.2g} of the "
                               f"unfactorized ones (bar 1e-5)")

        # A calibrated compile of the tiny Llama (64 positions: token ids [4, 32] as calibration
        # data): activation pruning with grouped-query heads and SwiGLU, whitened low rank.
        llama = os.path.join(args.fixtures, "transformers", "llama", "model.onnx")
        ids = os.path.join(work, "calib_ids.npy")
        np.save(ids, np.random.default_rng(9).integers(0, 256, size=(4, 32), dtype=np.int64))
        artifact = os.path.join(work, "llama-calibrated.llmo")
        r = run([args.llmopt, "compile", llama, "-o", artifact, "--calib", ids,
                 "--prune-ffn", "0.5", "--prune-heads", "0.5", "--prune-criterion", "activation",
                 "--lowrank-ratio", "0.5", "--lowrank-criterion", "activation"])
        if check(r.returncode == 0 and "model: " in r.stderr,
                 "llama: calibrated prune + whitened low rank" + failure(r)):
            case = models[2][2][0]
            out = outputs_of(args.llmopt, artifact, case, os.path.join(work, "out-calibrated"))
            check(all(np.isfinite(v).all() for v in out.values()),
                  "llama: calibrated prune + whitened low rank runs, outputs finite")
        # Global ranking over the grouped-query heads and the SwiGLU channels.
        artifact = os.path.join(work, "llama-global.llmo")
        r = run([args.llmopt, "compile", llama, "-o", artifact, "--calib", ids,
                 "--prune-ffn", "0.5", "--prune-heads", "0.5", "--prune-criterion", "activation",
                 "--prune-global"])
        if check(r.returncode == 0 and "model: " in r.stderr,
                 "llama: global pruning of heads and channels" + failure(r)):
            out = outputs_of(args.llmopt, artifact, models[2][2][0],
                             os.path.join(work, "out-global"))
            check(all(np.isfinite(v).all() for v in out.values()),
                  "llama: globally pruned model runs, outputs finite")

        if os.path.isfile(charlm):
            text = os.path.join(args.model_dir, "eval.txt")
            bpb = {}
            for variant, flags in (("fp32", []),
                                   ("activation", ["--prune-ffn", "0.15", "--prune-criterion",
                                                   "activation", "--calib", calib]),
                                   ("magnitude", ["--prune-ffn", "0.15", "--calib", calib]),
                                   ("global", ["--prune-ffn", "0.15", "--prune-criterion",
                                               "activation", "--prune-global", "--calib",
                                               calib])):
                artifact = os.path.join(work, f"charlm-{variant}.llmo")
                r = run([args.llmopt, "compile", charlm, "-o", artifact, *flags])
                if check(r.returncode == 0, f"charlm-gpt: compile {variant}" + failure(r)):
                    bpb[variant] = bits_per_byte(args.llmopt, artifact, text)
            if len(bpb) == 4:
                check(bpb["global"] < bpb["activation"],
                      f"charlm-gpt: 15% of all FFN channels ranked globally beats 15% of each "
                      f"block's ({bpb['global']:.4f} < {bpb['activation']:.4f})")
            if len(bpb) >= 3:
                change = {v: bpb[v] / bpb["fp32"] - 1 for v in ("activation", "magnitude")}
                check(change["activation"] <= 0.05,
                      f"charlm-gpt: 15% of FFN channels by activation: bpb {bpb['activation']:.4f} "
                      f"against {bpb['fp32']:.4f} ({100 * change['activation']:+.2f}%, bar +5%)")
                check(bpb["activation"] < bpb["magnitude"],
                      f"charlm-gpt: the activation criterion beats magnitude "
                      f"({bpb['activation']:.4f} < {bpb['magnitude']:.4f})")
            # The report: one row per changed layer, output errors measured on the calibration
            # inputs where the layer keeps all its outputs.
            report = os.path.join(work, "report.json")
            r = run([args.llmopt, "compile", charlm, "-o", os.path.join(work, "r.llmo"),
                     "--prune-ffn", "0.2", "--prune-criterion", "activation",
                     "--lowrank-ratio", "0.8", "--lowrank-criterion", "activation",
                     "--calib", calib, "--report", report])
            if check(r.returncode == 0 and "model: " in r.stderr, "charlm-gpt: report compile" +
                     failure(r)):
                structure = json.load(open(report))["structure"]
                rows = {row["name"]: row for row in structure["layers"]}
                down = rows.get("/blocks.0/fc_out/MatMul", {})
                up = rows.get("/blocks.0/fc/MatMul", {})
                check(len(rows) == 24 and down.get("change", "").startswith("ffn: 819 of 1024")
                      and "rank" in down.get("change", "") and "relative_output_error" not in up
                      and 0 < down.get("relative_output_error", -1) < 0.5
                      and all(row["params_after"] < row["params_before"] for row in rows.values())
                      and structure["model_params_after"] < structure["model_params_before"],
                      f"charlm-gpt: report rows ({len(rows)} changed layers; fc_out: "
                      f"{down.get('change')}, error {down.get('relative_output_error')})")
            ranked = {}
            for variant in ("plain", "activation"):
                artifact = os.path.join(work, f"charlm-rank-{variant}.llmo")
                r = run([args.llmopt, "compile", charlm, "-o", artifact, "--lowrank-ratio", "0.7",
                         "--lowrank-criterion", variant, "--calib", calib])
                if check(r.returncode == 0, f"charlm-gpt: compile low rank {variant}" + failure(r)):
                    ranked[variant] = bits_per_byte(args.llmopt, artifact, text)
            if len(ranked) == 2:
                check(ranked["activation"] < ranked["plain"],
                      f"charlm-gpt: at 70% of the parameters the activation-scaled SVD beats the "
                      f"plain one ({ranked['activation']:.4f} < {ranked['plain']:.4f} bpb)")
            # A budget equal to what ratio 0.7 keeps of the factorizable layers (every linear
            # but the head is factorized there), spread by sensitivity: no more parameters, and
            # fewer bits per byte than the same ratio everywhere.
            r = run([args.llmopt, "compile", charlm, "--emit", "mlir", "-o", "-", "--lowrank-ratio",
                     "0.7", "--lowrank-criterion", "activation", "--calib", calib])
            budget = lowrank_kept_fraction(r.stdout) if r.returncode == 0 else 0
            uniform = os.path.join(work, "charlm-rank-activation.llmo")
            spread = os.path.join(work, "charlm-rank-budget.llmo")
            r = run([args.llmopt, "compile", charlm, "-o", spread, "--lowrank-budget",
                     f"{budget:.6f}", "--lowrank-criterion", "activation", "--calib", calib])
            if (check(r.returncode == 0 and 0 < budget < 1,
                      f"charlm-gpt: compile --lowrank-budget {budget:.4f}" + failure(r))
                    and "activation" in ranked):
                spread_bpb = bits_per_byte(args.llmopt, spread, text)
                sizes = (weight_bytes(args.llmopt, spread), weight_bytes(args.llmopt, uniform))
                check(sizes[0] <= sizes[1] and spread_bpb < ranked["activation"],
                      f"charlm-gpt: the budget spread by sensitivity beats the uniform ratio "
                      f"({spread_bpb:.4f} < {ranked['activation']:.4f} bpb; weight bytes "
                      f"{sizes[0]} <= {sizes[1]})")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
