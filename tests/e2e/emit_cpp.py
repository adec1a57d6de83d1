#!/usr/bin/env python3
"""Standalone C++ from `llmopt compile --emit cpp` computes what the artifact computes.

    tests/e2e/emit_cpp.py LLMOPT CXX RUNTIME_LIB FORMAT_LIB FIXTURES_DIR
                          [--emulator CMD --run-npy RUN_NPY] [--model-dir ../shared/eval/charlm-gpt]

For the example MLP and the tiny GPT-2 and Llama fixtures (fp32, --quant int8, --quant int4,
the weights in a .weights file or embedded with --embed-weights), and charlm-gpt in int8 on its
window 0 when --model-dir holds it: compile the artifact and run it
with `llmopt run` (or, for another target, with RUN_NPY: tests/cross/run_npy.cpp built for it,
under --emulator); emit C++ for the case's input shapes; build the emitted code with
examples/emit_cpp/main.cpp by CXX against the static runtime (RUNTIME_LIB, FORMAT_LIB: the
libraries of the same source tree, built for CXX's target); run it (under --emulator) and
compare every output with the artifact's on the same target: they must be identical, since the
emitted code replays the artifact's plan on the same kernels. (Across targets they are not: the
NEON kernels round differently, and in int8 a last-bit difference can move an activation's
quantization step, 2.4e-3 of charlm-gpt's logits.)
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return result


def file_bytes(path):
    """The file's bytes, or None when it is missing."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("llmopt")
    parser.add_argument("cxx")
    parser.add_argument("runtime_lib")
    parser.add_argument("format_lib")
    parser.add_argument("fixtures")
    parser.add_argument("--emulator", default="")
    parser.add_argument("--run-npy", default="", help="runs the artifact on the emulated target")
    parser.add_argument("--model-dir", default="")
    args = parser.parse_args()
    # (name, folder, case, mode, embed)
    cases = [("mlp", os.path.join(args.fixtures, "mlp"), "batch5", "fp32", False)]
    for name, modes in (("gpt2", [("fp32", False), ("int8", True)]),
                        ("llama", [("fp32", True), ("int4", False)])):
        for mode, embed in modes:
            cases.append((name, os.path.join(args.fixtures, "transformers", name), "case1", mode,
                          embed))
    charlm = os.path.join(args.model_dir, "model.onnx") if args.model_dir else ""
    if charlm and os.path.exists(charlm):
        cases.append(("charlm", args.model_dir, None, "int8", False))
    failures = 0
    with tempfile.TemporaryDirectory(prefix="llmopt-emit-cpp-") as work:
        for name, folder, case, mode, embed in cases:
            label = f"{name} {mode}{' embedded' if embed else ''}"
            tag = f"{name}_{mode}{'_embedded' if embed else ''}"
            if case is None:  # charlm-gpt: its shipped window
                window = os.path.join(folder, "input_window0.npy")
                case, inputs = "window 0", [("input_ids", window)]
            else:
                inputs_dir = os.path.join(folder, case, "inputs")
                inputs = [(f[:-4], os.path.join(inputs_dir, f))
                          for f in sorted(os.listdir(inputs_dir))]
            quant = [] if mode == "fp32" else ["--quant", mode]
            model = os.path.join(folder, "model.onnx")
            artifact = os.path.join(work, f"{tag}.llmo")
            run([args.llmopt, "compile", model, "-o", artifact, *quant])
            ref_dir, got_dir = os.path.join(work, f"{tag}.ref"), os.path.join(work, f"{tag}.got")
            os.makedirs(got_dir)
            if args.run_npy:
                os.makedirs(ref_dir)
                run([*shlex.split(args.emulator), args.run_npy, artifact, ref_dir,
                     *[f"{n}={p}" for n, p in inputs]])
            else:
                cmd = [args.llmopt, "run", artifact, "--output-dir", ref_dir]
                for input_name, path in inputs:
                    cmd += ["--input", f"{input_name}={path}"]
                run(cmd)

            base = os.path.join(work, tag)
            shapes = []
            for input_name, path in inputs:
                shapes += ["--shape", f"{input_name}=" + "x".join(map(str, np.load(path).shape))]
            run([args.llmopt, "compile", model, "--emit", "cpp", "-o", base, *quant, *shapes,
                 *(["--embed-weights"] if embed else [])])
            sources = [base + ".cpp"] + ([base + "_weights.cpp"] if embed else [])
            exe = base + ".exe"
            run([*shlex.split(args.cxx), "-std=c++17", "-O2", "-pthread",
                 f"-I{work}", f"-I{REPO}", f"-I{REPO}/runtime/include", f"-I{REPO}/runtime/src",
                 f"-I{REPO}/runtime", f'-DLLMOPT_EMITTED_HEADER="{tag}.h"',
                 f"-DLLMOPT_EMITTED_NS={tag}", os.path.join(REPO, "examples/emit_cpp/main.cpp"),
                 os.path.join(REPO, "tools/llmopt/Npy.cpp"), *sources, args.runtime_lib,
                 args.format_lib, "-o", exe])
            weights = "-" if embed else base + ".weights"
            got = subprocess.run([*shlex.split(args.emulator), exe, weights, got_dir,
                                  *[f"{n}={p}" for n, p in inputs], "--threads", "2"],
                                 capture_output=True, text=True)
            if got.returncode != 0:
                print(f"FAIL  {label}: the emitted program failed: {got.stderr.strip()}")
                failures += 1
                continue
            # Identical, bit for bit (both .npy files come from tools/llmopt/Npy.cpp): the same
            # plan on the same kernels.
            differing = [f for f in sorted(os.listdir(ref_dir))
                         if file_bytes(os.path.join(ref_dir, f))
                         != file_bytes(os.path.join(got_dir, f))]
            failures += bool(differing)
            print(f"{'FAIL' if differing else 'ok  '}  {label} ({case}): emitted C++ vs artifact: "
                  f"{'differ in ' + ', '.join(differing) if differing else 'identical'}")
    print(f"{failures} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
