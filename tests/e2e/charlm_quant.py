#!/usr/bin/env python3
"""Quantized compiles of the shared trained model ../shared/eval/charlm-gpt, on a budget.

1. ``llmopt compile model.onnx`` (fp32) and ``llmopt eval --max-windows K --json`` on the first K
   windows of eval.txt (K = 96 by default, 16 with --quick): the baseline bits per byte.
2. For each row of MODES: ``llmopt compile model.onnx FLAGS``, the same eval, and two bars:
   the bpb relative to the fp32 artifact's on the same windows, ``(bpb - bpb_fp32) / bpb_fp32``,
   at most the row's accuracy bar, and the artifact's size at most the row's share of the fp32
   artifact's size.

A row whose compile fails because llmopt does not know one of its NEW_OPTIONS (the SmoothQuant
row's ``--calib`` / ``--smooth``, before they landed) is reported as SKIP; any other compile error
is a failure. The bars are those of bench/bench_quant.py, which checks them on all 781 windows;
on a subset the deltas are noisier, but the bars leave room. Measured with the first build of
the --quant modes (Δ = relative bpb change, 96 windows / 16 windows): int8-weight +0.029% /
+0.024%, int8 +0.066% / +0.090%, int8 + smooth +0.044% / +0.054%, int4 g64 +0.68% / +0.67%,
fp16 -0.0008% / -0.0007%, bf16 +0.0006% / -0.003%; sizes 26.2%, 26.5%, 26.5%, 15.8%, 50.6%,
50.6% of the fp32 artifact. About a minute on 2 busy cores at 96 windows.

Exits 77 (skipped) when the shared model is not there, 1 when a bar or a command failed.

Usage::

    .venv/bin/python tests/e2e/charlm_quant.py [LLMOPT_BIN] [--model-dir DIR] [--max-windows K]
                                              [--quick] [--threads N]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP = 77
CALIB = "{calib}"  # replaced by MODEL_DIR/calib.txt

# (label, extra compile flags, bpb bar: max relative increase vs fp32 in %, size bar: max % of
# the fp32 artifact). Keep in step with bench/bench_quant.py.
MODES = [
    ("int8-weight", ["--quant", "int8-weight"], 0.1, 27),
    ("int8", ["--quant", "int8"], 1.0, 27),
    ("int8 + smooth", ["--quant", "int8", "--calib", CALIB, "--smooth", "0.5"], 0.5, 27),
    ("int4 (group 64)", ["--quant", "int4", "--group-size", "64"], 3.0, 16),
    ("fp16", ["--quant", "fp16"], 0.05, 51),
    ("bf16", ["--quant", "bf16"], 0.05, 51),
]

# Options that the llmopt under test may not have yet: a row whose compile fails because llmopt
# does not know one of these is reported as not available (skipped), not as a failure.
NEW_OPTIONS = ("--calib", "--smooth")
UNKNOWN_OPTION_WORDS = ("not expected", "unknown", "unrecognized", "not recognized", "no such option")


def unknown_options(stderr, flags):
    """The NEW_OPTIONS of a row that a failed compile's message names as unknown (empty: any
    other error, which is a failure)."""
    if not any(word in stderr.lower() for word in UNKNOWN_OPTION_WORDS):
        return []
    return [f for f in flags if f in NEW_OPTIONS and f in stderr]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("llmopt", nargs="?",
                        default=os.path.join(REPO, "build", "tools", "llmopt", "llmopt"))
    parser.add_argument("--model-dir",
                        default=os.path.join(REPO, "..", "shared", "eval", "charlm-gpt"))
    parser.add_argument("--max-windows", type=int, default=96,
                        help="windows of eval.txt to evaluate (default 96)")
    parser.add_argument("--quick", action="store_true",
                        help="16 windows (the sanitizer build, where eval is slow)")
    parser.add_argument("--threads", type=int, default=0, help="eval threads (default: one per core)")
    args = parser.parse_args()
    windows = 16 if args.quick else args.max_windows
    if windows < 1:
        parser.error("--max-windows must be >= 1")
    model_dir = os.path.abspath(args.model_dir)
    onnx_path = os.path.join(model_dir, "model.onnx")
    eval_path = os.path.join(model_dir, "eval.txt")
    calib_path = os.path.join(model_dir, "calib.txt")
    if not os.path.isfile(onnx_path) or not os.path.isfile(eval_path):
        print(f"SKIP  no model.onnx and eval.txt in {model_dir}")
        return SKIP

    failures = 0

    def report(status, what, detail=""):
        nonlocal failures
        failures += status == "FAIL"
        print(f"{status:<4}  {what}" + (f": {detail}" if detail else ""), flush=True)
        return status != "FAIL"

    def llmopt(*argv):
        try:
            proc = subprocess.run([args.llmopt, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, errors="replace", timeout=900)
        except subprocess.TimeoutExpired:
            return None, "", "timed out after 900 s"
        return proc.returncode, proc.stdout, proc.stderr

    def last_line(text):
        lines = [line for line in text.strip().splitlines() if line.strip()]
        return lines[-1] if lines else "(no message)"

    def evaluate(artifact):
        status, out, err = llmopt("eval", artifact, "--bytes", eval_path, "--max-windows", str(windows),
                                  "--threads", str(args.threads), "--json")
        if status != 0:
            return None, f"exit {status}: {last_line(err)}"
        return json.loads(out), None

    table = []
    with tempfile.TemporaryDirectory(prefix="llmopt-charlm-quant-") as work:
        base = os.path.join(work, "fp32.llmo")
        status, _, err = llmopt("compile", onnx_path, "-o", base)
        if not report("PASS" if status == 0 else "FAIL", "compile fp32",
                      "" if status == 0 else f"exit {status}: {last_line(err)}"):
            return 1
        base_size = os.path.getsize(base)
        base_eval, error = evaluate(base)
        if not report("PASS" if base_eval else "FAIL", f"eval fp32 on {windows} windows",
                      error or f"bpb {base_eval['bpb']:.6f}"):
            return 1
        base_bpb = base_eval["bpb"]
        table.append(("fp32", base_bpb, None, None, base_size, 100.0, "baseline"))

        for i, (label, flags, bar, size_bar) in enumerate(MODES):
            flags = [calib_path if f == CALIB else f for f in flags]
            artifact = os.path.join(work, f"mode{i}.llmo")
            status, _, err = llmopt("compile", onnx_path, *flags, "-o", artifact)
            if status != 0:
                unknown = unknown_options(err, flags)
                if unknown:
                    report("SKIP", label, f"llmopt compile does not know {', '.join(unknown)} ({last_line(err)})")
                    table.append((label, None, bar, size_bar, None, None, "SKIP (option unknown)"))
                else:
                    report("FAIL", f"compile {label}", f"exit {status}: {last_line(err)}")
                    table.append((label, None, bar, size_bar, None, None, "FAIL (compile)"))
                continue
            size = os.path.getsize(artifact)
            ratio = 100.0 * size / base_size
            result, error = evaluate(artifact)
            if result is None:
                report("FAIL", f"eval {label}", error)
                table.append((label, None, bar, size_bar, size, ratio, "FAIL (eval)"))
                continue
            delta = 100.0 * (result["bpb"] - base_bpb) / base_bpb
            ok_bpb = report("PASS" if delta <= bar else "FAIL", f"{label} bits per byte",
                            f"{result['bpb']:.6f} vs fp32 {base_bpb:.6f}: {delta:+.4f}% (bar +{bar}%)")
            ok_size = report("PASS" if ratio <= size_bar else "FAIL", f"{label} size",
                             f"{size} bytes = {ratio:.1f}% of fp32 (bar {size_bar}%)")
            table.append((label, result["bpb"], bar, size_bar, size, ratio,
                          "PASS" if ok_bpb and ok_size else "FAIL"))

    print()
    print(f"charlm-gpt, first {windows} windows of eval.txt ({windows * 256} predictions):")
    print()
    print("| mode | bpb | Δ vs fp32 | bar | size (bytes) | size ratio | size bar | verdict |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, bpb, bar, size_bar, size, ratio, verdict in table:
        delta = "" if bpb is None or bar is None else f"{100.0 * (bpb - base_bpb) / base_bpb:+.4f}%"
        print(f"| {label} | {'' if bpb is None else f'{bpb:.6f}'} | {delta} | "
              f"{'' if bar is None else f'+{bar}%'} | {'' if size is None else size} | "
              f"{'' if ratio is None else f'{ratio:.1f}%'} | {'' if size_bar is None else f'{size_bar}%'} | "
              f"{verdict} |")
    print()
    print("charlm quant: " + ("all passed" if failures == 0 else f"{failures} failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
