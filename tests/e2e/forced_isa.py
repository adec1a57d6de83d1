#!/usr/bin/env python3
"""The forced instruction-set switch (LLMOPT_ISA) on real models: every kernel variant gives the
same outputs.

For the tiny GPT-2 and Llama fixtures (tests/fixtures/transformers) compiled in fp32, --quant int8
(W8A8) and --quant int4, and for input_ids of 1 token (the single-token GEMV paths) and of the
fixture's case0 (the GEMM paths):

1. ``llmopt inspect`` under each LLMOPT_ISA value (scalar, avx2, avxvnni, avx512vnni, amx) must
   name the forced variant of every kernel family the CPU can run (from /proc/cpuinfo's flags),
   and never one it cannot;
2. ``llmopt run`` under each value must give outputs within 1e-5 (relative L2) of the run with
   the best variants for fp32 and int8: the W8A8 kernels are exact in their integer sums, so
   only the order of float additions (and libm against vector exp/erf) may differ. int4 gets
   2e-2: its single-token GEMV quantizes every layer's input to int8 per group, and the last-bit
   differences between variants (the summation order of the fp32 GEMV of a layer whose k is not
   a multiple of 16, the W4A8 epilogue) move an input across a rounding boundary now and then;
   in the random-weight tiny Llama one such step grows to about 5e-3 at the logits. The kernel
   tests (tests/unit/runtime/test_qlinear.cpp) hold every variant to 1e-5 of the reference.

Usage::

    .venv/bin/python tests/e2e/forced_isa.py [LLMOPT_BIN] [FIXTURES_DIR]

Exits 1 when a check fails.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = ("gpt2", "llama")
# (mode, compile flags, bound on the relative L2 difference from the best variants' outputs)
MODES = (("fp32", [], 1e-5), ("int8", ["--quant", "int8"], 1e-5),
         ("int4", ["--quant", "int4"], 2e-2))

# LLMOPT_ISA value -> (the CPU flags it needs, the variant each family must then report). A
# family with no variant for that ISA (qdecode has no AVX-VNNI one) reports its best instead.
ISAS = {
    "scalar": ((), {"gemm": "baseline", "qgemm": "scalar", "qdecode": "portable",
                    "vmath": "scalar", "attention": "scalar"}),
    "avx2": (("avx2", "fma", "f16c"), {"gemm": "avx2", "qgemm": "avx2", "qdecode": "avx2",
                                       "vmath": "avx2", "attention": "avx2"}),
    "avxvnni": (("avx2", "fma", "avx_vnni"), {"qgemm": "avxvnni"}),
    "avx512vnni": (("avx512f", "avx512bw", "avx512vl", "avx512_vnni", "f16c"),
                   {"gemm": "avx512", "qgemm": "avx512vnni", "qdecode": "avx512",
                    "vmath": "avx512", "attention": "avx512"}),
    "amx": (("avx512_vnni", "amx_int8", "amx_tile"), {"qgemm": "amx"}),
}


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def run(argv, isa=None):
    env = dict(os.environ)
    env.pop("LLMOPT_ISA", None)
    if isa:
        env["LLMOPT_ISA"] = isa
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} (LLMOPT_ISA={isa}): exit {proc.returncode}: "
                           f"{proc.stderr.strip()}")
    return proc.stdout


def kernel_variants(llmopt, artifact, isa):
    for line in run([llmopt, "inspect", artifact], isa).splitlines():
        if line.startswith("kernels:"):
            return dict(item.split("=", 1) for item in line.split(":", 1)[1].split())
    raise RuntimeError("llmopt inspect printed no 'kernels:' line")


def rel_l2(got, ref):
    ref64 = ref.astype(np.float64)
    norm = np.linalg.norm(ref64.ravel())
    diff = np.linalg.norm((got.astype(np.float64) - ref64).ravel())
    return float(diff / norm) if norm > 0 else float(diff)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("llmopt", nargs="?",
                        default=os.path.join(REPO, "build", "tools", "llmopt", "llmopt"))
    parser.add_argument("fixtures", nargs="?",
                        default=os.path.join(REPO, "tests", "fixtures", "transformers"))
    args = parser.parse_args()
    llmopt = os.path.abspath(args.llmopt)
    flags = cpu_flags()
    failures = 0

    def fail(message):
        nonlocal failures
        failures += 1
        print(f"FAIL  {message}", flush=True)

    with tempfile.TemporaryDirectory(prefix="llmopt-isa-") as work:
        # 1. The switch itself, on one artifact.
        probe = os.path.join(work, "probe.llmo")
        run([llmopt, "compile", os.path.join(args.fixtures, "gpt2", "model.onnx"), "-o", probe])
        best = kernel_variants(llmopt, probe, None)
        print(f"best variants: {best}")
        for isa, (needs, expected) in ISAS.items():
            got = kernel_variants(llmopt, probe, isa)
            if all(flag in flags for flag in needs):
                wrong = {k: v for k, v in expected.items() if got.get(k) != v}
                if wrong:
                    fail(f"LLMOPT_ISA={isa}: expected {expected}, got {got}")
                else:
                    print(f"ok    LLMOPT_ISA={isa}: {got}")
            else:
                # The CPU cannot run it: the families fall back to what they run best.
                if got != best:
                    fail(f"LLMOPT_ISA={isa} (unsupported here): expected {best}, got {got}")
                else:
                    print(f"ok    LLMOPT_ISA={isa}: not supported by this CPU, best variants kept")

        # 2. Same outputs under every ISA.
        for name in MODELS:
            fixture = os.path.join(args.fixtures, name)
            ids = np.load(os.path.join(fixture, "case0", "inputs", "input_ids.npy"))
            inputs = {"prompt": ids, "token": np.ascontiguousarray(ids[:1, :1])}
            for shape_name, value in inputs.items():
                np.save(os.path.join(work, f"{name}_{shape_name}.npy"), value)
            for mode, mode_flags, tolerance in MODES:
                artifact = os.path.join(work, f"{name}_{mode}.llmo")
                run([llmopt, "compile", os.path.join(fixture, "model.onnx"), "-o", artifact]
                    + mode_flags)
                for shape_name in inputs:
                    input_file = os.path.join(work, f"{name}_{shape_name}.npy")
                    outputs = {}
                    for isa in [None] + list(ISAS):
                        out_dir = os.path.join(work, f"{name}_{mode}_{shape_name}_{isa or 'best'}")
                        run([llmopt, "run", artifact, "--input", f"input_ids={input_file}",
                             "--output-dir", out_dir], isa)
                        outputs[isa] = {f: np.load(os.path.join(out_dir, f))
                                        for f in sorted(os.listdir(out_dir))}
                    for isa in ISAS:
                        worst = max(rel_l2(outputs[isa][f], outputs[None][f])
                                    for f in outputs[None])
                        what = f"{name} {mode} {shape_name} LLMOPT_ISA={isa}"
                        if worst > tolerance:
                            fail(f"{what}: relative difference {worst:.2e} > {tolerance:g}")
                        else:
                            print(f"ok    {what}: {worst:.1e}")
    if failures:
        print(f"{failures} failed")
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
