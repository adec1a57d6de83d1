#!/usr/bin/env python3
"""The generated CUDA kernels, run on the CPU, compute what the CPU kernels compute.

    tests/cuda/host_emulation.py LLMOPT CXX RUNTIME_LIB FORMAT_LIB FIXTURES_DIR
                                 [--model-dir ../shared/eval/charlm-gpt]

No GPU is needed: the source `llmopt compile --emit cuda` writes is also host C++ (the kernel
library's host emulation, runtime/kernels/cuda/team.cuh: each warp a team of one lane, each grid
a serial loop). For the example MLP, the tiny GPT-2, BERT and Llama fixtures in every precision
(fp32, --quant int8, int8-weight, int4, fp16, bf16) and charlm-gpt in int8 on its window 0: emit the
kernels, build them with tests/cuda/host_emulation.cpp (which launches them op by op with the
OpArgs the CUDA runtime fills, runtime/src/cuda/op_args_fill.h) by CXX against the static runtime,
and compare every output with `llmopt run` of the same model on the CPU: max |diff| / max |ref|
within the mode's tolerance (the two sum in different orders; in W8A8 and int4 a last-bit
difference can move an activation's quantization step).
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOLERANCE = {"fp32": 1e-5, "fp16": 1e-5, "bf16": 1e-5, "int8-weight": 1e-5, "int8": 2e-2,
             "int4": 2e-2}


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return result


def fixture_cases(fixtures, model_dir):
    """(name, model.onnx, case label, [(input name, .npy)], modes) of every model checked."""
    folders = [("mlp", os.path.join(fixtures, "mlp"), "batch5", ["fp32"])]
    for name, modes in (("gpt2", ["fp32", "int8", "int8-weight", "int4", "fp16"]),
                        ("bert", ["fp32", "int8"]),
                        ("llama", ["fp32", "int8", "int4", "bf16"])):
        folders.append((name, os.path.join(fixtures, "transformers", name), "case1", modes))
    cases = []
    for name, folder, case, modes in folders:
        inputs_dir = os.path.join(folder, case, "inputs")
        inputs = [(f[:-4], os.path.join(inputs_dir, f)) for f in sorted(os.listdir(inputs_dir))]
        cases.append((name, os.path.join(folder, "model.onnx"), case, inputs, modes))
    charlm = os.path.join(model_dir, "model.onnx") if model_dir else ""
    if charlm and os.path.exists(charlm):  # its shipped window
        cases.append(("charlm", charlm, "window 0",
                      [("input_ids", os.path.join(model_dir, "input_window0.npy"))], ["int8"]))
    return cases


def compare_dirs(ref_dir, got_dir):
    """The worst max |diff| / max |ref| over the .npy files of ref_dir, and its file (inf for a
    missing file, a shape or dtype mismatch, different integers, or NaN)."""
    worst, worst_file = 0.0, ""
    for f in sorted(os.listdir(ref_dir)):
        ref = np.load(os.path.join(ref_dir, f))
        path = os.path.join(got_dir, f)
        out = np.load(path) if os.path.exists(path) else None
        if out is None or ref.shape != out.shape or ref.dtype != out.dtype:
            err = float("inf")
        elif ref.size == 0:
            err = 0.0
        elif ref.dtype.kind == "f":
            scale = max(float(np.max(np.abs(ref))), 1e-30)
            err = float(np.max(np.abs(out.astype(np.float64) - ref))) / scale
            err = float("inf") if np.isnan(err) else err
        else:
            err = 0.0 if np.array_equal(ref, out) else float("inf")
        if not worst_file or err > worst:
            worst, worst_file = err, f
    return worst, worst_file


def report(label, what, mode, worst, worst_file):
    """Prints the case's line; True when it is within the mode's tolerance."""
    ok = worst <= TOLERANCE[mode]
    print(f"{'ok  ' if ok else 'FAIL'}  {label}: {what}: max |diff| / max |ref| = {worst:.2e} "
          f"(tolerance {TOLERANCE[mode]:.0e}{', worst ' + worst_file if worst_file else ''})")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("llmopt")
    parser.add_argument("cxx")
    parser.add_argument("runtime_lib")
    parser.add_argument("format_lib")
    parser.add_argument("fixtures")
    parser.add_argument("--model-dir", default="")
    args = parser.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="llmopt-cuda-host-") as work:
        for name, model, case, inputs, modes in fixture_cases(args.fixtures, args.model_dir):
            input_args = [f"{n}={p}" for n, p in inputs]
            for mode in modes:
                tag = f"{name}_{mode.replace('-', '_')}"
                quant = [] if mode == "fp32" else ["--quant", mode]
                artifact, source = (os.path.join(work, tag + ext) for ext in (".llmo", ".cu"))
                run([args.llmopt, "compile", model, "-o", artifact, *quant])
                run([args.llmopt, "compile", model, "--emit", "cuda", "-o", source, *quant])
                ref_dir, got_dir = (os.path.join(work, f"{tag}.{d}") for d in ("ref", "got"))
                os.makedirs(got_dir)
                cmd = [args.llmopt, "run", artifact, "--output-dir", ref_dir]
                for i in input_args:
                    cmd += ["--input", i]
                run(cmd)
                exe = os.path.join(work, tag + ".exe")
                run([*shlex.split(args.cxx), "-std=c++17", "-O2", "-pthread",
                     f"-I{REPO}", f"-I{REPO}/runtime/include", f"-I{REPO}/runtime/src",
                     f"-I{REPO}/runtime", "-x", "c++", source, "-x", "none",
                     os.path.join(REPO, "tests/cuda/host_emulation.cpp"),
                     os.path.join(REPO, "tools/llmopt/Npy.cpp"), args.runtime_lib,
                     args.format_lib, "-o", exe])
                got = subprocess.run([exe, artifact, got_dir, *input_args], capture_output=True,
                                     text=True)
                label = f"{name} {mode} ({case})"
                if got.returncode != 0:
                    print(f"FAIL  {label}: the emulated kernels failed: {got.stderr.strip()}")
                    failures += 1
                    continue
                failures += not report(label, "emulated CUDA kernels vs CPU", mode,
                                       *compare_dirs(ref_dir, got_dir))
    print(f"{failures} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
