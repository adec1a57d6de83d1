#!/usr/bin/env python3
"""`llmopt compile --target cuda` end to end, up to the GPU.

    tests/cuda/cuda_artifact.py LLMOPT FIXTURES_DIR

Needs nvcc, no GPU. For the tiny GPT-2 (int8) and Llama (int4) fixtures: the CUDA artifact
compiles (nvcc, for the default sm_80 and sm_90 and for --arch sm_90 alone); `llmopt
inspect` shows its target, architectures and code size and the same ops as the CPU artifact of
the same model; compiling again gives the same bytes; and where there is no CUDA driver (here
forced with LLMOPT_CUDA_DRIVER pointing nowhere), `llmopt run` fails with an error that says so,
and writes no output.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return result


def ops_section(inspect_text):
    """The inspect output from its op counts on (the same for both targets)."""
    return inspect_text[inspect_text.index("\nops:"):]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("llmopt")
    parser.add_argument("fixtures")
    args = parser.parse_args()
    failures = []

    def check(ok, what):
        print(f"{'ok  ' if ok else 'FAIL'}  {what}")
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory(prefix="llmopt-cuda-artifact-") as work:
        for name, quant, archs in (("gpt2", "int8", None), ("llama", "int4", "sm_90")):
            folder = os.path.join(args.fixtures, "transformers", name)
            model = os.path.join(folder, "model.onnx")
            cpu, cuda, again = (os.path.join(work, f"{name}.{t}.llmo")
                                for t in ("cpu", "cuda", "again"))
            arch_args = ["--arch", archs] if archs else []  # --cuda-arch's other name
            expected_archs = archs or "sm_80,sm_90"
            run([args.llmopt, "compile", model, "--quant", quant, "-o", cpu])
            log = run([args.llmopt, "compile", model, "--quant", quant, "--target", "cuda",
                       *arch_args, "-o", cuda]).stderr
            reported = re.search(r"^llmopt: .* -> .*: \d+ ops, CUDA code [0-9.]+ [KM]iB \((.*)\)",
                                 log, re.M)
            check(reported is not None and reported.group(1) == expected_archs.replace(",", ", "),
                  f"{name} {quant}: the compile log reports the CUDA code "
                  f"({reported.group(0) if reported else log.strip()})")
            cpu_inspect = run([args.llmopt, "inspect", cpu]).stdout
            cuda_inspect = run([args.llmopt, "inspect", cuda]).stdout
            target = re.search(r"^target: +(.*)$", cuda_inspect, re.M).group(1)
            check(re.fullmatch(rf"cuda \({expected_archs}, code [0-9]+ bytes\)", target) is not None,
                  f"{name} {quant}: inspect says target '{target}'")
            check(ops_section(cpu_inspect) == ops_section(cuda_inspect),
                  f"{name} {quant}: the CUDA artifact has the CPU artifact's ops")
            run([args.llmopt, "compile", model, "--quant", quant, "--target", "cuda", *arch_args,
                 "-o", again])
            with open(cuda, "rb") as a, open(again, "rb") as b:
                check(a.read() == b.read(), f"{name} {quant}: compiling again gives the same bytes")

            inputs_dir = os.path.join(folder, "case1", "inputs")
            input_args = []
            for f in sorted(os.listdir(inputs_dir)):
                input_args += ["--input", f"{f[:-4]}={os.path.join(inputs_dir, f)}"]
            out_dir = os.path.join(work, f"{name}.out")
            env = dict(os.environ, LLMOPT_CUDA_DRIVER=os.path.join(work, "no-such-libcuda.so"))
            result = subprocess.run([args.llmopt, "run", cuda, "--output-dir", out_dir,
                                     *input_args], capture_output=True, text=True, env=env)
            check(result.returncode != 0 and "CUDA driver" in result.stderr
                  and not os.path.exists(out_dir),
                  f"{name} {quant}: without a driver, run fails cleanly (exit "
                  f"{result.returncode}: {result.stderr.strip()})")
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
