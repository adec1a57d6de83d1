#!/usr/bin/env python3
"""Structured pruning and low rank on charlm-gpt: parameters, bits per byte, latency, in one run.

For each point of the sweep (issue 7): `--prune-ffn` 10/20/30%, `--prune-heads` 12.5/25%,
`--lowrank-ratio` 0.9/0.8/0.7, each with both criteria (magnitude / activation for pruning,
plain / activation-scaled SVD for low rank), alone and with `--quant int8`; and the points that
remove about 10% of the parameters (`--prune-ffn 0.16`, `--lowrank-ratio 0.9`):

- parameters: the artifact's weight bytes / 4 for fp32 (the int8 rows show the fp32 count of the
  same structure), and the share removed against the unpruned model;
- multiply-adds per token at sequence 256: every linear's N·K plus the attention's 2·H·D·128
  (the mean causal span), read from `llmopt compile --emit mlir`;
- bits per byte on eval.txt (`llmopt eval`, the charlm-gpt protocol; `--max-windows` for a part);
- latency: `llmopt bench POINT --against UNPRUNED --shape input_ids=1x256 --threads 1`: the two
  artifacts' runs alternate in one process, `--pairs` times; the median of the paired ratios.

Prints a Markdown table and the bars: 10% of the parameters removed costs at most +5% bits per
byte; the activation-aware variant beats the plain one at every point; latency falls at least
0.8 x the share of multiply-adds removed (fp32 rows). Then, beyond the issue's grid: 20% of all
FFN channels ranked globally, and `--lowrank-budget` at the share each ratio keeps.

Usage::

    .venv/bin/python bench/bench_structured.py [--model-dir DIR] [--max-windows N] [--pairs P]
        [--points REGEX] [--json-out FILE]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, flags, the plain/magnitude twin's label or None)
POINTS = []
for r in ("0.1", "0.2", "0.3"):
    POINTS.append((f"prune-ffn {r} magnitude", ["--prune-ffn", r], None))
    POINTS.append((f"prune-ffn {r} activation",
                   ["--prune-ffn", r, "--prune-criterion", "activation"],
                   f"prune-ffn {r} magnitude"))
for r in ("0.125", "0.25"):
    POINTS.append((f"prune-heads {r} magnitude", ["--prune-heads", r], None))
    POINTS.append((f"prune-heads {r} activation",
                   ["--prune-heads", r, "--prune-criterion", "activation"],
                   f"prune-heads {r} magnitude"))
for r in ("0.9", "0.8", "0.7"):
    POINTS.append((f"lowrank {r} plain", ["--lowrank-ratio", r], None))
    POINTS.append((f"lowrank {r} activation",
                   ["--lowrank-ratio", r, "--lowrank-criterion", "activation"],
                   f"lowrank {r} plain"))
TEN_PERCENT = [("prune-ffn 0.16 activation",
                ["--prune-ffn", "0.16", "--prune-criterion", "activation"], None)]
# Beyond the grid: the whole model's channels ranked together, and a low-rank budget
# spread by sensitivity at the share of parameters each ratio keeps (BUDGET_OF: computed from
# that ratio's compile); compared with the per-block / uniform rows of the same size.
EXTRA = [("prune-ffn 0.2 global activation",
          ["--prune-ffn", "0.2", "--prune-criterion", "activation", "--prune-global"], None)]
for r in ("0.9", "0.8", "0.7"):
    EXTRA.append((f"lowrank budget of {r} activation",
                  ["BUDGET_OF", r, "--lowrank-criterion", "activation"], None))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)}\n{r.stderr.strip()}")
    return r.stdout


def macs_per_token(llmopt, onnx_path, flags, seq=256):
    """Linear N·K plus attention 2·H·D·(seq/2) per token, from the compiled IR."""
    text = run([llmopt, "compile", onnx_path, "--emit", "mlir", "-o", "-", *flags])
    macs = 0
    for n, k in re.findall(r"llmopt\.(?:quantized_)?linear %[^:]*: \(tensor<[^>]*>, "
                           r"tensor<(\d+)x(\d+)x[a-z0-9]+>", text):
        macs += int(n) * int(k)
    for h, d in re.findall(r"llmopt\.(?:packed_)?attention [^\n]*-> tensor<\?x\?x(\d+)x(\d+)xf32>",
                           text):
        macs += 2 * int(h) * int(d) * (seq // 2)
    return macs


def weight_bytes(llmopt, artifact):
    m = re.search(r"^weight bytes:\s+(\d+)", run([llmopt, "inspect", artifact]), re.M)
    return int(m.group(1))


def bpb(llmopt, artifact, text, windows):
    cmd = [llmopt, "eval", artifact, "--bytes", text, "--json"]
    if windows:
        cmd += ["--max-windows", str(windows)]
    return json.loads(run(cmd))["bpb"]


def latency_ratio(llmopt, artifact, reference, pairs):
    """The median of `pairs` paired ratios artifact / reference, their runs alternating in one
    process (`llmopt bench --against`): separate processes on a shared VM drift by more than
    the effects measured here."""
    out = run([llmopt, "bench", artifact, "--against", reference, "--shape", "input_ids=1x256",
               "--threads", "1", "--warmup", "3", "--iterations", str(pairs), "--json"])
    return json.loads(out)["against"]["ratio_median"]


def lowrank_budget_of(llmopt, onnx_path, ratio, calib):
    """The share of the factorized layers' parameters `--lowrank-ratio ratio` keeps (every
    linear but the head is factorized at these ratios): Σ r·(n + k) / Σ n·k."""
    text = run([llmopt, "compile", onnx_path, "--emit", "mlir", "-o", "-", "--lowrank-ratio", ratio,
                "--lowrank-criterion", "activation", "--calib", calib])
    kept = dense = 0
    for k, n, rank in re.findall(r'"[^"]+" = \{k = (\d+) : i64, n = (\d+) : i64, '
                                 r'rank = (\d+) : i64\}', text):
        kept += int(rank) * (int(n) + int(k))
        dense += int(n) * int(k)
    return kept / dense


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir",
                        default=os.path.join(os.path.dirname(REPO), "shared", "eval", "charlm-gpt"))
    parser.add_argument("--llmopt", default=os.environ.get(
        "LLMOPT", os.path.join(REPO, "build", "tools", "llmopt", "llmopt")))
    parser.add_argument("--max-windows", type=int, default=0,
                        help="evaluation windows (default: all of eval.txt)")
    parser.add_argument("--pairs", type=int, default=30,
                        help="alternating runs of the point and the unpruned model (latency)")
    parser.add_argument("--points", default="",
                        help="a regular expression: only the points whose label matches")
    parser.add_argument("--json-out", help="write every number to this file")
    args = parser.parse_args()
    onnx_path = os.path.join(args.model_dir, "model.onnx")
    calib = os.path.join(args.model_dir, "calib.txt")
    text = os.path.join(args.model_dir, "eval.txt")
    work = tempfile.mkdtemp(prefix="llmopt-structured-")

    base = os.path.join(work, "fp32.llmo")
    run([args.llmopt, "compile", onnx_path, "-o", base])
    base_int8 = os.path.join(work, "int8.llmo")
    run([args.llmopt, "compile", onnx_path, "-o", base_int8, "--quant", "int8"])
    base_params = weight_bytes(args.llmopt, base) // 4
    base_macs = macs_per_token(args.llmopt, onnx_path, [])
    rows = [{"label": "fp32 (unpruned)", "quant": "fp32", "params": base_params,
             "removed": 0.0, "macs_removed": 0.0,
             "bpb": bpb(args.llmopt, base, text, args.max_windows), "latency": 1.0}]
    rows.append({"label": "int8 (unpruned)", "quant": "int8", "params": base_params,
                 "removed": 0.0, "macs_removed": 0.0,
                 "bpb": bpb(args.llmopt, base_int8, text, args.max_windows), "latency": 1.0})
    print(f"baseline: {base_params} parameters, {base_macs} MACs/token, bpb fp32 "
          f"{rows[0]['bpb']:.4f}, int8 {rows[1]['bpb']:.4f}", flush=True)

    for label, flags, twin in POINTS + TEN_PERCENT + EXTRA:
        if args.points and not re.search(args.points, label):
            continue
        if flags[0] == "BUDGET_OF":
            budget = lowrank_budget_of(args.llmopt, onnx_path, flags[1], calib)
            flags = ["--lowrank-budget", f"{budget:.6f}"] + flags[2:]
        flags = flags + ["--calib", calib]
        # The structure (parameters, multiply-adds) is the fp32 compile's; the int8 row has the
        # same.
        structure = {}
        for quant, reference in (("fp32", base), ("int8", base_int8)):
            extra = ["--quant", "int8"] if quant == "int8" else []
            artifact = os.path.join(work, f"point-{quant}.llmo")
            run([args.llmopt, "compile", onnx_path, "-o", artifact, *flags, *extra])
            row = {"label": label, "quant": quant, "twin": twin,
                   "extra": label in {extra[0] for extra in EXTRA}}
            if not structure:
                structure["params"] = weight_bytes(args.llmopt, artifact) // 4
                structure["removed"] = 1 - structure["params"] / base_params
                structure["macs_removed"] = (1 - macs_per_token(args.llmopt, onnx_path, flags) /
                                             base_macs)
            row.update(structure)
            row["bpb"] = bpb(args.llmopt, artifact, text, args.max_windows)
            row["latency"] = latency_ratio(args.llmopt, artifact, reference, args.pairs)
            rows.append(row)
            print(f"{label} {quant}: removed {100 * row['removed']:.1f}% params, "
                  f"{100 * row['macs_removed']:.1f}% MACs, bpb {row['bpb']:.4f}, "
                  f"latency x{row['latency']:.3f}", flush=True)

    base_bpb = {r["quant"]: r["bpb"] for r in rows[:2]}
    print("\n| point | quant | parameters | removed | MACs removed | bits per byte | Δ bpb | "
          "latency (vs unpruned) | latency bar |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    verdicts = []
    for r in rows:
        delta = r["bpb"] / base_bpb[r["quant"]] - 1
        bar = ""
        if r["quant"] == "fp32" and r["macs_removed"] > 0:
            need = 1 - 0.8 * r["macs_removed"]
            ok = r["latency"] <= need
            bar = f"≤ {need:.3f} {'✓' if ok else '✗'}"
            if not r.get("extra"):  # the bars are the grid's
                verdicts.append(ok)
        print(f"| {r['label']} | {r['quant']} | {r['params']} | {100 * r['removed']:.1f}% | "
              f"{100 * r['macs_removed']:.1f}% | {r['bpb']:.4f} | {100 * delta:+.2f}% | "
              f"{r['latency']:.3f} | {bar} |")
    by_label = {(r["label"], r["quant"]): r for r in rows}
    print("\nActivation-aware against plain at the same size:")
    for r in rows:
        if r.get("twin") and (r["twin"], r["quant"]) in by_label:
            other = by_label[(r["twin"], r["quant"])]
            ok = r["bpb"] < other["bpb"]
            verdicts.append(ok)
            print(f"- {r['label']} ({r['quant']}): {r['bpb']:.4f} against {other['bpb']:.4f} "
                  f"{'✓' if ok else '✗'}")
    if (TEN_PERCENT[0][0], "fp32") not in by_label:  # --points left it out
        return 0 if all(verdicts) else 1
    ten = by_label[(TEN_PERCENT[0][0], "fp32")]
    ok = ten["bpb"] / base_bpb["fp32"] - 1 <= 0.05
    verdicts.append(ok)
    print(f"\n10% of the parameters ({TEN_PERCENT[0][0]}: {100 * ten['removed']:.1f}% removed): "
          f"{100 * (ten['bpb'] / base_bpb['fp32'] - 1):+.2f}% bits per byte (bar +5%) "
          f"{'✓' if ok else '✗'}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"rows": rows, "base_macs": base_macs}, f, indent=1)
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
