#!/usr/bin/env python3
"""Determinism and atomicity of `llmopt compile`.

- Determinism: every fixture model compiled with --threads 1 and --threads 2 gives byte-identical
  artifacts.
- Atomicity: a compile interrupted while it writes (SIGTERM, SIGINT) leaves nothing behind, and a
  compile killed outright (SIGKILL, which no program can catch) leaves no file at the output
  path. The model is made large enough (a 4096 x 8192 Gemm weight, 128 MiB) that the artifact
  takes a while to write; the signal is sent once the temporary file appears.

    tests/errors/check_outputs.py [LLMOPT_BIN]

Ends with the line "N passed, M failed"; exits 1 if any check failed.
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("PASS  " if ok else "FAIL  ") + name + ("" if ok else f": {detail}"))


def determinism(llmopt, work):
    for model in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "*", "model.onnx"))):
        name = os.path.basename(os.path.dirname(model))
        if os.path.exists(os.path.join(os.path.dirname(model), "expected_errors.txt")):
            continue
        outputs = []
        for threads in (1, 2):
            out = os.path.join(work, f"{name}-t{threads}.llmo")
            subprocess.run([llmopt, "compile", model, "-o", out, "--threads", str(threads)],
                           check=True, capture_output=True)
            outputs.append(open(out, "rb").read())
        check(f"deterministic {name}: --threads 1 and 2 give the same bytes",
              outputs[0] == outputs[1], "artifacts differ")


def big_model(path):
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((4096, 8192), dtype=np.float32), "w")
    node = helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transB=1)
    graph = helper.make_graph([node], "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8192])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4096])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


def interrupted(llmopt, work, model, sig):
    out_dir = os.path.join(work, f"out-{sig.name}")
    os.mkdir(out_dir)
    out = os.path.join(out_dir, "big.llmo")
    proc = subprocess.Popen([llmopt, "compile", model, "-o", out], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None and not glob.glob(out + ".tmp-*"):
        time.sleep(0.001)
    if proc.poll() is not None:
        check(f"{sig.name} during the write", False, "the compile finished before the temporary file was seen")
        return
    proc.send_signal(sig)
    proc.wait()
    left = sorted(os.listdir(out_dir))
    check(f"{sig.name} during the write: no file at the output path", not os.path.exists(out), left)
    if sig != signal.SIGKILL:
        check(f"{sig.name} during the write: no temporary file either", left == [], left)
        check(f"{sig.name} during the write: the compile reports the signal", proc.returncode == -sig, proc.returncode)


def main():
    llmopt = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "tools", "llmopt", "llmopt"))
    work = tempfile.mkdtemp(prefix="llmopt-outputs-")
    try:
        determinism(llmopt, work)
        model = os.path.join(work, "big.onnx")
        big_model(model)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
            interrupted(llmopt, work, model, sig)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
