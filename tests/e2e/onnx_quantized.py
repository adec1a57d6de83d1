#!/usr/bin/env python3
"""Already-quantized ONNX models (ONNX Runtime's tools) compiled and run by llmopt.

For each model of tests/fixtures/onnx_quantized/ (gpt2, bert, llama quantized by ONNX Runtime;
see make_onnx_quantized_fixtures.py there) and each of its two forms:

* ``qdq.onnx`` (QuantizeLinear/DequantizeLinear pairs, int8 weights): llmopt runs the QDQ
  arithmetic itself (fake quantization of activations, int8 weights), so its outputs must equal
  ONNX Runtime's outputs of the same model: ``|y - ref| <= 1e-4 * max(1, max|ref|)``.
* ``dynamic.onnx`` (DynamicQuantizeLinear + MatMulInteger): llmopt runs it as its own W8A8
  (activations quantized per token, not per tensor), so its outputs differ from ONNX Runtime's
  by quantization noise. Against the fp32 reference (tests/fixtures/transformers/<model>/case*/
  outputs) its relative error ``||y - fp32|| / ||fp32||`` must be at most 1.5x ONNX Runtime's
  own error on the same model (measured: 0.8x-1.2x).

Every compile must also print no error, and the artifact must hold int8 layers (``llmopt
inspect`` lists them), not weights dequantized to fp32.

Prints one line per check, then ``N passed, M failed``; exits 1 if any failed.

Usage::

    .venv/bin/python tests/e2e/onnx_quantized.py [LLMOPT_BIN] [FIXTURES_DIR] [--work DIR]
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
MODELS = ("gpt2", "bert", "llama")
QDQ_TOL = 1e-4
DYNAMIC_FACTOR = 1.5


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def rel_error(y, ref):
    y = y.astype(np.float64)
    ref = ref.astype(np.float64)
    return float(np.linalg.norm(y - ref) / max(np.linalg.norm(ref), 1e-30))


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, text):
        print(("PASS " if ok else "FAIL ") + text)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("llmopt", nargs="?",
                        default=os.path.join(REPO, "build", "tools", "llmopt", "llmopt"))
    parser.add_argument("fixtures", nargs="?", default=os.path.join(REPO, "tests", "fixtures"))
    parser.add_argument("--work", help="keep artifacts and outputs here")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="llmopt-onnxq-")
    os.makedirs(work, exist_ok=True)
    checker = Checker()
    try:
        for model in MODELS:
            quantized_dir = os.path.join(args.fixtures, "onnx_quantized", model)
            fp32_dir = os.path.join(args.fixtures, "transformers", model)
            for kind in ("qdq", "dynamic"):
                label = f"{model}/{kind}"
                artifact = os.path.join(work, f"{model}-{kind}.llmo")
                compiled = subprocess.run(
                    [args.llmopt, "compile", os.path.join(quantized_dir, f"{kind}.onnx"), "-o",
                     artifact], capture_output=True, text=True)
                if not checker.check(compiled.returncode == 0 and "error" not in compiled.stderr,
                                     f"{label}: compile ({compiled.stderr.strip()[-300:]})"):
                    continue
                inspected = subprocess.run([args.llmopt, "inspect", artifact],
                                           capture_output=True, text=True)
                int8_layers = len(re.findall(r"\bint8(-weight)?\b", inspected.stdout))
                checker.check(inspected.returncode == 0 and int8_layers > 0,
                              f"{label}: inspect lists {int8_layers} int8 layers")
                own_errors, ort_errors = [], []
                for case in sorted(glob.glob(os.path.join(fp32_dir, "case*"))):
                    name = os.path.basename(case)
                    out_dir = os.path.join(work, f"{model}-{kind}-{name}")
                    shutil.rmtree(out_dir, ignore_errors=True)
                    command = [args.llmopt, "run", artifact, "--output-dir", out_dir]
                    for path in sorted(glob.glob(os.path.join(case, "inputs", "*.npy"))):
                        command += ["--input", f"{os.path.basename(path)[:-4]}={path}"]
                    ran = subprocess.run(command, capture_output=True, text=True)
                    if not checker.check(ran.returncode == 0, f"{label} {name}: run "
                                         f"({ran.stderr.strip()[-300:]})"):
                        continue
                    for fp32_path in sorted(glob.glob(os.path.join(case, "outputs", "*.npy"))):
                        output = os.path.basename(fp32_path)[:-4]
                        got = np.load(os.path.join(out_dir, f"{safe_name(output)}.npy"))
                        ort_ref = np.load(os.path.join(quantized_dir, name, "outputs",
                                                       f"{kind}.{safe_name(output)}.npy"))
                        fp32 = np.load(fp32_path)
                        if kind == "qdq":
                            bound = QDQ_TOL * max(1.0, float(np.abs(ort_ref).max()))
                            worst = float(np.abs(got.astype(np.float64) - ort_ref).max())
                            checker.check(got.shape == ort_ref.shape and worst <= bound,
                                          f"{label} {name} {output}: max |llmopt - ORT| "
                                          f"{worst:.3g} <= {bound:.3g}")
                        else:
                            own_errors.append(rel_error(got, fp32))
                            ort_errors.append(rel_error(ort_ref, fp32))
                if kind == "dynamic" and own_errors:
                    own, ort_error = max(own_errors), max(ort_errors)
                    checker.check(own <= DYNAMIC_FACTOR * ort_error,
                                  f"{label}: error vs fp32 {own:.3e} <= {DYNAMIC_FACTOR} x ONNX "
                                  f"Runtime's {ort_error:.3e} (ratio {own / ort_error:.2f})")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{checker.passed} passed, {checker.failed} failed")
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
