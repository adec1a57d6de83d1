#!/usr/bin/env python3
"""End-to-end check on the shared evaluation model ../shared/eval/charlm-gpt (see its README).

1. ``llmopt compile model.onnx`` (default pipeline, fp32).
2. Window 0: ``llmopt run`` on ``input_window0.npy`` against ``reference_logits_window0.npy``
   (ONNX Runtime fp32): max |Δlogit| <= 1e-3 (the README's acceptance) and max relative error
   ``|Δ| / max(1, |ref|)`` <= 1e-4.
3. One artifact, several shapes: [batch, seq] = [1, 1], [1, 17], [3, 100], [2, 256] on random
   bytes, against ONNX Runtime run here, relative error <= 1e-4.
4. A sequence longer than the model's tables (seq 300 > 256 positions) fails with an error that
   names the op reading past its table: the positional-embedding Gather (the causal-mask Slice
   when attention is not fused) — not a crash, not garbage.
5. ``llmopt eval --bytes eval.txt --json``: bits per byte within 1e-4 of the README's ONNX Runtime
   fp32 number (results.json, ``ort_fp32.bpb``).
6. ``llmopt eval --decode`` on the first 20 windows (each through the KV cache, one step per byte)
   gives the forward pass's bits per byte within 1e-6.

Exits 77 (skipped) when the shared model is not there.

Usage::

    .venv/bin/python tests/e2e/charlm_gpt.py [LLMOPT_BIN] [--model-dir DIR] [--skip-eval]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP = 77


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("llmopt", nargs="?",
                        default=os.path.join(REPO, "build", "tools", "llmopt", "llmopt"))
    parser.add_argument("--model-dir",
                        default=os.path.join(REPO, "..", "shared", "eval", "charlm-gpt"))
    parser.add_argument("--skip-eval", action="store_true", help="skip the full eval (step 5)")
    args = parser.parse_args()
    model_dir = os.path.abspath(args.model_dir)
    onnx_path = os.path.join(model_dir, "model.onnx")
    if not os.path.isfile(onnx_path):
        print(f"SKIP  no model at {onnx_path}")
        return SKIP

    failures = 0

    def report(ok, what, detail=""):
        nonlocal failures
        failures += 0 if ok else 1
        print(f"{'PASS' if ok else 'FAIL'}  {what}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def llmopt(*argv):
        proc = subprocess.run([args.llmopt, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, errors="replace", timeout=600)
        return proc.returncode, proc.stdout, proc.stderr

    with tempfile.TemporaryDirectory(prefix="llmopt-charlm-") as work:
        artifact = os.path.join(work, "charlm.llmo")
        status, _, err = llmopt("compile", onnx_path, "-o", artifact)
        if not report(status == 0, "compile charlm-gpt", err.strip().splitlines()[-1] if err else ""):
            return 1

        def run(ids, name):
            in_path = os.path.join(work, f"{name}.npy")
            out_dir = os.path.join(work, name)
            np.save(in_path, ids)
            status, _, err = llmopt("run", artifact, "--input", f"input_ids={in_path}",
                                    "--output-dir", out_dir)
            if status != 0:
                return None, err
            return np.load(os.path.join(out_dir, "logits.npy")), err

        def rel_err(got, ref):
            return float((np.abs(got.astype(np.float64) - ref) / np.maximum(1.0, np.abs(ref))).max())

        ids0 = np.load(os.path.join(model_dir, "input_window0.npy"))
        ref0 = np.load(os.path.join(model_dir, "reference_logits_window0.npy"))
        got0, err = run(ids0, "window0")
        if report(got0 is not None, "run window 0", err.strip()):
            abs_err = float(np.abs(got0 - ref0).max())
            report(abs_err <= 1e-3 and rel_err(got0, ref0) <= 1e-4, "window 0 logits",
                   f"max |Δ| {abs_err:.3g}, max rel {rel_err(got0, ref0):.3g}")

        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        rng = np.random.default_rng(7)
        for batch, seq in [(1, 1), (1, 17), (3, 100), (2, 256)]:
            ids = rng.integers(0, 256, size=(batch, seq), dtype=np.int64)
            got, err = run(ids, f"shape_{batch}x{seq}")
            if not report(got is not None, f"run [{batch}, {seq}]", err.strip()):
                continue
            ref = session.run(["logits"], {"input_ids": ids})[0]
            ok = got.shape == ref.shape and rel_err(got, ref) <= 1e-4
            report(ok, f"[{batch}, {seq}] vs ONNX Runtime",
                   f"shape {got.shape}" + (f", max rel {rel_err(got, ref):.3g}"
                                           if got.shape == ref.shape else f" vs {ref.shape}"))

        got, err = run(np.zeros((1, 300), np.int64), "too_long")
        report(got is None and ("/wpe/Gather" in err or "Slice" in err)
               and "Segmentation" not in err,
               "seq 300 is refused, naming the op that reads past its table",
               err.strip().splitlines()[-1] if err else "")

        if not args.skip_eval:
            baseline = json.load(open(os.path.join(model_dir, "results.json")))["ort_fp32"]["bpb"]
            status, out, err = llmopt("eval", artifact, "--bytes",
                                      os.path.join(model_dir, "eval.txt"), "--json")
            if report(status == 0, "llmopt eval", err.strip().splitlines()[-1] if status else ""):
                result = json.loads(out)
                delta = result["bpb"] - baseline
                report(abs(delta) <= 1e-4, "bits per byte vs ONNX Runtime fp32",
                       f"{result['bpb']:.6f} vs {baseline:.6f} (Δ {delta:+.2e}), "
                       f"{result['windows']} windows in {result['seconds']:.1f} s")
        scores = {}
        for mode in ("forward", "decode"):
            status, out, err = llmopt("eval", artifact, "--bytes", os.path.join(model_dir, "eval.txt"),
                                      "--max-windows", "20", "--json",
                                      *(["--decode"] if mode == "decode" else []))
            if report(status == 0, f"llmopt eval ({mode}, 20 windows)",
                      err.strip().splitlines()[-1] if status else ""):
                scores[mode] = json.loads(out)["bpb"]
        if len(scores) == 2:
            delta = scores["decode"] - scores["forward"]
            report(abs(delta) <= 1e-6, "bits per byte decoded through the KV cache vs the forward pass",
                   f"{scores['decode']:.8f} vs {scores['forward']:.8f} (Δ {delta:+.2e})")
    print("charlm-gpt: " + ("all passed" if failures == 0 else f"{failures} failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
