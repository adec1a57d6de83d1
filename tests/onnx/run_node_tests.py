#!/usr/bin/env python3
"""Run the ONNX backend node tests through the llmopt CLI.

Selection: every directory of DATA (default /usr/share/libonnx-testdata/data/node) holding a
``model.onnx`` whose nodes are all in the default ONNX domain with an op type listed in
``tests/onnx/supported_ops.txt`` (one op per line; extend it when the importer learns an op).

Per test and per ``test_data_set_*``:

1. ``input_<i>.pb`` / ``output_<i>.pb`` are read with ``onnx.numpy_helper.to_array`` and named
   after the graph inputs (initializers excluded) and graph outputs, in order; inputs are
   written as ``<name>.npy``.
2. The only model rewrite: the importer needs shape-like operands as compile-time values, so a
   graph input whose every use is one of the operands in ``SHAPE_OPERANDS`` (Reshape ``shape``;
   Slice ``starts``/``ends``/``axes``/``steps``; Expand ``shape``; Tile ``repeats``;
   Unsqueeze/Squeeze ``axes``; ReduceSum ``axes``; Split ``split``; Range ``start``/``limit``/
   ``delta``; ConstantOfShape ``input``; Trilu ``k``; Clip ``min``/``max``) is removed from the
   graph inputs and becomes an initializer holding that data set's value (it is then not passed
   to ``llmopt run``).  A data set whose rewritten model differs from an earlier one compiles
   again.
3. ``llmopt compile model.onnx -o model.llmo``, then ``llmopt run model.llmo --input NAME=FILE.npy
   ... --output-dir DIR``; ``DIR/<name>.npy`` is read for every graph output (``<name>`` maps each
   character outside ``[A-Za-z0-9._-]`` to ``_``).
4. Each output must have exactly the reference's dtype and shape, and values within
   ``|got - ref| <= atol + rtol * |ref|`` with rtol=1e-4, atol=1e-5 (NaN matches NaN), as
   ``np.testing.assert_allclose`` does.

A test passes or fails with a one-line reason (compile error, run error, mismatch with the max
error).  The expected-failure file (``tests/onnx/expected_failures.txt``) lists ``test_name  #
reason`` lines: a listed test that fails is an XFAIL (fine), a listed test that passes is an
UNEXPECTED PASS (a failure, so the list stays true), an unlisted failure is a FAIL.  The run ends
with ``N passed, M failed`` (M counts FAIL and UNEXPECTED PASS; XFAILs are reported on the line
before) and exits with status 1 if M > 0.  ``--update-expected`` rewrites the file from the
current failures (existing reasons kept, the first line of the error for new ones) and exits 0.

Usage::

    .venv/bin/python tests/onnx/run_node_tests.py [LLMOPT_BIN] [--filter REGEX] [-j N] [--list]
"""

import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RTOL = 1e-4
ATOL = 1e-5
DEFAULT_HEADER = """\
# ONNX backend node tests that llmopt is expected to fail, one per line: `test_name  # reason`.
# tests/onnx/run_node_tests.py reports a listed test that fails as XFAIL and a listed test that
# passes as UNEXPECTED PASS (a failure): remove a test from here once it passes.
"""


def file_name(tensor_name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", tensor_name)


def first_line(text):
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return "(no stderr)"
    if lines[0].startswith("Traceback") and len(lines) > 1:
        return lines[-1]
    return lines[0]


def read_list(path):
    """Non-comment lines of a text file, '#' starting a comment."""
    with open(path) as f:
        return [line.split("#", 1)[0].strip() for line in f if line.split("#", 1)[0].strip()]


def read_expected(path):
    """Returns (header comment lines, {test name: reason})."""
    header, entries = [], {}
    if not os.path.exists(path):
        return DEFAULT_HEADER.splitlines(keepends=True), entries
    with open(path) as f:
        for line in f:
            body, _, reason = line.partition("#")
            if body.strip():
                entries[body.split()[0]] = reason.strip()
            elif not entries:
                header.append(line)
    return header, entries


def write_expected(path, header, entries):
    with open(path, "w") as f:
        f.writelines(header)
        width = max((len(name) for name in entries), default=0)
        for name in sorted(entries):
            f.write(f"{name:<{width}}  # {entries[name] or 'fails'}\n")


def select_tests(data_dir, supported):
    """Sorted names of the test directories whose ops are all supported."""
    selected = []
    for name in sorted(os.listdir(data_dir)):
        path = os.path.join(data_dir, name, "model.onnx")
        if not os.path.isfile(path):
            continue
        model = onnx.load(path, load_external_data=False)
        if all(node.domain in ("", "ai.onnx") and node.op_type in supported
               for node in model.graph.node):
            selected.append(name)
    return selected


# --- one test -----------------------------------------------------------------------------------

class TestFailure(Exception):
    """A test failure with its one-line reason."""


def value_kind(value_info):
    kind = value_info.type.WhichOneof("value")
    return "tensor" if kind == "tensor_type" else (kind or "undefined").replace("_type", "")


def read_tensors(paths, values, what, data_set):
    """{name: ndarray, or None for non-tensor values} from .pb files matched to `values` in order."""
    if len(paths) != len(values):
        raise TestFailure(f"runner: {data_set} has {len(paths)} {what} files for "
                          f"{len(values)} graph {what}s")
    arrays = {}
    for path, value in zip(paths, values):
        if value_kind(value) != "tensor":
            arrays[value.name] = None
            continue
        tensor = onnx.TensorProto()
        with open(path, "rb") as f:
            tensor.ParseFromString(f.read())
        arrays[value.name] = numpy_helper.to_array(tensor)
    return arrays


def pb_files(data_set, prefix):
    files = glob.glob(os.path.join(data_set, f"{prefix}_*.pb"))
    return sorted(files, key=lambda p: int(re.search(r"_(\d+)\.pb$", p).group(1)))


# (op type, input index) of the operands the importer needs as compile-time values.
SHAPE_OPERANDS = frozenset([
    ("Reshape", 1),                                            # shape
    ("Slice", 1), ("Slice", 2), ("Slice", 3), ("Slice", 4),    # starts, ends, axes, steps
    ("Expand", 1),                                             # shape
    ("Tile", 1),                                               # repeats
    ("Unsqueeze", 1),                                          # axes (opset 13)
    ("Squeeze", 1),                                            # axes (opset 13)
    ("ReduceSum", 1),                                          # axes (opset 13)
    ("Split", 1),                                              # split (opset 13)
    ("Range", 0), ("Range", 1), ("Range", 2),                  # start, limit, delta
    ("ConstantOfShape", 0),                                    # input (the shape)
    ("Trilu", 1),                                              # k
    ("Clip", 1), ("Clip", 2),                                  # min, max
])


def shape_operand_inputs(model):
    """Graph inputs whose every use is a shape operand (SHAPE_OPERANDS) of a node."""
    graph = model.graph
    outputs = {v.name for v in graph.output}
    uses = {}
    for node in graph.node:
        for index, name in enumerate(node.input):
            uses.setdefault(name, []).append((node.op_type, index))
    initializers = {t.name for t in graph.initializer}
    return [v.name for v in graph.input
            if v.name not in initializers and v.name not in outputs and uses.get(v.name)
            and all(use in SHAPE_OPERANDS for use in uses[v.name])]


def fold_inputs(model, values):
    """A copy of `model` with the graph inputs in `values` turned into initializers."""
    folded = onnx.ModelProto()
    folded.CopyFrom(model)
    keep = [v for v in folded.graph.input if v.name not in values]
    del folded.graph.input[:]
    folded.graph.input.extend(keep)
    for name, array in values.items():
        folded.graph.initializer.append(numpy_helper.from_array(array, name))
    return folded


def compare(got, ref):
    """None if `got` matches `ref`, else the reason."""
    if got.dtype != ref.dtype:
        return f"dtype {got.dtype}, expected {ref.dtype}"
    if got.shape != ref.shape:
        return f"shape {got.shape}, expected {ref.shape}"
    if ref.size == 0:
        return None
    if ref.dtype.kind not in "fciub":
        return None if np.array_equal(got, ref) else "values differ"
    g = got.astype(np.complex128 if ref.dtype.kind == "c" else np.float64)
    r = ref.astype(g.dtype)
    err = np.abs(g - r)
    both_nan = np.isnan(g) & np.isnan(r)
    bad = ~((err <= ATOL + RTOL * np.abs(r)) | both_nan)
    if not bad.any():
        return None
    err = np.where(both_nan, 0, err)
    err = np.where(np.isnan(err), np.inf, err)
    rel = err / np.maximum(np.abs(r), np.finfo(np.float64).tiny)
    return (f"max abs err {float(err.max()):.3g}, max rel err {float(rel[bad].max()):.3g} "
            f"at {int(bad.sum())}/{bad.size} elements (rtol={RTOL:g}, atol={ATOL:g})")


def run_cmd(argv, timeout, what):
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, text=True, errors="replace")
    except subprocess.TimeoutExpired:
        raise TestFailure(f"{what}: timed out after {timeout:g} s") from None
    if proc.returncode != 0:
        status = (f"killed by signal {-proc.returncode}" if proc.returncode < 0
                  else f"exit {proc.returncode}")
        raise TestFailure(f"{what}: {status}: {first_line(proc.stderr)}")


def run_test(name, args, work):
    """Returns None if the test passes, else the reason it fails."""
    test_dir = os.path.join(args.data, name)
    test_work = os.path.join(work, name)
    shutil.rmtree(test_work, ignore_errors=True)
    os.makedirs(test_work)
    try:
        model = onnx.load(os.path.join(test_dir, "model.onnx"), load_external_data=False)
        initializers = {t.name for t in model.graph.initializer}
        inputs = [v for v in model.graph.input if v.name not in initializers]
        folded_names = set(shape_operand_inputs(model))
        data_sets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
        if not data_sets:
            raise TestFailure("runner: no test_data_set_* directory")
        artifacts = {}  # serialized model -> artifact path
        for data_set in data_sets:
            set_name = os.path.basename(data_set)
            feeds = read_tensors(pb_files(data_set, "input"), inputs, "input", set_name)
            refs = read_tensors(pb_files(data_set, "output"), model.graph.output, "output",
                                set_name)
            folded = {n: feeds.pop(n) for n in folded_names}
            if any(v is None for v in folded.values()):
                raise TestFailure("runner: a shape operand input is not a tensor")

            serialized = fold_inputs(model, folded).SerializeToString() if folded else \
                model.SerializeToString()
            if serialized not in artifacts:
                index = len(artifacts)
                onnx_path = os.path.join(test_work, f"model{index}.onnx")
                with open(onnx_path, "wb") as f:
                    f.write(serialized)
                artifact = os.path.join(test_work, f"model{index}.llmo")
                run_cmd([args.llmopt, "compile", onnx_path, "-o", artifact], args.timeout,
                        "compile")
                artifacts[serialized] = artifact
            artifact = artifacts[serialized]

            for tensor_name, array in list(feeds.items()) + list(refs.items()):
                if array is None:
                    raise TestFailure(f"runner: '{tensor_name}' is not a tensor "
                                      "(cannot be passed as .npy)")
            set_work = os.path.join(test_work, set_name)
            out_dir = os.path.join(set_work, "outputs")
            os.makedirs(out_dir)
            argv = [args.llmopt, "run", artifact]
            for tensor_name, array in feeds.items():
                path = os.path.join(set_work, file_name(tensor_name) + ".npy")
                np.save(path, array, allow_pickle=False)
                argv += ["--input", f"{tensor_name}={path}"]
            argv += ["--output-dir", out_dir]
            run_cmd(argv, args.timeout, f"run ({set_name})")

            for tensor_name, ref in refs.items():
                path = os.path.join(out_dir, file_name(tensor_name) + ".npy")
                if not os.path.isfile(path):
                    raise TestFailure(f"output '{tensor_name}' ({set_name}): "
                                      f"{os.path.basename(path)} not written")
                reason = compare(np.load(path, allow_pickle=False), ref)
                if reason:
                    raise TestFailure(f"mismatch in '{tensor_name}' ({set_name}): {reason}")
        return None
    except TestFailure as failure:
        reason = str(failure)
    except Exception as e:  # noqa: BLE001 - a runner problem fails this test, not the run
        reason = f"runner error: {type(e).__name__}: {first_line(str(e))}"
    # Paths of the work directory would make reasons differ from run to run.
    return reason.replace(test_work + os.sep, "")


# --- driver -------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(
        description="Run the ONNX backend node tests whose ops llmopt supports through llmopt.",
        epilog="Tolerances: |got - ref| <= atol + rtol*|ref| with rtol=1e-4, atol=1e-5; dtype and "
               "shape must match exactly.")
    parser.add_argument("llmopt", nargs="?",
                        default=os.path.join(REPO, "build", "tools", "llmopt", "llmopt"),
                        help="the llmopt binary (default: build/tools/llmopt/llmopt)")
    parser.add_argument("--data", default="/usr/share/libonnx-testdata/data/node",
                        help="the node test directory (default: %(default)s)")
    parser.add_argument("--supported-ops", default=os.path.join(HERE, "supported_ops.txt"),
                        help="supported op types, one per line (default: tests/onnx/supported_ops.txt)")
    parser.add_argument("--expected-failures",
                        default=os.path.join(HERE, "expected_failures.txt"),
                        help="expected failures, `test_name  # reason` per line "
                             "(default: tests/onnx/expected_failures.txt)")
    parser.add_argument("--filter", help="run only the selected tests whose name matches REGEX "
                        "(re.search)", metavar="REGEX")
    parser.add_argument("-j", "--jobs", type=int, default=2,
                        help="tests run in parallel (default: 2)")
    parser.add_argument("--timeout", type=float, default=60,
                        help="seconds allowed per llmopt command (default: 60)")
    parser.add_argument("--work", help="keep models, artifacts and .npy files in this directory "
                        "(default: a temporary directory, removed at the end)")
    parser.add_argument("--list", action="store_true",
                        help="print the selected tests and exit")
    parser.add_argument("--update-expected", action="store_true",
                        help="rewrite the expected-failure file from the current failures")
    args = parser.parse_args()

    supported = set(read_list(args.supported_ops))
    all_selected = select_tests(args.data, supported)
    tests = [t for t in all_selected if not args.filter or re.search(args.filter, t)]
    if args.list:
        print("\n".join(tests))
        print(f"{len(tests)} tests selected")
        return 0
    args.llmopt = os.path.abspath(args.llmopt)
    if not os.access(args.llmopt, os.X_OK):
        sys.exit(f"run_node_tests: {args.llmopt} is not an executable")
    header, expected = read_expected(args.expected_failures)
    print(f"{len(tests)} tests selected from {args.data} ({len(supported)} supported ops)",
          flush=True)

    results = {}
    with tempfile.TemporaryDirectory(prefix="llmopt-node-") as tmp:
        work = os.path.abspath(args.work) if args.work else tmp
        os.makedirs(work, exist_ok=True)
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            for name, reason in zip(tests, pool.map(lambda t: run_test(t, args, work), tests)):
                if reason is None:
                    outcome = "UNEXPECTED PASS" if name in expected else "PASS"
                else:
                    outcome = "XFAIL" if name in expected else "FAIL"
                results[name] = (outcome, reason)
                print(f"{outcome:<15}  {name}" + (f": {reason}" if reason else ""), flush=True)

    counts = {o: sum(1 for r in results.values() if r[0] == o)
              for o in ("PASS", "XFAIL", "FAIL", "UNEXPECTED PASS")}
    print(f"\nSummary of {len(results)} node tests:")
    for outcome, count in counts.items():
        print(f"  {outcome:<15}  {count:4d}")
    failures = [(n, r) for n, r in results.items() if r[0] in ("FAIL", "UNEXPECTED PASS")]
    if failures:
        print("Failures:")
        for name, (outcome, reason) in failures:
            detail = reason if outcome == "FAIL" else f"listed as: {expected[name] or 'fails'}"
            print(f"  {outcome:<15}  {name}: {detail}")
    stale = sorted(set(expected) - set(all_selected))
    if stale:
        print(f"note: listed in {os.path.basename(args.expected_failures)} but not selected: "
              + ", ".join(stale))

    if args.update_expected:
        new = {n: r for n, r in expected.items()
               if n in all_selected and n not in results}  # selected but filtered out: keep
        for name, (outcome, reason) in results.items():
            if outcome in ("FAIL", "XFAIL"):
                new[name] = expected.get(name) or reason[:200]
        write_expected(args.expected_failures, header, new)
        print(f"updated {args.expected_failures}: {len(new)} expected failures")

    print(f"{counts['XFAIL']} expected failures (xfail)")
    failed = counts["FAIL"] + counts["UNEXPECTED PASS"]
    print(f"{counts['PASS']} passed, {failed} failed")
    return 1 if failed and not args.update_expected else 0


if __name__ == "__main__":
    sys.exit(main())
