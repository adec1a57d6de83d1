#!/usr/bin/env python3
"""Artifacts compiled on x86 run on aarch64 (under qemu) and give x86's outputs.

    tests/cross/compare_x86_aarch64.py LLMOPT_X86 RUN_NPY_AARCH64 FIXTURES_DIR [--emulator CMD]

For the example MLP and the tiny GPT-2 and Llama fixtures (fp32, --quant int8, --quant int4):
compile with the x86 llmopt, run with `llmopt run` on x86 and with the aarch64 runtime
(tests/cross/run_npy.cpp, under the emulator) on the same inputs, and compare every output:
max |diff| / max |ref| within 1e-5 (int4 2e-2: its single-token W4A8 kernel rounds activations,
so a last-bit difference upstream can move a quantization step, as tests/e2e/forced_isa.py
allows across x86 variants). The aarch64 build runs its NEON kernels (runtime/kernels/cpu/arm)
and portable ones on the same packed weight layouts; --emulator picks the emulated CPU (with or
without dot products).
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np

TOLERANCE = {"fp32": 1e-5, "int8": 1e-5, "int4": 2e-2}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("llmopt")
    parser.add_argument("run_npy")
    parser.add_argument("fixtures")
    parser.add_argument("--emulator", default="qemu-aarch64 -L /usr/aarch64-linux-gnu")
    args = parser.parse_args()
    cases = [("mlp", os.path.join(args.fixtures, "mlp"), "batch5", ["fp32"])]
    for name in ("gpt2", "llama"):
        cases.append((name, os.path.join(args.fixtures, "transformers", name), "case1",
                      ["fp32", "int8", "int4"]))
    failures = 0
    with tempfile.TemporaryDirectory(prefix="llmopt-cross-") as work:
        for name, folder, case, modes in cases:
            inputs_dir = os.path.join(folder, case, "inputs")
            inputs = [f"{f[:-4]}={os.path.join(inputs_dir, f)}" for f in sorted(os.listdir(inputs_dir))]
            for mode in modes:
                artifact = os.path.join(work, f"{name}.{mode}.llmo")
                quant = [] if mode == "fp32" else ["--quant", mode]
                subprocess.run([args.llmopt, "compile", os.path.join(folder, "model.onnx"), "-o",
                                artifact, *quant], check=True, capture_output=True)
                x86_out, arm_out = (os.path.join(work, f"{name}.{mode}.{a}") for a in ("x86", "arm"))
                os.makedirs(arm_out)
                run = [args.llmopt, "run", artifact, "--output-dir", x86_out]
                for i in inputs:
                    run += ["--input", i]
                subprocess.run(run, check=True, capture_output=True)
                arm = subprocess.run([*shlex.split(args.emulator), args.run_npy, artifact, arm_out,
                                      *inputs], capture_output=True, text=True)
                if arm.returncode != 0:
                    print(f"FAIL  {name} {mode}: aarch64 run failed: {arm.stderr.strip()}")
                    failures += 1
                    continue
                worst = 0.0
                for f in sorted(os.listdir(x86_out)):
                    ref, got = np.load(os.path.join(x86_out, f)), np.load(os.path.join(arm_out, f))
                    if ref.shape != got.shape:
                        worst = float("inf")
                        continue
                    worst = max(worst, float(np.abs(got.astype(np.float64) - ref).max()
                                             / max(np.abs(ref).max(), 1e-30)))
                ok = worst <= TOLERANCE[mode]
                failures += not ok
                print(f"{'ok  ' if ok else 'FAIL'}  {name} {mode} ({case}): aarch64 vs x86 "
                      f"{worst:.2g} (tolerance {TOLERANCE[mode]:g})")
    print(f"{failures} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
