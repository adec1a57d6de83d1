#!/usr/bin/env python3
"""A kit to check the CUDA artifacts on a GPU machine that cannot build llmopt.

    tests/cuda/device_kit.py make LLMOPT RUN_NPY KIT_DIR [--model-dir ../shared/eval/charlm-gpt]
    tests/cuda/device_kit.py check KIT_DIR

The GPU machines lent to sessions (the `device` tool) have the CUDA driver, numpy and this
repository's files, but not LLVM/MLIR, protobuf or ONNX, so they cannot build the compiler.
`make` (here) compiles every fixture of tests/cuda/host_emulation.py for the CUDA target
(sm_90: H100 and H200), runs the same models compiled for the CPU with `llmopt run` for the
references, and copies RUN_NPY (tests/cross/run_npy.cpp linked with the static runtime and
libstdc++: `llmopt_cuda_run_npy`) and the inputs into KIT_DIR, about 30 MB. `check` (there, with
KIT_DIR carried) runs each CUDA artifact with that runner and compares its outputs with the
references within the host emulation's tolerances; it exits 77 when there is no GPU.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_probe import gpu_available  # noqa: E402
from host_emulation import compare_dirs, fixture_cases, report  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return result


def make(args):
    if os.path.exists(args.kit):
        shutil.rmtree(args.kit)
    os.makedirs(args.kit)
    shutil.copy(args.run_npy, os.path.join(args.kit, "run_npy"))
    cases = []
    for name, model, case, inputs, modes in fixture_cases(
            os.path.join(REPO, "tests", "fixtures"), args.model_dir):
        for mode in modes:
            tag = f"{name}_{mode.replace('-', '_')}"
            folder = os.path.join(args.kit, tag)
            os.makedirs(os.path.join(folder, "inputs"))
            kit_inputs = []
            for input_name, path in inputs:
                shutil.copy(path, os.path.join(folder, "inputs", input_name + ".npy"))
                kit_inputs.append(input_name)
            quant = [] if mode == "fp32" else ["--quant", mode]
            cpu = os.path.join(folder, "cpu.llmo")
            run([args.llmopt, "compile", model, "-o", cpu, *quant])
            run([args.llmopt, "run", cpu, "--output-dir", os.path.join(folder, "ref"),
                 *[a for n in kit_inputs
                   for a in ("--input", f"{n}={os.path.join(folder, 'inputs', n + '.npy')}")]])
            os.remove(cpu)
            run([args.llmopt, "compile", model, "-o", os.path.join(folder, "cuda.llmo"), *quant,
                 "--target", "cuda", "--cuda-arch", "sm_90"])
            cases.append({"tag": tag, "label": f"{name} {mode} ({case})", "mode": mode,
                          "inputs": kit_inputs})
            print(f"made  {tag}")
    with open(os.path.join(args.kit, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.kit) for f in fs)
    print(f"{args.kit}: {len(cases)} cases, {size / 2**20:.1f} MiB")
    return 0


def check(args):
    available, what = gpu_available()
    if not available:
        print(f"skipped: {what}")
        return 77
    print(f"GPU: {what}")
    with open(os.path.join(args.kit, "cases.json")) as f:
        cases = json.load(f)
    runner = os.path.join(args.kit, "run_npy")
    failures = 0
    for case in cases:
        folder = os.path.join(args.kit, case["tag"])
        got = os.path.join(folder, "got")
        os.makedirs(got, exist_ok=True)
        result = subprocess.run(
            [runner, os.path.join(folder, "cuda.llmo"), got,
             *[f"{n}={os.path.join(folder, 'inputs', n + '.npy')}" for n in case["inputs"]]],
            capture_output=True, text=True)
        if result.returncode != 0:
            print(f"FAIL  {case['label']}: {result.stderr.strip()}")
            failures += 1
            continue
        failures += not report(case["label"], "CUDA vs CPU", case["mode"],
                               *compare_dirs(os.path.join(folder, "ref"), got))
    print(f"{failures} failed" if failures else "all passed")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make_parser = commands.add_parser("make")
    make_parser.add_argument("llmopt")
    make_parser.add_argument("run_npy")
    make_parser.add_argument("kit")
    make_parser.add_argument("--model-dir", default="")
    check_parser = commands.add_parser("check")
    check_parser.add_argument("kit")
    args = parser.parse_args()
    return make(args) if args.command == "make" else check(args)


if __name__ == "__main__":
    sys.exit(main())
