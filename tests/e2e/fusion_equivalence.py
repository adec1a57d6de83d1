#!/usr/bin/env python3
"""Fused and unfused compiles of the same model give the same outputs.

For each transformer fixture (tests/fixtures/transformers/<model>, its case<K>/inputs) and, when
../shared is present, charlm-gpt (input_window0.npy): ``llmopt compile`` with the default
pipeline and with every fusion disabled (``--disable-fusion NAME`` for each name the CLI lists),
``llmopt run`` both on the same inputs, and for every output

    rel = max |fused - unfused| / max(1e-30, max |unfused|)

must be at most 1e-5 (fp32). Also checks which ops are left: the fused artifacts of charlm-gpt
and of the GPT-2 fixture have ``attention_f32`` ops and no softmax, erf, tanh or pow op
(``llmopt inspect``), and no fused artifact has more ops than its unfused twin.

The decomposed-LayerNorm fixtures (tests/fixtures/decomposed_layernorm/<model>, LayerNorm written
out as ReduceMean/Sub/Pow or Mul/Sqrt/Div or Reciprocal ops) go through the same comparison, and
besides: the fused IR (``llmopt compile --emit mlir -o -``) has an ``llmopt.layer_norm`` and no
``llmopt.reduce_mean`` left, and both compiles' outputs are within 1e-5 (same measure) of ONNX
Runtime's reference outputs (``case<K>/outputs``).

Prints one line per check and ``N passed, M failed``; exits 1 if any failed.

Usage::

    .venv/bin/python tests/e2e/fusion_equivalence.py [LLMOPT_BIN] [FIXTURES_DIR] [--model-dir DIR]
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUSIONS = ("gelu-erf", "gelu-tanh", "silu", "attention", "rms-norm", "layer-norm",
           "epilogue-activation", "epilogue-residual", "packed-qkv", "packed-gate-up")
TOL = 1e-5
# Models whose every block fuses: norm, one packed QKV projection, packed attention reading it in
# place, projections with the residual add in their epilogue, the MLP's activation in its up
# projection (SwiGLU: gate and up packed into one layer); no standalone softmax, erf, tanh, pow,
# mean, GELU or SiLU left, no slices of q, k, v, no elementwise products, and no adds but the
# embeddings' (GPT-2, charlm-gpt). (BERT's pooler keeps its tanh.)
FULLY_FUSED = ("charlm-gpt", "gpt2", "llama")
UNFUSED_KERNELS = ("softmax_f32", "erf_f32", "tanh_f32", "pow_f32", "reduce_mean_f32", "gelu_f32",
                   "gelu_tanh_f32", "silu_f32", "sigmoid_f32")


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def max_rel(a, b):
    """max |a - b| / max |b| in float64, inf when the shapes differ."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a - b).max() / max(1e-30, float(np.abs(b).max())))


def kernel_counts(llmopt, artifact):
    out = subprocess.run([llmopt, "inspect", artifact], capture_output=True, text=True, check=True)
    counts, in_ops = {}, False
    for line in out.stdout.splitlines():
        if line.startswith("ops:"):
            in_ops = True
            continue
        if in_ops:
            m = re.match(r"^\s+([a-z0-9_]+)\s+(\d+)$", line)
            if not m:
                break
            counts[m.group(1)] = int(m.group(2))
    return counts


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

    def cases_of(d, what="inputs"):
        return [{os.path.basename(p)[:-4]: p for p in glob.glob(os.path.join(c, what, "*.npy"))}
                for c in sorted(glob.glob(os.path.join(d, "case*")))]

    models = []  # (label, onnx, [ {input name: npy path} ])
    for name in ("gpt2", "bert", "llama"):
        d = os.path.join(args.fixtures, "transformers", name)
        models.append((name, os.path.join(d, "model.onnx"), cases_of(d)))
    # label -> [ {output file name: ONNX Runtime's npy} ] per case, checked against both compiles.
    references = {}
    for d in sorted(glob.glob(os.path.join(args.fixtures, "decomposed_layernorm", "*", ""))):
        label = "decomposed_layernorm/" + os.path.basename(os.path.dirname(d))
        models.append((label, os.path.join(d, "model.onnx"), cases_of(d)))
        references[label] = cases_of(d, "outputs")
    check(len(references) == 2, f"decomposed_layernorm fixtures: {len(references)} of 2 found")
    charlm = os.path.join(args.model_dir, "model.onnx")
    if os.path.isfile(charlm):
        models.append(("charlm-gpt", charlm,
                       [{"input_ids": os.path.join(args.model_dir, "input_window0.npy")}]))

    work = tempfile.mkdtemp(prefix="llmopt-fusion-")
    try:
        for label, onnx_path, cases in models:
            artifacts = {}
            for variant, flags in (("fused", []),
                                   ("unfused", sum((["--disable-fusion", f] for f in FUSIONS), []))):
                artifact = os.path.join(work, f"{safe_name(label)}-{variant}.llmo")
                r = subprocess.run([args.llmopt, "compile", onnx_path, "-o", artifact, *flags],
                                   capture_output=True, text=True)
                if check(r.returncode == 0, f"{label}: compile {variant} {r.stderr.strip()[-200:]}"):
                    artifacts[variant] = artifact
            if len(artifacts) != 2:
                continue
            fused = kernel_counts(args.llmopt, artifacts["fused"])
            unfused = kernel_counts(args.llmopt, artifacts["unfused"])
            if label in FULLY_FUSED:
                check(fused.get("attention_f32", 0) > 0,
                      f"{label}: attention fused ({fused.get('attention_f32', 0)} attention_f32)")
                left = {k: fused[k] for k in UNFUSED_KERNELS if fused.get(k)}
                check(not left, f"{label}: no standalone softmax/erf/tanh/pow/mean/activation left {left or ''}")
                check(not fused.get("slice") and not fused.get("mul_f32")
                      and fused.get("add_f32", 0) <= 1,
                      f"{label}: no slice, no mul, at most the embeddings' add "
                      f"({fused.get('slice', 0)} slice, {fused.get('mul_f32', 0)} mul_f32, "
                      f"{fused.get('add_f32', 0)} add_f32)")
                r = subprocess.run([args.llmopt, "compile", onnx_path, "--emit", "mlir", "-o", "-"],
                                   capture_output=True, text=True)
                packed = r.stdout.count("llmopt.packed_attention")
                check(r.returncode == 0 and packed == fused.get("attention_f32", 0)
                      and "llmopt.attention " not in r.stdout,
                      f"{label}: every attention reads a packed q/k/v ({packed} packed_attention)")
            check(sum(fused.values()) <= sum(unfused.values()),
                  f"{label}: {sum(fused.values())} ops fused, {sum(unfused.values())} unfused")
            if label in references:
                r = subprocess.run([args.llmopt, "compile", onnx_path, "--emit", "mlir", "-o", "-"],
                                   capture_output=True, text=True)
                check(r.returncode == 0 and "llmopt.layer_norm" in r.stdout
                      and "llmopt.reduce_mean" not in r.stdout,
                      f"{label}: fused IR has a layer_norm and no reduce_mean "
                      f"({r.stdout.count('llmopt.layer_norm')} layer_norm, "
                      f"{r.stdout.count('llmopt.reduce_mean')} reduce_mean)")
            for i, inputs in enumerate(cases):
                outs = {}
                for variant, artifact in artifacts.items():
                    out_dir = os.path.join(work, f"{safe_name(label)}-{variant}-{i}")
                    command = [args.llmopt, "run", artifact, "--output-dir", out_dir]
                    for name, path in sorted(inputs.items()):
                        command += ["--input", f"{name}={path}"]
                    r = subprocess.run(command, capture_output=True, text=True)
                    if check(r.returncode == 0, f"{label} case {i}: run {variant} "
                             f"{r.stderr.strip()[-200:]}"):
                        outs[variant] = out_dir
                if len(outs) != 2:
                    continue
                for path in sorted(glob.glob(os.path.join(outs["unfused"], "*.npy"))):
                    name = os.path.basename(path)
                    rel = max_rel(np.load(os.path.join(outs["fused"], name)), np.load(path))
                    check(rel <= TOL,
                          f"{label} case {i} {name[:-4]}: max |fused - unfused| / max|unfused| "
                          f"{rel:.2e} <= {TOL:g}")
                for name, ref_path in sorted(references[label][i].items() if label in references
                                             else []):
                    ref = np.load(ref_path)
                    for variant, out_dir in sorted(outs.items()):
                        rel = max_rel(np.load(os.path.join(out_dir, name + ".npy")), ref)
                        check(rel <= TOL, f"{label} case {i} {name}: max |{variant} - ORT| / "
                              f"max|ORT| {rel:.2e} <= {TOL:g}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
