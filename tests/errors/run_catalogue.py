#!/usr/bin/env python3
"""The catalogue of bad inputs: every one must give one exact error line and exit code.

Each case builds its bad input in a fresh folder (ONNX models with onnx.helper, YAML, .npy and
artifact files), runs one `llmopt` command, and checks:
  - the exit code (1: the command failed; 2: bad usage);
  - the first line of stderr, exactly (paths written as {dir}, the case's folder, and {root},
    the repository; numbers that depend on the compiled artifact's bytes as {n} and hashes as
    {hex}, so a change to the compiler's output does not break the catalogue);
  - that stdout is empty for compile failures and that nothing was left behind: no artifact,
    no temporary file, no output .npy (the case folder holds exactly the files it made).

    tests/errors/run_catalogue.py [LLMOPT_BIN] [--filter REGEX] [--show]

--show prints what each case actually gives instead of judging it (for writing new cases).
Ends with the line "N passed, M failed"; exits 1 if any case failed.
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MLP = os.path.join(ROOT, "tests", "fixtures", "mlp", "model.onnx")
MLP_INPUT = os.path.join(ROOT, "tests", "fixtures", "mlp", "batch1", "inputs", "x.npy")
HEADER_BYTES = 64


# --- builders -----------------------------------------------------------------------------

def save_model(path, nodes, inputs, outputs, initializers=(), opset=17, check=False):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, path)


def vinfo(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def add_model(path, **kwargs):
    """y = x + w: the smallest model with a weight."""
    w = numpy_helper.from_array(kwargs.pop("w", np.ones(4, np.float32)), "w")
    save_model(path, [helper.make_node("Add", ["x", "w"], ["y"], name="add_1")],
               [vinfo("x", ["batch", 4])], [vinfo("y", ["batch", 4])], [w], **kwargs)


def external_data_model(d, data_bytes):
    """y = x + w with w stored in an external file holding `data_bytes` bytes."""
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "w.bin"), ("offset", "0"), ("length", "16")):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    save_model(os.path.join(d, "m.onnx"), [helper.make_node("Add", ["x", "w"], ["y"], name="add_1")],
               [vinfo("x", ["batch", 4])], [vinfo("y", ["batch", 4])], [w])
    if data_bytes is not None:
        with open(os.path.join(d, "w.bin"), "wb") as f:
            f.write(b"\0" * data_bytes)


def compile_args(d):
    """The command line of the usual case: compile {dir}/m.onnx to {dir}/out.llmo."""
    return ["compile", f"{d}/m.onnx", "-o", f"{d}/out.llmo"]


def write(path, data, mode="w"):
    with open(path, mode) as f:
        f.write(data)


def compile_mlp(llmopt, d, name="m.llmo"):
    path = os.path.join(d, name)
    subprocess.run([llmopt, "compile", MLP, "-o", path], check=True, capture_output=True)
    return path


def patch_artifact(path, offset, data):
    """Overwrites bytes of an artifact (the header is checked before the checksum, so a header
    field is refused for what it says, not as a checksum mismatch)."""
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def set_header_field(path, offset, fmt, value):
    patch_artifact(path, offset, struct.pack(fmt, value))


# --- the cases ----------------------------------------------------------------------------
# Each: (name, setup(llmopt, dir) -> argv (without the binary), exit code, first stderr line).

def case(name, code, line):
    def register(setup):
        CASES.append((name, setup, code, line))
        return setup
    return register


CASES = []


def mlp_copy(d):
    path = os.path.join(d, "model.onnx")
    shutil.copy(MLP, path)
    return path


# ONNX input ---------------------------------------------------------------------------------

@case("onnx: missing file", 1, "error: cannot open '{dir}/nope.onnx': No such file or directory")
def _(llmopt, d):
    return ["compile", f"{d}/nope.onnx", "-o", f"{d}/out.llmo"]


@case("onnx: empty file", 1, "error: '{dir}/m.onnx' is empty, not an ONNX model")
def _(llmopt, d):
    write(f"{d}/m.onnx", "")
    return compile_args(d)


@case("onnx: garbage bytes", 1,
      "error: '{dir}/m.onnx' is not a valid ONNX model (protobuf parse failed)")
def _(llmopt, d):
    write(f"{d}/m.onnx", bytes(range(7, 250, 3)) * 5, "wb")
    return compile_args(d)


@case("onnx: truncated file", 1,
      "error: '{dir}/m.onnx' is not a valid ONNX model (protobuf parse failed)")
def _(llmopt, d):
    data = open(MLP, "rb").read()
    write(f"{d}/m.onnx", data[: len(data) // 2], "wb")
    return compile_args(d)


@case("onnx: a directory, not a file", 1, "error: '{dir}/m.onnx' is not a regular file")
def _(llmopt, d):
    os.mkdir(f"{d}/m.onnx")
    return compile_args(d)


@case("onnx: unsupported ops, all named", 1,
      "error: {dir}/m.onnx: 2 unsupported nodes: node 'atan_1' (Atan, opset 17): op is not "
      "supported; node 'topk_1' (TopK, opset 17): op is not supported")
def _(llmopt, d):
    k = numpy_helper.from_array(np.array([2], np.int64), "k")
    save_model(f"{d}/m.onnx",
               [helper.make_node("Atan", ["x"], ["c"], name="atan_1"),
                helper.make_node("Relu", ["c"], ["r"], name="relu_1"),
                helper.make_node("TopK", ["r", "k"], ["y", "i"], name="topk_1")],
               [vinfo("x", [3, 4])], [vinfo("y", [3, 2]), vinfo("i", [3, 2], TensorProto.INT64)], [k])
    return compile_args(d)


@case("onnx: op version not implemented", 1,
      "error: {dir}/m.onnx: 1 unsupported node: node 'add_1' (Add, opset 6): Add-6 (opset 6) is "
      "not supported; supported versions: Add-7, Add-13, Add-14")
def _(llmopt, d):
    add_model(f"{d}/m.onnx", opset=6)
    return compile_args(d)


@case("onnx: opset from the future", 1,
      "error: {dir}/m.onnx: model uses opset 99; this build knows ONNX opsets up to 17")
def _(llmopt, d):
    add_model(f"{d}/m.onnx", opset=99)
    return compile_args(d)


@case("onnx: foreign domain", 1,
      "error: {dir}/m.onnx: 1 unsupported node: node 'gelu_1' (FastGelu, opset 17): domain "
      "'com.microsoft' is not supported")
def _(llmopt, d):
    node = helper.make_node("FastGelu", ["x"], ["y"], name="gelu_1", domain="com.microsoft")
    graph = helper.make_graph([node], "g", [vinfo("x", [2])], [vinfo("y", [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.save(model, f"{d}/m.onnx")
    return compile_args(d)


@case("onnx: graph cycle", 1,
      "error: {dir}/m.onnx: ONNX checker: Nodes in a graph must be topologically sorted, however "
      "input 'b' of node: name: relu_a OpType: Relu is not output of any previous nodes.")
def _(llmopt, d):
    save_model(f"{d}/m.onnx",
               [helper.make_node("Relu", ["b"], ["a"], name="relu_a"),
                helper.make_node("Relu", ["a"], ["b"], name="relu_b"),
                helper.make_node("Add", ["x", "a"], ["y"], name="add_1")],
               [vinfo("x", [2])], [vinfo("y", [2])])
    return compile_args(d)


@case("onnx: missing initializer", 1,
      "error: {dir}/m.onnx: ONNX checker: Nodes in a graph must be topologically sorted, however "
      "input 'w' of node: name: add_1 OpType: Add is not output of any previous nodes.")
def _(llmopt, d):
    save_model(f"{d}/m.onnx", [helper.make_node("Add", ["x", "w"], ["y"], name="add_1")],
               [vinfo("x", [2])], [vinfo("y", [2])])
    return compile_args(d)


@case("onnx: dangling graph output", 1,
      "error: {dir}/m.onnx: graph output 'z' is not produced by any node")
def _(llmopt, d):
    save_model(f"{d}/m.onnx", [helper.make_node("Relu", ["x"], ["y"], name="relu_1")],
               [vinfo("x", [2])], [vinfo("y", [2]), vinfo("z", [2])])
    return compile_args(d)


@case("onnx: shape mismatch", 1,
      "error: node 'add_1': 'llmopt.add' op shapes [?, 3] and [4] do not broadcast")
def _(llmopt, d):
    w = numpy_helper.from_array(np.ones(4, np.float32), "w")
    save_model(f"{d}/m.onnx", [helper.make_node("Add", ["x", "w"], ["y"], name="add_1")],
               [vinfo("x", ["batch", 3])], [vinfo("y", ["batch", 3])], [w])
    return compile_args(d)


@case("onnx: initializer with too few bytes", 1,
      "error: {dir}/m.onnx: tensor 'w' has 8 bytes of data, its shape needs 16")
def _(llmopt, d):
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4], raw_data=b"\0" * 8)
    save_model(f"{d}/m.onnx", [helper.make_node("Add", ["x", "w"], ["y"], name="add_1")],
               [vinfo("x", [4])], [vinfo("y", [4])], [w])
    return compile_args(d)


@case("onnx: huge dims", 1, "error: {dir}/m.onnx: tensor 'w' has an invalid or too large shape")
def _(llmopt, d):
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 20], raw_data=b"\0" * 16)
    save_model(f"{d}/m.onnx", [helper.make_node("Add", ["x", "w"], ["y"], name="add_1")],
               [vinfo("x", [4])], [vinfo("y", [4])], [w])
    return compile_args(d)


@case("onnx: external data file missing", 1,
      "error: {dir}/m.onnx: ONNX checker: Data of TensorProto ( tensor name: w) should be stored "
      "in {dir}/w.bin, but it doesn't exist or is not accessible.")
def _(llmopt, d):
    external_data_model(d, None)
    return compile_args(d)


@case("onnx: external data file too short", 1,
      "error: {dir}/m.onnx: tensor 'w': external data 'w.bin' has 8 bytes, the tensor needs "
      "[0, 16)")
def _(llmopt, d):
    external_data_model(d, 8)
    return compile_args(d)


@case("onnx: NaN weights are refused", 1,
      "error: {dir}/m.onnx: tensor 'w' contains 2 NaN values (a broken export?)")
def _(llmopt, d):
    add_model(f"{d}/m.onnx", w=np.array([1, np.nan, 2, np.nan], np.float32))
    return compile_args(d)


@case("onnx: float64 compute", 1,
      "error: node 'add_1' (Add): input 0 is f64; this op supports float32 and int64")
def _(llmopt, d):
    w = numpy_helper.from_array(np.ones(4, np.float64), "w")
    save_model(f"{d}/m.onnx", [helper.make_node("Add", ["x", "w"], ["y"], name="add_1")],
               [vinfo("x", [4], TensorProto.DOUBLE)], [vinfo("y", [4], TensorProto.DOUBLE)], [w])
    return compile_args(d)


@case("onnx: Reshape shape not constant", 1,
      "error: node 'reshape_1' (Reshape): the target shape (input 1) must be computable at "
      "compile time (a constant, or shape arithmetic on the inputs' dims)")
def _(llmopt, d):
    save_model(f"{d}/m.onnx", [helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape_1")],
               [vinfo("x", [2, 3]), vinfo("s", [2], TensorProto.INT64)], [vinfo("y", [3, 2])])
    return compile_args(d)


@case("onnx: input without a shape", 1,
      "error: {dir}/m.onnx: ONNX checker: Field 'shape' of 'type' is required but missing.")
def _(llmopt, d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, None)
    save_model(f"{d}/m.onnx", [helper.make_node("Relu", ["x"], ["y"], name="relu_1")],
               [x], [vinfo("y", [2])])
    return compile_args(d)


@case("onnx: sequence input", 1, "error: {dir}/m.onnx: input 'x' is not a tensor")
def _(llmopt, d):
    seq = helper.make_tensor_sequence_value_info("x", TensorProto.FLOAT, [2])
    save_model(f"{d}/m.onnx", [helper.make_node("Identity", ["x"], ["y"], name="id_1")],
               [seq], [helper.make_tensor_sequence_value_info("y", TensorProto.FLOAT, [2])])
    return compile_args(d)


# YAML pipelines ----------------------------------------------------------------------------

def compile_with_config(d, text):
    write(f"{d}/p.yaml", text)
    return ["compile", MLP, "--config", f"{d}/p.yaml", "-o", f"{d}/out.llmo"]


@case("yaml: invalid syntax", 1, "{dir}/p.yaml:3:1: error: invalid YAML: end of map flow not found")
def _(llmopt, d):
    return compile_with_config(d, "passes:\n  - {name: canonicalize\n")


@case("yaml: unknown pass", 1,
      "{dir}/p.yaml:2:5: error: unknown pass 'llmopt-fuse-everything' (known passes include: "
      "canonicalize, cse, llmopt-recognize-linear)")
def _(llmopt, d):
    return compile_with_config(d, "passes:\n  - llmopt-fuse-everything\n")


@case("yaml: unknown option", 1,
      "{dir}/p.yaml:4:7: error: pass 'llmopt-recognize-linear': bad option "
      "'fold-everything=true': no such option fold-everything")
def _(llmopt, d):
    return compile_with_config(
        d, "passes:\n  - name: llmopt-recognize-linear\n    options:\n      fold-everything: true\n")


@case("yaml: option of the wrong type", 1,
      "{dir}/p.yaml:4:7: error: pass 'llmopt-recognize-linear': bad option 'min-features=many': "
      "for the --min-features option: 'many' value invalid for long argument!")
def _(llmopt, d):
    return compile_with_config(
        d, "passes:\n  - name: llmopt-recognize-linear\n    options:\n      min-features: many\n")


@case("yaml: passes is not a list", 1, "{dir}/p.yaml:1:9: error: `passes` must be a list")
def _(llmopt, d):
    return compile_with_config(d, "passes: canonicalize\n")


@case("yaml: unknown top-level key", 1,
      "{dir}/p.yaml:2:1: error: unknown key 'pases' (expected: passes)")
def _(llmopt, d):
    return compile_with_config(d, "passes: []\npases: []\n")


@case("yaml: empty file", 1,
      "{dir}/p.yaml: error: a pipeline file is a mapping with a `passes` list")
def _(llmopt, d):
    return compile_with_config(d, "")


@case("yaml: missing file", 1, "{dir}/nope.yaml: error: cannot read pipeline file")
def _(llmopt, d):
    return ["compile", MLP, "--config", f"{d}/nope.yaml", "-o", f"{d}/out.llmo"]


@case("yaml: option value with a bracket", 1,
      "{dir}/p.yaml:5:22: error: option 'keep': 'a[b' holds '[': braces, brackets and quotes "
      "cannot be passed to a pass option")
def _(llmopt, d):
    return compile_with_config(
        d, "passes:\n  - name: llmopt-lowrank\n    options:\n      energy: 0.5\n"
           "      keep: [\"/x/*\", \"a[b\"]\n")


# Command line ------------------------------------------------------------------------------

@case("cli: compile without a model", 2, "error: model is required (see --help)")
def _(llmopt, d):
    return ["compile"]


@case("cli: unknown --emit", 2,
      "error: --emit: llvm not in {mlir,mlir-imported,cpp,cuda} (see --help)")
def _(llmopt, d):
    return ["compile", MLP, "--emit", "llvm"]


@case("cli: output into a missing folder", 1,
      "error: cannot create '{dir}/no/such/dir/out.llmo': No such file or directory")
def _(llmopt, d):
    return ["compile", MLP, "-o", f"{d}/no/such/dir/out.llmo"]


@case("cli: output path is a directory", 1,
      "error: cannot create '{dir}/out.llmo': Is a directory")
def _(llmopt, d):
    os.mkdir(f"{d}/out.llmo")
    return ["compile", MLP, "-o", f"{d}/out.llmo"]


@case("cli: the same input given twice", 1, "error: input 'x' is given twice")
def _(llmopt, d):
    art = compile_mlp(llmopt, d)
    return ["run", art, "--input", f"x={MLP_INPUT}", "--input", f"x={MLP_INPUT}"]


@case("cli: --keep-fp32 pattern with a bracket", 1,
      "error: --keep-fp32 'fc[1' holds '[': braces, brackets and quotes cannot be passed to a "
      "pass option")
def _(llmopt, d):
    return ["compile", MLP, "--quant", "int8", "--keep-fp32", "fc[1", "-o", f"{d}/out.llmo"]


@case("cli: --prune-criterion activation without --calib", 1,
      "error: --prune-criterion activation needs --calib FILE (activation statistics)")
def _(llmopt, d):
    return ["compile", MLP, "--prune-ffn", "0.5", "--prune-criterion", "activation",
            "-o", f"{d}/out.llmo"]


@case("cli: --prune-criterion without pruning", 1,
      "error: --prune-criterion needs --prune-heads or --prune-ffn")
def _(llmopt, d):
    return ["compile", MLP, "--prune-criterion", "activation", "-o", f"{d}/out.llmo"]


@case("cli: --prune-global without pruning", 1,
      "error: --prune-global needs --prune-heads or --prune-ffn")
def _(llmopt, d):
    return ["compile", MLP, "--prune-global", "-o", f"{d}/out.llmo"]


@case("cli: --lowrank-criterion activation without --calib", 1,
      "error: --lowrank-criterion activation needs --calib FILE (activation statistics)")
def _(llmopt, d):
    return ["compile", MLP, "--lowrank-budget", "0.5", "--lowrank-criterion", "activation",
            "-o", f"{d}/out.llmo"]


@case("cli: two ways to choose the rank", 1,
      "error: --lowrank-ratio, --lowrank-energy and --lowrank-budget choose the rank different "
      "ways: give one")
def _(llmopt, d):
    return ["compile", MLP, "--lowrank-ratio", "0.5", "--lowrank-budget", "0.5",
            "-o", f"{d}/out.llmo"]


@case("cli: --prune-ffn out of range", 2,
      "error: --prune-ffn: Value 1 not in range 0.000000 to 0.999000 (see --help)")
def _(llmopt, d):
    return ["compile", MLP, "--prune-ffn", "1", "-o", f"{d}/out.llmo"]


# Artifacts -----------------------------------------------------------------------------------

@case("artifact: missing file", 1, "error: cannot open '{dir}/nope.llmo': No such file or directory")
def _(llmopt, d):
    return ["inspect", f"{d}/nope.llmo"]


@case("artifact: empty file", 1,
      "error: {dir}/m.llmo: truncated artifact: 0 bytes, smaller than the 64-byte header")
def _(llmopt, d):
    write(f"{d}/m.llmo", "")
    return ["inspect", f"{d}/m.llmo"]


@case("artifact: truncated", 1,
      "error: {dir}/m.llmo: truncated artifact: header says {n} bytes, got {n}")
def _(llmopt, d):
    art = compile_mlp(llmopt, d)
    data = open(art, "rb").read()
    write(art, data[: len(data) - 100], "wb")
    return ["run", art, "--input", f"x={MLP_INPUT}"]


@case("artifact: flipped byte", 1,
      "error: {dir}/m.llmo: checksum mismatch: header says {hex}, contents hash to {hex} (the "
      "file is corrupt or was modified)")
def _(llmopt, d):
    art = compile_mlp(llmopt, d)
    data = bytearray(open(art, "rb").read())
    data[len(data) - 10] ^= 0x40
    write(art, bytes(data), "wb")
    return ["run", art, "--input", f"x={MLP_INPUT}"]


@case("artifact: wrong magic", 1, "error: {dir}/m.llmo: not an llmopt artifact: bad magic")
def _(llmopt, d):
    art = compile_mlp(llmopt, d)
    patch_artifact(art, 0, b"GGUF")
    return ["inspect", art]


@case("artifact: newer format version", 1,
      "error: {dir}/m.llmo: artifact format version 5 is newer than this runtime reads (4): "
      "update the runtime")
def _(llmopt, d):
    art = compile_mlp(llmopt, d)
    set_header_field(art, 8, "<I", 5)
    return ["inspect", art]


@case("run: a CUDA artifact where there is no CUDA driver", 1,
      "error: cannot create a session: this artifact targets CUDA, but no CUDA driver was found "
      "(LLMOPT_CUDA_DRIVER: {dir}/no-libcuda.so: cannot open shared object file: No such file or "
      "directory)")
def _(llmopt, d):
    if not (shutil.which("nvcc") or os.path.exists("/usr/local/cuda/bin/nvcc")):
        return None  # needs the CUDA toolkit to make the artifact
    art = os.path.join(d, "m.llmo")
    subprocess.run([llmopt, "compile", MLP, "--target", "cuda", "--cuda-arch", "sm_90", "-o", art],
                   check=True, capture_output=True)
    return (["run", art, "--input", f"x={os.path.join(ROOT, 'tests/fixtures/mlp/batch1/inputs/x.npy')}"],
            {"LLMOPT_CUDA_DRIVER": os.path.join(d, "no-libcuda.so")})


@case("artifact: an ONNX file instead", 1,
      "error: {root}/tests/fixtures/mlp/model.onnx: not an llmopt artifact: bad magic")
def _(llmopt, d):
    return ["inspect", MLP]


# Running -------------------------------------------------------------------------------------

def npy(d, name, array):
    path = os.path.join(d, name)
    np.save(path, array)
    return path


@case("run: wrong input name", 1, "error: the model has no input 'y' (inputs: x)")
def _(llmopt, d):
    return ["run", compile_mlp(llmopt, d), "--input", f"y={MLP_INPUT}"]


@case("run: malformed --input", 1, "error: --input 'x' must be NAME=FILE.npy")
def _(llmopt, d):
    return ["run", compile_mlp(llmopt, d), "--input", "x"]


@case("run: missing input", 1, "error: missing input 'x' (give --input x=FILE.npy)")
def _(llmopt, d):
    return ["run", compile_mlp(llmopt, d)]


@case("run: wrong dtype", 1, "error: input 'x': dtype is i32, the model expects f32")
def _(llmopt, d):
    return ["run", compile_mlp(llmopt, d), "--input", "x=" + npy(d, "x.npy", np.zeros((2, 16), np.int32))]


@case("run: wrong rank", 1, "error: input 'x': rank is 3, the model expects 2")
def _(llmopt, d):
    return ["run", compile_mlp(llmopt, d), "--input", "x=" + npy(d, "x.npy", np.zeros((2, 16, 1), np.float32))]


@case("run: wrong static dim", 1, "error: input 'x': dim 1 is 15, the model expects 16")
def _(llmopt, d):
    return ["run", compile_mlp(llmopt, d), "--input", "x=" + npy(d, "x.npy", np.zeros((2, 15), np.float32))]


@case("run: unsupported .npy dtype", 1,
      "error: input 'x': {dir}/x.npy: unsupported .npy dtype '<f8' (supported: float32, float16, "
      "int8, uint8, int32, int64, bool; little-endian)")
def _(llmopt, d):
    return ["run", compile_mlp(llmopt, d), "--input", "x=" + npy(d, "x.npy", np.zeros((2, 16)))]


@case("bench: --cuda-graphs on a CPU artifact", 1,
      "error: --cuda-graphs: CUDA graph replay is for sessions of cuda artifacts; this one runs "
      "on the CPU")
def _(llmopt, d):
    return ["bench", compile_mlp(llmopt, d), "--shape", "x=2x16", "--cuda-graphs", "--iterations", "1"]


@case("run: .npy with a bad header", 1, "error: input 'x': {dir}/x.npy: bad .npy header: no 'shape'")
def _(llmopt, d):
    header = b"{'descr': '<f4', 'fortran_order': False, }"
    header += b" " * (118 - len(header)) + b"\n"
    write(f"{d}/x.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header, "wb")
    return ["run", compile_mlp(llmopt, d), "--input", f"x={d}/x.npy"]


@case("run: .npy not a .npy", 1, "error: input 'x': {dir}/x.npy: not a .npy file (bad magic)")
def _(llmopt, d):
    write(f"{d}/x.npy", "x,y\n1,2\n")
    return ["run", compile_mlp(llmopt, d), "--input", f"x={d}/x.npy"]


@case("run: .npy with too little data", 1,
      "error: input 'x': {dir}/x.npy: the .npy file has 64 data bytes, its shape needs 128")
def _(llmopt, d):
    path = npy(d, "x.npy", np.zeros((2, 16), np.float32))
    data = open(path, "rb").read()
    write(path, data[:-64], "wb")
    return ["run", compile_mlp(llmopt, d), "--input", f"x={path}"]


@case("run: Fortran-order .npy", 1,
      "error: input 'x': {dir}/x.npy: Fortran-order .npy arrays are not supported (save with "
      "np.ascontiguousarray)")
def _(llmopt, d):
    path = npy(d, "x.npy", np.asfortranarray(np.zeros((2, 16), np.float32)))
    return ["run", compile_mlp(llmopt, d), "--input", f"x={path}"]


@case("run: unwritable output folder", 1, "error: cannot create output directory '/proc/llmopt-out'")
def _(llmopt, d):
    return ["run", compile_mlp(llmopt, d), "--input", f"x={MLP_INPUT}", "--output-dir", "/proc/llmopt-out"]


# --- driver -----------------------------------------------------------------------------------

def line_matches(expected, got):
    """Exact match, except the {n} and {hex} placeholders."""
    pattern = re.escape(expected).replace(re.escape("{n}"), r"\d+").replace(re.escape("{hex}"), "[0-9a-f]{16}")
    return re.fullmatch(pattern, got) is not None


def listing(d):
    found = set()
    for root, dirs, files in os.walk(d):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(root, name), d))
    return found


def run_case(llmopt, name, setup, code, line, show):
    d = tempfile.mkdtemp(prefix="llmopt-bad-")
    try:
        argv = setup(llmopt, d)
        if argv is None:  # what the case needs is not installed here
            print(f"SKIP  {name}")
            return True
        # A case may return (argv, environment variables to set) instead.
        argv, env = argv if isinstance(argv, tuple) else (argv, {})
        before = listing(d)
        result = subprocess.run([llmopt] + argv, capture_output=True, text=True, timeout=60,
                                env=dict(os.environ, **env))
        after = listing(d)
        first = result.stderr.splitlines()[0] if result.stderr else ""
        first = first.replace(d, "{dir}").replace(ROOT, "{root}")
        if show:
            print(f"{name}\n    exit {result.returncode}: {first}")
            return True
        problems = []
        if result.returncode != code:
            problems.append(f"exit {result.returncode}, expected {code}")
        if not line_matches(line, first):
            problems.append(f"stderr line\n      got:      {first}\n      expected: {line}")
        if result.returncode != 0 and argv[0] == "compile" and result.stdout:
            problems.append("stdout is not empty")
        if after != before:
            problems.append(f"left behind: {sorted(after - before)}")
        print(("PASS  " if not problems else "FAIL  ") + name +
              ("" if not problems else "\n    " + "\n    ".join(problems)))
        return not problems
    finally:
        shutil.rmtree(d, ignore_errors=True)


# Generation ----------------------------------------------------------------------------------

GPT2 = os.path.join(ROOT, "tests", "fixtures", "transformers", "gpt2", "model.onnx")


def compile_gpt2(llmopt, d, name="g.llmo"):
    path = os.path.join(d, name)
    subprocess.run([llmopt, "compile", GPT2, "-o", path], check=True, capture_output=True)
    return path


@case("generate: artifact without a KV cache", 1,
      "error: '{dir}/m.llmo' has no KV cache: compile it from a decoder (causal attention) "
      "without --no-kv-cache")
def _(llmopt, d):
    return ["generate", compile_mlp(llmopt, d), "--prompt", "hi"]


@case("generate: longer than the cache", 1,
      "error: the prompt (5 tokens) and --max-new-tokens 100 need 105 positions; the KV cache of "
      "'{dir}/g.llmo' holds 64 (llmopt compile --max-seq)")
def _(llmopt, d):
    return ["generate", compile_gpt2(llmopt, d), "--prompt", "hello", "--max-new-tokens", "100"]


@case("generate: no prompt", 2, "error: --prompt or --tokens is required (see --help)")
def _(llmopt, d):
    return ["generate", compile_gpt2(llmopt, d)]


@case("generate: prompt fills the cache", 1,
      "error: the prompt has 64 tokens; the KV cache of '{dir}/g.llmo' holds 64 positions, prompt "
      "and new tokens together (llmopt compile --max-seq)")
def _(llmopt, d):
    return ["generate", compile_gpt2(llmopt, d), "--prompt", "x" * 64]


@case("generate: empty prompt", 1, "error: the prompt is empty")
def _(llmopt, d):
    return ["generate", compile_gpt2(llmopt, d), "--prompt", ""]


@case("generate: token ids not int64", 1,
      "error: --tokens '{dir}/ids.npy': expected int64 token ids [S] or [1, S], got f32 of rank 1")
def _(llmopt, d):
    return ["generate", compile_gpt2(llmopt, d), "--tokens",
            npy(d, "ids.npy", np.zeros(4, dtype=np.float32))]


@case("generate: token id outside the vocabulary", 1,
      "error: op '/model/transformer/wte/Gather': gather index 999 (from 'input_ids') is outside "
      "[-256, 256) along axis 0 of 'model.transformer.wte.weight'")
def _(llmopt, d):
    return ["generate", compile_gpt2(llmopt, d), "--tokens",
            npy(d, "ids.npy", np.array([1, 2, 999], dtype=np.int64)), "--max-new-tokens", "4",
            "--stats-json",
            os.path.join(d, "stats.json")]


def text_file(d, size=500):
    path = os.path.join(d, "text.txt")
    with open(path, "wb") as f:
        f.write(bytes(range(32, 127)) * (size // 95 + 1))
    return path


@case("eval --decode: artifact without a KV cache", 1,
      "error: '{dir}/g.llmo' has no KV cache: eval --decode needs one (compile it from a decoder "
      "(causal attention) without --no-kv-cache)")
def _(llmopt, d):
    path = os.path.join(d, "g.llmo")
    subprocess.run([llmopt, "compile", GPT2, "-o", path, "--no-kv-cache"], check=True,
                   capture_output=True)
    return ["eval", path, "--bytes", text_file(d), "--window", "16", "--decode"]


@case("eval --decode: window longer than the cache", 1,
      "error: --window 100 needs 100 positions; the KV cache of '{dir}/g.llmo' holds 64 (llmopt "
      "compile --max-seq, or a shorter --window)")
def _(llmopt, d):
    return ["eval", compile_gpt2(llmopt, d), "--bytes", text_file(d), "--window", "100",
            "--decode"]


@case("eval --decode: with --batch", 1, "error: --decode runs one window at a time: leave out --batch")
def _(llmopt, d):
    return ["eval", compile_gpt2(llmopt, d), "--bytes", text_file(d), "--window", "16",
            "--decode", "--batch", "4"]


@case("compile: --max-seq beyond the position table", 1,
      "error: {root}/tests/fixtures/transformers/gpt2/model.onnx: no KV cache: max-seq 100 exceeds "
      "the 64 positions of the model's position table")
def _(llmopt, d):
    return ["compile", GPT2, "--max-seq", "100", "-o", os.path.join(d, "g.llmo")]


@case("compile: unknown --kv-cache-type", 2,
      "error: --kv-cache-type: fp8 not in {auto,fp32,fp16,int8} (see --help)")
def _(llmopt, d):
    return ["compile", GPT2, "--kv-cache-type", "fp8", "-o", os.path.join(d, "g.llmo")]


@case("compile: --max-seq with --no-kv-cache", 2,
      "error: --max-seq excludes --no-kv-cache (see --help)")
def _(llmopt, d):
    return ["compile", GPT2, "--max-seq", "100", "--no-kv-cache", "-o", os.path.join(d, "g.llmo")]



@case("compile: --emit cpp with a dynamic dim and no --shape", 1,
      "error: --emit cpp fixes every shape: missing --shape for input 'x' [batch, 16] "
      "(e.g. --shape x=1x16)")
def _(llmopt, d):
    return ["compile", MLP, "--emit", "cpp", "-o", os.path.join(d, "mlp")]


@case("compile: --emit cpp --shape of the wrong rank", 1,
      "error: --emit cpp fixes every shape: --shape 'x=2x16x3': input 'x' has rank 2 [batch, 16], "
      "not 3")
def _(llmopt, d):
    return ["compile", MLP, "--emit", "cpp", "--shape", "x=2x16x3", "-o", os.path.join(d, "mlp")]


@case("compile: --emit cpp --shape against a static dim", 1,
      "error: --emit cpp fixes every shape: --shape 'x=2x17': input 'x' [batch, 16] has dim 1 fixed "
      "at 16, not 17")
def _(llmopt, d):
    return ["compile", MLP, "--emit", "cpp", "--shape", "x=2x17", "-o", os.path.join(d, "mlp")]


@case("compile: --shape without --emit cpp", 1,
      "error: --shape fixes the input shapes of --emit cpp; without it the artifact keeps its "
      "dynamic dims")
def _(llmopt, d):
    return ["compile", MLP, "--shape", "x=2x16", "-o", os.path.join(d, "mlp.llmo")]


@case("compile: --embed-weights without --emit cpp", 1, "error: --embed-weights needs --emit cpp")
def _(llmopt, d):
    return ["compile", MLP, "--embed-weights", "-o", os.path.join(d, "mlp.llmo")]


@case("compile: --emit cpp to stdout", 1,
      "error: --emit cpp writes files (BASE.h, BASE.cpp, ...): give -o BASE, not '-'")
def _(llmopt, d):
    return ["compile", MLP, "--emit", "cpp", "--shape", "x=2x16", "-o", "-"]


@case("compile: --cuda-arch of an architecture CUDA no longer builds", 1,
      "error: --cuda-arch: 'sm_70' in 'sm_70,sm_90' is not an architecture sm_XY with XY >= 75 "
      "(e.g. sm_80 for A100, sm_90 for H100/H200)")
def _(llmopt, d):
    return ["compile", MLP, "--target", "cuda", "--cuda-arch", "sm_70,sm_90", "-o",
            os.path.join(d, "mlp.llmo")]


@case("compile: --cuda-arch without --target cuda", 1,
      "error: --cuda-arch needs --target cuda (or --emit cuda)")
def _(llmopt, d):
    return ["compile", MLP, "--cuda-arch", "sm_90", "-o", os.path.join(d, "mlp.llmo")]


@case("compile: --arch (another name for --cuda-arch) without --target cuda", 1,
      "error: --cuda-arch needs --target cuda (or --emit cuda)")
def _(llmopt, d):
    return ["compile", MLP, "--arch", "sm_90", "-o", os.path.join(d, "mlp.llmo")]


@case("compile: --emit cpp for the cuda target", 1,
      "error: --emit cpp writes C++ for the cpu target; --target cuda writes CUDA")
def _(llmopt, d):
    return ["compile", MLP, "--target", "cuda", "--emit", "cpp", "--shape", "x=2x16", "-o",
            os.path.join(d, "mlp")]


@case("compile: --target cuda with LLMOPT_NVCC naming no program", 1,
      "error: --target cuda: LLMOPT_NVCC is '{dir}/no-nvcc', which is not an executable file")
def _(llmopt, d):
    return (["compile", MLP, "--target", "cuda", "-o", os.path.join(d, "mlp.llmo")],
            {"LLMOPT_NVCC": os.path.join(d, "no-nvcc")})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("llmopt", nargs="?", default=os.path.join(ROOT, "build", "tools", "llmopt", "llmopt"))
    parser.add_argument("--filter", default="", help="only cases whose name matches this regex")
    parser.add_argument("--show", action="store_true", help="print what each case gives")
    args = parser.parse_args()
    llmopt = os.path.abspath(args.llmopt)
    selected = [c for c in CASES if re.search(args.filter, c[0])]
    results = [run_case(llmopt, *c, args.show) for c in selected]
    if args.show:
        return 0
    passed = sum(results)
    print(f"{len(selected)} cases")
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
