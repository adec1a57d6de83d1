#!/usr/bin/env python3
"""On a GPU: every fixture compiled for CUDA gives the CPU artifact's outputs.

    tests/cuda/gpu_e2e.py LLMOPT FIXTURES_DIR [--model-dir ../shared/eval/charlm-gpt]

Exits 77 (ctest: skipped) where there is no CUDA driver or device. Otherwise, for the example
MLP, the tiny GPT-2, BERT and Llama fixtures in every precision and charlm-gpt in int8: compile
for the CPU and with `--target cuda`, run both with `llmopt run` on the same inputs (the CUDA
artifact twice: op by op, and as a CUDA graph with --cuda-graphs), and compare every output:
max |diff| / max |ref| within the mode's tolerance (as tests/cuda/host_emulation.py, which checks
the same kernels on the CPU).
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_probe import gpu_available  # noqa: E402
from host_emulation import compare_dirs, fixture_cases, report  # noqa: E402


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return result


def check_case(llmopt, work, name, model, case, input_args, mode, cuda_arch):
    """(label, mode, worst relative error, its file or the error) of one fixture in one mode."""
    label = f"{name} {mode} ({case})"
    try:
        return (label, mode, *run_case(llmopt, work, name, model, input_args, mode, cuda_arch))
    except RuntimeError as e:
        return (label, mode, float("inf"), str(e))


def run_case(llmopt, work, name, model, input_args, mode, cuda_arch):
    tag = f"{name}_{mode.replace('-', '_')}"
    quant = [] if mode == "fp32" else ["--quant", mode]
    outs = {}
    for target in ("cpu", "cuda"):
        artifact = os.path.join(work, f"{tag}.{target}.llmo")
        arch = ["--cuda-arch", cuda_arch] if target == "cuda" and cuda_arch else []
        run([llmopt, "compile", model, "-o", artifact, "--target", target, *arch, *quant])
        outs[target] = os.path.join(work, f"{tag}.{target}.out")
        run([llmopt, "run", artifact, "--output-dir", outs[target], *input_args])
        if target == "cuda":
            outs["graph"] = os.path.join(work, f"{tag}.graph.out")
            run([llmopt, "run", artifact, "--cuda-graphs", "--output-dir", outs["graph"],
                 *input_args])
    # The worse of the two CUDA runs, the graph's file marked.
    err, where = compare_dirs(outs["cpu"], outs["cuda"])
    graph_err, graph_where = compare_dirs(outs["cpu"], outs["graph"])
    return (graph_err, f"{graph_where} (CUDA graph)") if graph_err > err else (err, where)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("llmopt")
    parser.add_argument("fixtures")
    parser.add_argument("--model-dir", default="")
    parser.add_argument("--cuda-arch", default="",
                        help="--cuda-arch of the CUDA compiles (default: the compiler's)")
    parser.add_argument("--jobs", type=int, default=1, help="cases checked at once (default 1)")
    args = parser.parse_args()
    available, what = gpu_available()
    if not available:
        print(f"skipped: {what}")
        return 77
    print(f"GPU: {what}")
    with tempfile.TemporaryDirectory(prefix="llmopt-cuda-gpu-") as work:
        cases = []
        for name, model, case, inputs, modes in fixture_cases(args.fixtures, args.model_dir):
            input_args = [a for n, p in inputs for a in ("--input", f"{n}={p}")]
            cases += [(name, model, case, input_args, mode) for mode in modes]
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            results = list(pool.map(lambda c: check_case(args.llmopt, work, *c, args.cuda_arch),
                                    cases))
    failures = sum(not report(label, "CUDA vs CPU", mode, err, where)
                   for label, mode, err, where in results)
    print(f"{failures} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
