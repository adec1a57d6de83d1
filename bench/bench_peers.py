#!/usr/bin/env python3
"""GPT-2-small and BERT-base shapes: llmopt against ONNX Runtime and PyTorch, side by side.

    .venv/bin/python bench/bench_peers.py                     # full run (see bench/README.md)
    .venv/bin/python bench/bench_peers.py --layers 1 --vocab 2000 --warmup 1 --iterations 2
    .venv/bin/python bench/bench_peers.py --models bert --runners ort-int8,llmopt-int8 --threads 1
    .venv/bin/python bench/bench_peers.py --bandwidth-gbs 1:20.1,2:31.5 --json-out peers.json

1. Makes (once each; cached in bench/models/, git-ignored) two ONNX models with random weights
   (fixed seed): GPT-2 small from bench_fp32.py (12 layers, d_model 768, 12 heads, FFN 3072,
   vocab 50257, untied head; input_ids -> logits) and BERT base, made here in the same style
   (onnx.helper + numpy, the form torch.onnx.export writes Hugging Face's BertModel in: 12
   post-LayerNorm layers, d_model 768, 12 heads, FFN 3072, vocab 30522, 512 learned positions,
   token type 0's row added, MatMul+Add linears, heads by Reshape [0, 0, 12, 64] + Transpose,
   Div by sqrt(64), Softmax without a mask, exact GELU with Erf, LayerNormalization opset 17;
   input_ids -> last_hidden_state [batch, seq, 768]), checked with onnx.checker and with ONNX
   Runtime against a numpy float64 forward pass.
2. Prepares, per model: ONNX Runtime's quantize_dynamic(per_channel=True, QInt8) model, the
   llmopt artifacts (`llmopt compile`, `--quant int8`, `--quant int4`; cached beside the model
   until the model or the binary changes), and a PyTorch worker (a subprocess run with
   --torch-python, which has torch) holding an nn.Module with the same weights and its
   torch.ao.quantization.quantize_dynamic int8 copy. Every runner's output on one input is
   compared with ONNX Runtime fp32's: the fp32 runners must agree (max |diff| / max |ref|
   <= 1e-3) before they are timed; the int8/int4 errors are printed for reference.
3. For each thread count and sequence length (batch 1), on the same input ids (fixed seed, saved
   as .npy): ONNX Runtime fp32 and int8 (CPU EP, all graph optimizations, intra_op_num_threads =
   threads, inter_op 1, sequential, IOBinding), PyTorch fp32 and dynamic int8
   (torch.set_num_threads, inference_mode) and `llmopt bench --input` of the fp32, int8 and
   int4 artifacts, one after the other, same warmup and timed runs, in --rounds rounds (each
   round times every runner with iterations / rounds runs; a cell is the median of its rounds'
   medians, so a slow phase of a shared machine falls on every runner alike). Prints a
   Markdown table per model: median ms, the ratios the project's bars are about, and at seq 1
   the rate llmopt streams its weights at (the artifact's weight bytes less its embedding
   tables, of which a token reads one row, / median).

Exit status: 1 when an llmopt runner failed (compile, check or bench; its error is printed, the
other numbers still are), 0 otherwise. A peer that fails is n/a with its reason.
"""
import argparse
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import bench_fp32  # noqa: E402  (the GPT-2 generator, ORT session settings, stats, machine)

MODELS = bench_fp32.MODELS
BERT_GENERATOR = "bench_peers.py/bert/1"  # bump when the BERT graph changes (the file name carries it)
RUNNERS = ["ort-fp32", "ort-int8", "torch-fp32", "torch-int8", "llmopt-fp32", "llmopt-int8", "llmopt-int4"]
LABELS = {"ort-fp32": "ORT fp32", "ort-int8": "ORT int8", "torch-fp32": "PyTorch fp32",
          "torch-int8": "PyTorch int8", "llmopt-fp32": "llmopt fp32", "llmopt-int8": "llmopt int8",
          "llmopt-int4": "llmopt int4", "llmopt-int8-kv16": "llmopt int8, fp16 cache",
          "llmopt-int4-kv16": "llmopt int4, fp16 cache"}
LLMOPT_QUANT = {"llmopt-fp32": None, "llmopt-int8": "int8", "llmopt-int4": "int4",
                "llmopt-int8-kv16": "int8", "llmopt-int4-kv16": "int4"}
# Runners with compile options besides --quant (bench_generate.py's), and their artifacts' suffix.
LLMOPT_OPTIONS = {"llmopt-int8-kv16": (["--kv-cache-type", "fp16"], ".kv16"),
                  "llmopt-int4-kv16": (["--kv-cache-type", "fp16"], ".kv16")}
# (label, numerator, denominator, bar, the seq the bar is set at; None: every seq)
RATIOS = [("ORT fp32 / llmopt int8", "ort-fp32", "llmopt-int8", 3.0, 128),
          ("ORT int8 / llmopt int8", "ort-int8", "llmopt-int8", 1.3, 128),
          ("ORT int8 / llmopt int4", "ort-int8", "llmopt-int4", 1.5, 1),
          ("ORT fp32 / llmopt fp32", "ort-fp32", "llmopt-fp32", 1.0, None)]
STREAMED = ["llmopt-int8", "llmopt-int4"]  # weight-streaming rate at seq 1
IDS_SEED = 20240611
CHECK_SEQ = 16
FP32_TOLERANCE = 1e-3
SETTLE_S = 0.2  # between runners: lets the last one's spinning worker threads go to sleep
TORCH_QENGINES = ("onednn", "fbgemm", "x86", "qnnpack")  # the first one this torch has


# ---------------------------------------------------------------------------------------------
# BERT base


class BertConfig(bench_fp32.Config):
    PREFIX = "bertb"

    def __init__(self, layers=12, d_model=768, heads=12, ffn=3072, vocab=30522, positions=512):
        super().__init__(layers, d_model, heads, ffn, vocab, positions)


def make_bert_weights(cfg: BertConfig, seed: int = 4321) -> dict:
    """name -> float32 array, Hugging Face's names; linear weights stored [in, out] (weight_t)."""
    rng = np.random.default_rng(seed)

    def normal(shape, std):
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)

    D, F = cfg.d_model, cfg.ffn
    w = {"embeddings.word_embeddings.weight": normal((cfg.vocab, D), 0.02),
         "embeddings.position_embeddings.weight": normal((cfg.positions, D), 0.02),
         "embeddings.token_type_embeddings.weight": normal((2, D), 0.02)}

    def norm(name):
        w[f"{name}.weight"] = 1.0 + normal((D,), 0.1)
        w[f"{name}.bias"] = normal((D,), 0.02)

    def dense(name, n_in, n_out):
        w[f"{name}.weight_t"] = normal((n_in, n_out), 0.02)
        w[f"{name}.bias"] = normal((n_out,), 0.02)

    norm("embeddings.LayerNorm")
    for i in range(cfg.layers):
        p = f"encoder.layer.{i}"
        for name in ("query", "key", "value"):
            dense(f"{p}.attention.self.{name}", D, D)
        dense(f"{p}.attention.output.dense", D, D)
        norm(f"{p}.attention.output.LayerNorm")
        dense(f"{p}.intermediate.dense", D, F)
        dense(f"{p}.output.dense", F, D)
        norm(f"{p}.output.LayerNorm")
    return w


def make_bert_model(cfg: BertConfig, weights: dict) -> onnx.ModelProto:
    g = bench_fp32.GraphBuilder()
    D, H, hd = cfg.d_model, cfg.heads, cfg.head_dim
    i64 = lambda v: np.array(v, dtype=np.int64)  # noqa: E731
    f32 = lambda v: np.array(v, dtype=np.float32)  # noqa: E731

    def scope(prefix):  # "encoder.layer.3.output.dense" -> "/encoder/layer.3/output/dense" (torch's node names)
        return "/" + prefix.replace(".", "/").replace("/layer/", "/layer.")

    def linear(prefix, inp):
        y = g.op("MatMul", f"{scope(prefix)}/MatMul", [inp, f"{prefix}.weight_t"])
        return g.op("Add", f"{scope(prefix)}/Add", [f"{prefix}.bias", y])

    def layer_norm(prefix, inp):
        return g.op("LayerNormalization", f"{scope(prefix)}/LayerNormalization",
                    [inp, f"{prefix}.weight", f"{prefix}.bias"], axis=-1, epsilon=1e-12)

    # Embeddings: word + token type 0 + position_ids[:, :seq] (a constant sliced, as HF's buffer).
    seq = g.op("Gather", "/Gather", [g.op("Shape", "/Shape", ["input_ids"]), g.const("/Constant", i64(1))], axis=0)
    position_ids = g.const("/embeddings/Constant_position_ids", np.arange(cfg.positions, dtype=np.int64)[None])
    positions = g.op("Slice", "/embeddings/Slice",
                     [position_ids, g.const("/embeddings/Constant", i64([0])),
                      g.op("Unsqueeze", "/embeddings/Unsqueeze", [seq, g.const("/embeddings/Constant_1", i64([0]))]),
                      g.const("/embeddings/Constant_2", i64([1])), g.const("/embeddings/Constant_3", i64([1]))])
    words = g.op("Gather", "/embeddings/word_embeddings/Gather", ["embeddings.word_embeddings.weight", "input_ids"])
    token_type = g.op("Gather", "/embeddings/token_type_embeddings/Gather",
                      ["embeddings.token_type_embeddings.weight", g.const("/embeddings/Constant_4", i64(0))])
    x = g.op("Add", "/embeddings/Add", [words, token_type])
    x = g.op("Add", "/embeddings/Add_1",
             [x, g.op("Gather", "/embeddings/position_embeddings/Gather",
                      ["embeddings.position_embeddings.weight", positions])])
    x = layer_norm("embeddings.LayerNorm", x)

    heads_shape = g.const("/Constant_heads_shape", i64([0, 0, H, hd]))
    merge_shape = g.const("/Constant_merge_shape", i64([0, 0, D]))
    for i in range(cfg.layers):
        p = f"encoder.layer.{i}"
        a = f"/encoder/layer.{i}/attention/self"
        q = linear(f"{p}.attention.self.query", x)
        k = linear(f"{p}.attention.self.key", x)
        v = linear(f"{p}.attention.self.value", x)
        kt = g.op("Transpose", f"{a}/Transpose_2", [g.op("Reshape", f"{a}/Reshape", [k, heads_shape])],
                  perm=[0, 2, 3, 1])
        v = g.op("Transpose", f"{a}/Transpose", [g.op("Reshape", f"{a}/Reshape_1", [v, heads_shape])],
                 perm=[0, 2, 1, 3])
        q = g.op("Transpose", f"{a}/Transpose_1", [g.op("Reshape", f"{a}/Reshape_2", [q, heads_shape])],
                 perm=[0, 2, 1, 3])
        scores = g.op("MatMul", f"{a}/MatMul", [q, kt])
        scores = g.op("Div", f"{a}/Div", [scores, g.const(f"{a}/Constant_12", f32(math.sqrt(hd)))])
        probs = g.op("Softmax", f"{a}/Softmax", [scores], axis=-1)
        ctx = g.op("MatMul", f"{a}/MatMul_1", [probs, v])
        ctx = g.op("Transpose", f"{a}/Transpose_3", [ctx], perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", f"{a}/Reshape_3", [ctx, merge_shape])
        y = g.op("Add", f"/encoder/layer.{i}/attention/output/Add", [linear(f"{p}.attention.output.dense", ctx), x])
        x = layer_norm(f"{p}.attention.output.LayerNorm", y)

        f = linear(f"{p}.intermediate.dense", x)
        act = f"/encoder/layer.{i}/intermediate/intermediate_act_fn"
        gl = g.op("Div", f"{act}/Div", [f, g.const(f"{act}/Constant", f32(math.sqrt(2.0)))])
        gl = g.op("Erf", f"{act}/Erf", [gl])
        gl = g.op("Add", f"{act}/Add", [gl, g.const(f"{act}/Constant_1", f32(1.0))])
        gl = g.op("Mul", f"{act}/Mul", [f, gl])
        gl = g.op("Mul", f"{act}/Mul_1", [gl, g.const(f"{act}/Constant_2", f32(0.5))])
        y = g.op("Add", f"/encoder/layer.{i}/output/Add", [linear(f"{p}.output.dense", gl), x])
        x = layer_norm(f"{p}.output.LayerNorm", y)
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="/Identity"))

    return bench_fp32.finish_model(g.nodes, "bertb_random", ("last_hidden_state", D), weights,
                                   "bench/bench_peers.py", BERT_GENERATOR)


def bert_reference_forward(cfg: BertConfig, w: dict, ids: np.ndarray) -> np.ndarray:
    """The same network in numpy float64 (for checking the ONNX graph)."""
    W = {n: a.astype(np.float64) for n, a in w.items() if n != "embeddings.word_embeddings.weight"}
    B, S = ids.shape
    H, hd = cfg.heads, cfg.head_dim
    erf = np.vectorize(math.erf)

    def ln(x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-12) * W[p + ".weight"] + W[p + ".bias"]

    def lin(x, p):
        return x @ W[p + ".weight_t"] + W[p + ".bias"]

    x = (w["embeddings.word_embeddings.weight"][ids].astype(np.float64)
         + W["embeddings.token_type_embeddings.weight"][0] + W["embeddings.position_embeddings.weight"][:S])
    x = ln(x, "embeddings.LayerNorm")
    for i in range(cfg.layers):
        p = f"encoder.layer.{i}"
        q, k, v = (lin(x, f"{p}.attention.self.{n}").reshape(B, S, H, hd).transpose(0, 2, 1, 3)
                   for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B, S, cfg.d_model)
        x = ln(x + lin(ctx, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
        f = lin(x, f"{p}.intermediate.dense")
        x = ln(x + lin(0.5 * f * (1.0 + erf(f / math.sqrt(2.0))), f"{p}.output.dense"), f"{p}.output.LayerNorm")
    return x


def check_bert_with_ort(cfg: BertConfig, path: Path, session, weights):
    """Dynamic shapes, bidirectional attention and a float64 reference."""
    rng = np.random.default_rng(99)
    for batch, seq in [(1, 1), (2, 17), (1, 128)]:
        ids = rng.integers(0, cfg.vocab, size=(batch, seq), dtype=np.int64)
        (out,) = session.run(["last_hidden_state"], {"input_ids": ids})
        if out.shape != (batch, seq, cfg.d_model) or not np.isfinite(out).all():
            sys.exit(f"error: {path}: ORT output for [{batch}, {seq}] is {out.shape}, finite: "
                     f"{bool(np.isfinite(out).all())}")
    ids = rng.integers(0, cfg.vocab, size=(1, 16), dtype=np.int64)
    changed = ids.copy()
    changed[0, -1] = (changed[0, -1] + 1) % cfg.vocab
    (a,) = session.run(["last_hidden_state"], {"input_ids": ids})
    (b,) = session.run(["last_hidden_state"], {"input_ids": changed})
    if np.array_equal(a[0, 0], b[0, 0]):
        sys.exit(f"error: {path}: changing the last token left the first output alone (attention is not bidirectional)")
    ids = rng.integers(0, cfg.vocab, size=(2, 9), dtype=np.int64)
    (out,) = session.run(["last_hidden_state"], {"input_ids": ids})
    ref = bert_reference_forward(cfg, weights, ids)
    err = float(np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30))
    print(f"  ORT vs numpy float64 reference: max |diff| / max |ref| = {err:.2e}")
    if err > 1e-4:
        sys.exit(f"error: {path}: ORT and the numpy reference disagree ({err:.2e})")


def ensure_bert_model(cfg: BertConfig, rebuild: bool) -> Path:
    return bench_fp32.cached_model(
        cfg.stem(), lambda: make_bert_weights(cfg), lambda w: make_bert_model(cfg, w),
        lambda path, session, w: check_bert_with_ort(cfg, path, session, w), rebuild)


# ---------------------------------------------------------------------------------------------
# The two models as the runners see them


class BenchModel:
    """One model of the comparison: its ONNX file, output and the inputs every runner gets."""

    def __init__(self, name, kind, cfg, path, output, width):
        self.name, self.kind, self.cfg, self.path = name, kind, cfg, path
        self.output, self.width = output, width
        self.stem = path.stem

    def table_bytes(self, runner):
        """Bytes of the embedding tables (Gathers of constant tables) in `runner`'s artifact: fp32,
        or int8 per row with an fp32 scale (the table default of --quant int8 and int4). A token
        reads one row of each, so the bytes a decode step streams are the rest."""
        if not hasattr(self, "_tables"):
            graph = onnx.load(str(self.path), load_external_data=False).graph
            shapes = {t.name: list(t.dims) for t in graph.initializer}
            self._tables = [shapes[n.input[0]] for n in graph.node
                            if n.op_type == "Gather" and n.input[0] in shapes and len(shapes[n.input[0]]) == 2]
        if runner == "llmopt-fp32":
            return sum(4 * rows * cols for rows, cols in self._tables)
        return sum(rows * cols + 4 * rows for rows, cols in self._tables)

    def ids_file(self, seq):
        """The input ids of [1, seq] (fixed seed), written once as .npy."""
        path = MODELS / "inputs" / f"{self.stem}-ids-1x{seq}-s{IDS_SEED}.npy"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            ids = np.random.default_rng(IDS_SEED + seq).integers(0, self.cfg.vocab, size=(1, seq), dtype=np.int64)
            np.save(path, ids)
        return path


def make_models(names, layers, vocab, rebuild):
    models = []
    for name in names:
        if name == "gpt2":
            cfg = bench_fp32.Config(layers=layers, vocab=vocab or 50257)
            path = bench_fp32.ensure_model(cfg, rebuild)
            models.append(BenchModel("gpt2", "gpt2", cfg, path, "logits", cfg.vocab))
        else:
            cfg = BertConfig(layers=layers, vocab=vocab or 30522)
            path = ensure_bert_model(cfg, rebuild)
            models.append(BenchModel("bert", "bert", cfg, path, "last_hidden_state", cfg.d_model))
    return models


def rel_err(got, ref):
    if got.shape != ref.shape:
        return None
    return float(np.abs(got - ref).max() / max(float(np.abs(ref).max()), 1e-30))


# ---------------------------------------------------------------------------------------------
# ONNX Runtime


def ort_int8_model(model: BenchModel):
    """quantize_dynamic(per_channel=True, QInt8), as bench_quant.py calls it; cached beside the
    model, with the call that made it in X.onnx.log (per_channel=False when True failed)."""
    from bench_quant import quantize_with_ort
    out = model.path.with_name(f"{model.stem}.ort-int8.onnx")
    log = out.with_name(out.name + ".log")
    if out.exists() and log.exists() and out.stat().st_mtime >= model.path.stat().st_mtime:
        return out, log.read_text().strip(), None
    t0 = time.perf_counter()
    print(f"quantizing {out.relative_to(REPO)} with ONNX Runtime ...", flush=True)
    temp = out.with_name(f"{model.stem}.ort-int8.tmp.onnx")
    call, per_channel, error = quantize_with_ort(model.path, temp)
    if call is None:
        return None, None, error
    os.replace(temp, out)
    call = call.replace(temp.name, out.name)
    log.write_text(call + "\n")
    print(f"  {call} ({time.perf_counter() - t0:.1f} s)" + (f"; {error}" if error else ""), flush=True)
    return out, call, None


def time_ort(session, model: BenchModel, ids, warmup, iterations):
    """bench_fp32.time_ort on given ids and this model's output (inputs and output pre-bound)."""
    import onnxruntime as ort
    out = np.empty((ids.shape[0], ids.shape[1], model.width), dtype=np.float32)
    binding = session.io_binding()
    binding.bind_ortvalue_input("input_ids", ort.OrtValue.ortvalue_from_numpy(ids))
    binding.bind_ortvalue_output(model.output, ort.OrtValue.ortvalue_from_numpy(out))
    for _ in range(warmup):
        session.run_with_iobinding(binding)
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        session.run_with_iobinding(binding)
        times.append((time.perf_counter() - t0) * 1e3)
    return bench_fp32.stats(times)


# ---------------------------------------------------------------------------------------------
# llmopt


def llmopt_compile(llmopt: Path, model: BenchModel, quant, options=(), suffix=""):
    """The artifact (fp32 shares bench_fp32.py's file), or (None, error). The compile's summary
    and op-count lines are kept in X.llmo.log and printed again when the artifact is cached.
    `options` go to the compile too; `suffix` names their artifact apart."""
    artifact = model.path.with_suffix(("" if quant is None else f".{quant}") + suffix + ".llmo")
    log = artifact.with_name(artifact.name + ".log")
    fresh = (artifact.exists() and artifact.stat().st_mtime >= model.path.stat().st_mtime
             and artifact.stat().st_mtime >= llmopt.stat().st_mtime)
    if not fresh:
        t0 = time.perf_counter()
        print(f"compiling {artifact.relative_to(REPO)} ...", flush=True)
        argv = ([str(llmopt), "compile", str(model.path), "-o", str(artifact)] + (["--quant", quant] if quant else [])
                + list(options))
        try:
            r = subprocess.run(argv, capture_output=True, text=True, errors="replace")
        except OSError as e:
            return None, f"cannot run {llmopt}: {e.strerror}"
        if r.returncode != 0:
            return None, r.stderr.strip() or f"exit {r.returncode}"
        summary = [line for line in r.stderr.splitlines() if line.startswith("llmopt:")]
        log.write_text("\n".join(summary) + "\n")
        print(f"  ({time.perf_counter() - t0:.1f} s)", flush=True)
    if log.exists():
        for line in log.read_text().splitlines():
            print(f"  {line}", flush=True)
    return artifact, None


def snapshot_llmopt(llmopt: Path, folder: str) -> Path:
    """A copy of the binary for this run (the runtime is linked in statically), with the same
    mtime, so the caches still key on the build: a rebuild while the benchmark runs can neither
    fail a runner nor make rows time different builds."""
    if not llmopt.is_file():
        return llmopt
    copy = Path(folder) / "llmopt"
    shutil.copy2(llmopt, copy)
    return copy


def llmopt_output(llmopt: Path, artifact: Path, model: BenchModel, ids_path: Path):
    """`llmopt run` on one input: (output array, None) or (None, error)."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            r = subprocess.run([str(llmopt), "run", str(artifact), "--input", f"input_ids={ids_path}",
                                "--output-dir", tmp], capture_output=True, text=True, errors="replace")
        except OSError as e:
            return None, f"cannot run {llmopt}: {e.strerror}"
        if r.returncode != 0:
            return None, r.stderr.strip() or f"exit {r.returncode}"
        return np.load(f"{tmp}/{model.output}.npy"), None


def time_llmopt(llmopt: Path, artifact: Path, ids_path: Path, seq, threads, warmup, iterations):
    cmd = [str(llmopt), "bench", str(artifact), "--shape", f"input_ids=1x{seq}", "--input", f"input_ids={ids_path}",
           "--threads", str(threads), "--warmup", str(warmup), "--iterations", str(iterations), "--json"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    except OSError as e:
        return None, f"cannot run {llmopt}: {e.strerror}"
    if r.returncode != 0:
        return None, r.stderr.strip() or f"exit {r.returncode}"
    result = json.loads(r.stdout)
    return {k: result[k] for k in ("median_ms", "p10_ms", "p90_ms", "min_ms", "weight_bytes")}, None


# ---------------------------------------------------------------------------------------------
# PyTorch: the worker runs in the interpreter that has torch (--torch-python), one JSON line per
# request on stdin and per answer on stdout.


def torch_model(kind, cfg: dict, w: dict):
    """An nn.Module computing what the ONNX model computes, with its weights (float32 arrays by
    initializer name)."""
    import torch
    from torch import nn
    D, H = cfg["d_model"], cfg["heads"]
    hd = D // H
    tensor = lambda name: torch.from_numpy(np.array(w[name], dtype=np.float32))  # noqa: E731

    def linear(prefix, bias=True):
        weight_t = w[f"{prefix}.weight_t"]
        layer = nn.Linear(weight_t.shape[0], weight_t.shape[1], bias=bias)
        layer.weight.data = torch.from_numpy(np.ascontiguousarray(weight_t.T))
        if bias:
            layer.bias.data = tensor(f"{prefix}.bias")
        return layer

    def layer_norm(prefix, eps):
        norm = nn.LayerNorm(D, eps=eps)
        norm.weight.data, norm.bias.data = tensor(f"{prefix}.weight"), tensor(f"{prefix}.bias")
        return norm

    class Attention(nn.Module):
        def __init__(self, q, k, v, out, causal_positions=0):
            super().__init__()
            self.q, self.k, self.v, self.out = q, k, v, out
            self.causal = causal_positions > 0
            if self.causal:
                self.register_buffer("mask", torch.ones(causal_positions, causal_positions, dtype=torch.bool).tril())

        def forward(self, x):
            B, S, _ = x.shape
            q, k, v = (t.view(B, S, H, hd).transpose(1, 2) for t in (self.q(x), self.k(x), self.v(x)))
            scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
            if self.causal:
                scores = scores.masked_fill(~self.mask[:S, :S], float("-inf"))
            ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, S, D)
            return self.out(ctx)

    class GPT2(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding.from_pretrained(tensor("wte.weight")), \
                nn.Embedding.from_pretrained(tensor("wpe.weight"))
            self.blocks = nn.ModuleList()
            for i in range(cfg["layers"]):
                p = f"blocks.{i}"
                block = nn.Module()
                block.ln1, block.ln2 = layer_norm(f"{p}.ln1", 1e-5), layer_norm(f"{p}.ln2", 1e-5)
                block.attn = Attention(*(linear(f"{p}.attn.{n}") for n in ("q", "k", "v", "proj")),
                                       causal_positions=cfg["positions"])
                block.fc, block.fc_out = linear(f"{p}.fc"), linear(f"{p}.fc_out")
                self.blocks.append(block)
            self.ln_f = layer_norm("ln_f", 1e-5)
            self.head = linear("head", bias=False)

        def forward(self, ids):
            x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1], device=ids.device))
            for b in self.blocks:
                x = x + b.attn(b.ln1(x))
                x = x + b.fc_out(nn.functional.gelu(b.fc(b.ln2(x))))
            return self.head(self.ln_f(x))

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            self.words = nn.Embedding.from_pretrained(tensor("embeddings.word_embeddings.weight"))
            self.positions = nn.Embedding.from_pretrained(tensor("embeddings.position_embeddings.weight"))
            self.register_buffer("token_type", tensor("embeddings.token_type_embeddings.weight")[0].clone())
            self.ln = layer_norm("embeddings.LayerNorm", 1e-12)
            self.layers = nn.ModuleList()
            for i in range(cfg["layers"]):
                p = f"encoder.layer.{i}"
                layer = nn.Module()
                layer.attn = Attention(*(linear(f"{p}.attention.self.{n}") for n in ("query", "key", "value")),
                                       linear(f"{p}.attention.output.dense"))
                layer.ln1 = layer_norm(f"{p}.attention.output.LayerNorm", 1e-12)
                layer.fc, layer.fc_out = linear(f"{p}.intermediate.dense"), linear(f"{p}.output.dense")
                layer.ln2 = layer_norm(f"{p}.output.LayerNorm", 1e-12)
                self.layers.append(layer)

        def forward(self, ids):
            x = self.ln(self.words(ids) + self.token_type + self.positions(torch.arange(ids.shape[1], device=ids.device)))
            for layer in self.layers:
                x = layer.ln1(x + layer.attn(x))
                x = layer.ln2(x + layer.fc_out(nn.functional.gelu(layer.fc(x))))
            return x

    return (GPT2 if kind == "gpt2" else Bert)().eval()


class TorchSide:
    """The worker's state: the fp32 module, its int8 copy, and how they were made."""

    def __init__(self):
        import torch
        self.torch = torch
        torch.set_num_interop_threads(1)
        self.fp32 = self.int8 = None

    def hello(self):
        t = self.torch
        blas = next((part.split("=", 1)[1] for part in t.__config__.show().replace(",", " ").split()
                     if part.startswith("BLAS_INFO=")), "unknown")
        return {"torch": t.__version__, "numpy": np.__version__, "blas": blas,
                "qengines": list(t.backends.quantized.supported_engines)}

    def load(self, req):
        t = self.torch
        proto = onnx.load(req["model"])
        weights = {init.name: numpy_helper.to_array(init) for init in proto.graph.initializer}
        del proto
        ids = t.from_numpy(np.load(req["check_ids"]))
        ref = np.load(req["check_ref"])
        fp32 = torch_model(req["kind"], req["config"], weights)
        del weights
        info = {}
        with t.inference_mode():
            info["fp32_rel_err"] = rel_err(fp32(ids).numpy(), ref)
        if info["fp32_rel_err"] is None or not info["fp32_rel_err"] <= FP32_TOLERANCE:
            raise RuntimeError(f"PyTorch fp32 output differs from ORT fp32's: max |diff| / max |ref| = "
                               f"{info['fp32_rel_err']} (> {FP32_TOLERANCE})")
        engine = next((e for e in ([req["qengine"]] + list(TORCH_QENGINES))
                       if e in t.backends.quantized.supported_engines), None)
        if engine is None:
            raise RuntimeError(f"no quantized engine (this torch has {t.backends.quantized.supported_engines})")
        t.backends.quantized.engine = engine
        self.int8 = t.ao.quantization.quantize_dynamic(fp32, {t.nn.Linear}, dtype=t.qint8)
        info["engine"] = engine
        with t.inference_mode():
            info["int8_rel_err"] = rel_err(self.int8(ids).numpy(), ref)
        # A generic (reference) BLAS would time that library, not PyTorch: the Linears then run
        # on oneDNN (torch.utils.mkldnn), as this build's fast fp32 path.
        info["fp32_linear"] = "aten (BLAS)"
        if self.hello()["blas"] == "generic" and t.backends.mkldnn.is_available():
            from torch.utils import mkldnn as mkldnn_utils
            fp32 = mkldnn_utils.to_mkldnn(fp32)
            info["fp32_linear"] = "oneDNN (torch.utils.mkldnn.to_mkldnn; this torch's BLAS is generic)"
            with t.inference_mode():
                info["fp32_rel_err"] = rel_err(fp32(ids).numpy(), ref)
            if info["fp32_rel_err"] is None or not info["fp32_rel_err"] <= FP32_TOLERANCE:
                raise RuntimeError(f"PyTorch fp32 (oneDNN Linears) differs from ORT fp32: {info['fp32_rel_err']}")
        self.fp32 = fp32
        return info

    def time(self, req):
        t = self.torch
        model = self.fp32 if req["mode"] == "fp32" else self.int8
        ids = t.from_numpy(np.load(req["ids"]))
        t.set_num_threads(req["threads"])
        times = []
        with t.inference_mode():
            for _ in range(req["warmup"]):
                model(ids)
            for _ in range(req["iterations"]):
                t0 = time.perf_counter()
                model(ids)
                times.append((time.perf_counter() - t0) * 1e3)
        return bench_fp32.stats(times)


def torch_worker() -> int:
    """--torch-worker: answers one JSON line per request line until "quit" or end of input."""
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write to the answer stream

    def answer(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    try:
        side = TorchSide()
        answer({"ok": True, **side.hello()})
    except Exception as e:  # noqa: BLE001 - report any failure to the parent
        answer({"ok": False, "error": f"{type(e).__name__}: {e}"})
        return 1
    for line in sys.stdin:
        req = json.loads(line)
        if req["cmd"] == "quit":
            break
        try:
            answer({"ok": True, **(side.load(req) if req["cmd"] == "load" else side.time(req))})
        except Exception as e:  # noqa: BLE001
            answer({"ok": False, "error": f"{type(e).__name__}: {e}"})
    return 0


class TorchWorker:
    """The parent's end: starts the worker, sends requests, turns failures into reasons."""

    def __init__(self, python):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([python, str(Path(__file__).resolve()), "--torch-worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                     cwd=str(REPO))
        self.info, self.error = self._read(), None
        if not self.info.get("ok"):
            self.error = self.info.get("error")

    def _read(self):
        line = self.proc.stdout.readline()
        if line:
            return json.loads(line)
        self.proc.wait()
        self.stderr.seek(0)
        tail = [ln for ln in self.stderr.read().splitlines() if ln.strip()][-3:]
        return {"ok": False, "error": f"the worker exited ({self.proc.returncode})" + (": " + " | ".join(tail)
                                                                                       if tail else "")}

    def request(self, **req):
        if self.proc.poll() is not None:
            return {"ok": False, "error": f"the worker is gone ({self.proc.returncode})"}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


def start_torch(python):
    """(worker, None) or (None, why PyTorch is not available)."""
    if not python:
        return None, f"no --torch-python, and {REPO / '.venv-fixtures/bin/python'} does not exist"
    if not Path(python).exists():
        return None, f"{python} does not exist"
    worker = TorchWorker(python)
    if worker.error:
        worker.close()
        return None, worker.error
    return worker, None


# ---------------------------------------------------------------------------------------------
# One model: prepare every runner, check outputs, time the rows


class Runner:
    def __init__(self, name):
        self.name = name
        self.error = None  # set: the runner is n/a for this model, with this reason
        self.info = {}     # artifact, weight bytes, errors against ORT fp32, ...

    def fail(self, reason):
        self.error = self.error or reason
        print(f"{LABELS[self.name]}: {reason}", file=sys.stderr, flush=True)


def prepare(model: BenchModel, runners, args, llmopt: Path, torch_worker, torch_reason):
    """Makes what each runner needs and checks its output against ORT fp32's on one input."""
    r = {name: Runner(name) for name in runners}
    with tempfile.TemporaryDirectory(prefix="bench_peers_") as tmp:
        check_ids = np.random.default_rng(7).integers(0, model.cfg.vocab, size=(1, CHECK_SEQ), dtype=np.int64)
        (ref,) = bench_fp32.ort_session(model.path, args.threads[0]).run([model.output], {"input_ids": check_ids})
        ids_path, ref_path = Path(tmp) / "ids.npy", Path(tmp) / "ref.npy"
        np.save(ids_path, check_ids)
        np.save(ref_path, ref)
        if "ort-int8" in r:
            prepare_ort_int8(model, r["ort-int8"], args.threads[0], check_ids, ref)
        torch_runners = [r[n] for n in ("torch-fp32", "torch-int8") if n in r]
        if torch_runners and torch_worker is None:
            for runner in torch_runners:
                runner.error = f"not available ({torch_reason})"  # said once, when the worker would not start
        elif torch_runners:
            prepare_torch(model, torch_runners, torch_worker, args.torch_qengine, ids_path, ref_path)
        for runner in [x for name, x in r.items() if name.startswith("llmopt-")]:
            prepare_llmopt(model, runner, llmopt, ids_path, ref)
    return r


def prepare_ort_int8(model: BenchModel, runner: Runner, threads, check_ids, ref):
    path, call, error = ort_int8_model(model)
    if error:
        runner.fail(f"quantize_dynamic failed: {error}")
        return
    runner.info.update(model=str(path.relative_to(REPO)), call=call)
    (out,) = bench_fp32.ort_session(path, threads).run([model.output], {"input_ids": check_ids})
    runner.info["rel_err"] = rel_err(out, ref)


def prepare_torch(model: BenchModel, runners, worker, qengine, ids_path, ref_path):
    answer = worker.request(cmd="load", kind=model.kind, config=vars(model.cfg), model=str(model.path),
                            check_ids=str(ids_path), check_ref=str(ref_path), qengine=qengine)
    for runner in runners:
        if not answer.get("ok"):
            runner.fail(answer.get("error"))
            continue
        mode = runner.name.split("-")[1]
        runner.info.update(rel_err=answer[f"{mode}_rel_err"],
                           how=answer["fp32_linear"] if mode == "fp32" else
                           f"quantize_dynamic({{nn.Linear}}, qint8), engine {answer['engine']}")


def prepare_llmopt(model: BenchModel, runner: Runner, llmopt: Path, ids_path, ref):
    if not llmopt.exists():
        runner.fail(f"no llmopt binary at {llmopt} (build it, or give --llmopt)")
        return
    options, suffix = LLMOPT_OPTIONS.get(runner.name, ((), ""))
    artifact, error = llmopt_compile(llmopt, model, LLMOPT_QUANT[runner.name], options, suffix)
    if error:
        runner.fail(f"compile: {error}")
        return
    runner.info["artifact"] = str(artifact.relative_to(REPO))
    out, error = llmopt_output(llmopt, artifact, model, ids_path)
    if error:
        runner.fail(f"run: {error}")
        return
    runner.info["rel_err"] = err = rel_err(out, ref)
    if runner.name == "llmopt-fp32" and (err is None or not err <= FP32_TOLERANCE):
        runner.fail(f"output differs from ORT fp32's: max |diff| / max |ref| = {err} (> {FP32_TOLERANCE})")


def time_rows(model: BenchModel, r: dict, args, llmopt: Path, torch_worker):
    """Every (threads, seq) row: each runner in turn on the same ids; the ORT sessions are made
    once per thread count."""
    rows = []
    for threads in args.threads:
        sessions = {}
        if "ort-fp32" in r and not r["ort-fp32"].error:
            sessions["ort-fp32"] = bench_fp32.ort_session(model.path, threads)
        if "ort-int8" in r and not r["ort-int8"].error:
            sessions["ort-int8"] = bench_fp32.ort_session(REPO / r["ort-int8"].info["model"], threads)
        for seq in args.seqs:
            ids_path = model.ids_file(seq)
            ids = np.load(ids_path)
            row = {"seq": seq, "threads": threads, "cells": {}, "errors": {}}
            rounds = {name: [] for name in r}
            bandwidths = []
            for _ in range(args.rounds):
                if seq == 1 and args.kernel_bench:
                    bandwidths.append(measure_bandwidth(args.kernel_bench, threads))
                time_round(model, r, args, llmopt, torch_worker, sessions, ids, ids_path, seq, threads,
                           row, rounds)
            for name, cells in rounds.items():
                row["cells"][name] = merge_rounds(cells) if cells and name not in row["errors"] else None
            bandwidths = [b for b in bandwidths if b]
            if args.bandwidth:
                row["bandwidth_gbs"] = args.bandwidth.get(threads)
            elif bandwidths:
                row["bandwidth_gbs"] = float(np.median(bandwidths))
                row["bandwidth_rounds_gbs"] = bandwidths
            add_derived(row, model)
            rows.append(row)
            print(f"  {model.name} seq {seq:4d} threads {threads}: " + "  ".join(
                f"{LABELS[n]} {fmt_ms(row['cells'][n])}" for n in r), flush=True)
        del sessions
    return rows


def measure_bandwidth(kernel_bench: Path, threads):
    """This machine's read bandwidth on `threads` threads now (llmopt-kernel-bench --only
    bandwidth: AVX loads over 512 MiB, best of 5 passes, about half a second), GB/s or None."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bw.json"
        r = subprocess.run([str(kernel_bench), "--only", "bandwidth", "--threads", str(threads),
                            "--bandwidth-bytes", "512M", "--json", str(out)], capture_output=True, text=True)
        if r.returncode != 0 or not out.exists():
            print(f"bandwidth: {kernel_bench} failed: {r.stderr.strip()}", file=sys.stderr)
            return None
        rows = json.loads(out.read_text())["limits"]
    return next((row["value"] for row in rows if row["id"] == f"memory.read.{threads}"), None)


def merge_rounds(cells):
    """One cell from a runner's rounds: the median of the rounds' medians (each round times every
    runner once, so a phase of the shared machine slows all runners alike, not one of them)."""
    merged = dict(cells[len(cells) // 2])
    merged["median_ms"] = float(np.median([c["median_ms"] for c in cells]))
    merged["min_ms"] = min(c["min_ms"] for c in cells)
    merged["round_medians_ms"] = [c["median_ms"] for c in cells]
    return merged


def time_round(model, r, args, llmopt, torch_worker, sessions, ids, ids_path, seq, threads, row, rounds):
    """Every runner once, one after the other, on the same ids."""
    iterations = max(1, args.iterations // args.rounds)
    for name, runner in r.items():
        if runner.error:
            row["errors"][name] = runner.error
            continue
        if name in row["errors"]:
            continue
        if name in sessions:
            cell, error = time_ort(sessions[name], model, ids, args.warmup, iterations), None
        elif name.startswith("torch-"):
            answer = torch_worker.request(cmd="time", mode=name.split("-")[1], ids=str(ids_path),
                                          threads=threads, warmup=args.warmup, iterations=iterations)
            cell, error = ({k: v for k, v in answer.items() if k != "ok"}, None) if answer.get("ok") \
                else (None, answer.get("error"))
        else:
            artifact = REPO / runner.info["artifact"]
            cell, error = time_llmopt(llmopt, artifact, ids_path, seq, threads, args.warmup, iterations)
        if error:
            print(f"{LABELS[name]} (seq {seq}, threads {threads}): {error}", file=sys.stderr, flush=True)
            row["errors"][name] = error
            if name.startswith("llmopt-"):
                runner.info.setdefault("bench_errors", []).append(error)
        else:
            rounds[name].append(cell)
        time.sleep(SETTLE_S)


def add_derived(row, model: BenchModel):
    med = {n: c["median_ms"] for n, c in row["cells"].items() if c}
    row["ratios"] = {label: (med[a] / med[b] if a in med and b in med else None) for label, a, b, _, _ in RATIOS}
    row["gbs"], row["bandwidth_fraction"] = {}, {}
    if row["seq"] != 1:
        return
    for name in STREAMED:
        cell = row["cells"].get(name)
        if cell:
            streamed = cell["weight_bytes"] - model.table_bytes(name)
            cell["streamed_bytes"] = streamed
            gbs = streamed / (cell["median_ms"] / 1e3) / 1e9
            row["gbs"][name] = gbs
            bw = row.get("bandwidth_gbs")
            row["bandwidth_fraction"][name] = gbs / bw if bw else None


# ---------------------------------------------------------------------------------------------
# Printing


def fmt_ms(cell):
    return f"{cell['median_ms']:.2f}" if cell else "n/a"


def bar_applies(seq, bar_seq):
    return bar_seq is None or seq == bar_seq


def print_table(model: BenchModel, r: dict, rows):
    cfg = model.cfg
    print()
    print(f"### {model.name}: {model.path.relative_to(REPO)} ({cfg.layers} layers, d_model {cfg.d_model}, "
          f"{cfg.heads} heads, FFN {cfg.ffn}, vocab {cfg.vocab}), batch 1, median ms")
    print()
    names = list(r)
    ratios = [x for x in RATIOS if x[1] in r and x[2] in r]
    streamed = [n for n in STREAMED if n in r]
    head = ["seq", "threads"] + [f"{LABELS[n]} ms" for n in names] + [x[0] for x in ratios]
    head += [f"{LABELS[n]} GB/s" for n in streamed]
    bandwidth = any(row.get("bandwidth_gbs") for row in rows)
    if bandwidth:
        head += ["read bandwidth GB/s"] + [f"{LABELS[n]} / bandwidth" for n in streamed]
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    for row in rows:
        cells = [str(row["seq"]), str(row["threads"])] + [fmt_ms(row["cells"][n]) for n in names]
        for label, _, _, bar, bar_seq in ratios:
            v = row["ratios"][label]
            mark = "" if v is None or not bar_applies(row["seq"], bar_seq) else (" ✓" if v >= bar else " ✗")
            cells.append("n/a" if v is None else f"{v:.2f}{mark}")
        cells += [f"{row['gbs'][n]:.1f}" if n in row["gbs"] else "—" for n in streamed]
        if bandwidth:
            cells.append(f"{row['bandwidth_gbs']:.1f}" if row.get("bandwidth_gbs") else "—")
            cells += [f"{row['bandwidth_fraction'][n]:.0%}" if row["bandwidth_fraction"].get(n) is not None else "—"
                      for n in streamed]
        print("| " + " | ".join(cells) + " |")
    print()
    bars = [f"{label} ≥ {bar:g}" + (f" at seq {bar_seq}" if bar_seq is not None else "")
            for label, _, _, bar, bar_seq in ratios]
    if bars:
        print("Bars (✓ met, ✗ missed): " + "; ".join(bars) + ".")
    if streamed:
        print("GB/s (seq 1): the artifact's weight bytes less its embedding tables (a token reads one row of "
              "each) / median.")
    for name, runner in r.items():
        info = runner.info
        parts = [info[k] for k in ("how", "call") if k in info]
        if info.get("rel_err") is not None and name != "ort-fp32":
            parts.append(f"max |diff| / max |ref| against ORT fp32 = {info['rel_err']:.2e}")
        if runner.error:
            parts.append(f"n/a: {runner.error}")
        if info.get("bench_errors"):
            parts.append(f"bench failed {len(info['bench_errors'])}x: {info['bench_errors'][0]}")
        if parts:
            print(f"- {LABELS[name]}: " + "; ".join(parts))


def versions(llmopt: Path, shown_path, torch_info):
    import onnxruntime as ort
    try:
        version = subprocess.run([str(llmopt), "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        version = "n/a"
    v = {"onnxruntime": ort.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
         "llmopt": f"{version.removeprefix('llmopt ') or 'n/a'} ({shown_path})", "python": sys.version.split()[0]}
    if torch_info:
        v.update({"torch": torch_info["torch"], "torch_numpy": torch_info["numpy"], "torch_blas": torch_info["blas"]})
    return v


# ---------------------------------------------------------------------------------------------
# Options


def name_list(choices):
    def parse(text):
        values = [v.strip() for v in text.split(",") if v.strip()]
        bad = [v for v in values if v not in choices]
        if not values or bad:
            raise argparse.ArgumentTypeError(f"'{text}': choose from {','.join(choices)}")
        return [c for c in choices if c in values]  # canonical order
    return parse


def bandwidth_list(text):
    """'25.3' (every thread count) or '1:20.1,2:31.5' -> {threads: GB/s} (0: every count)."""
    result = {}
    try:
        for part in text.split(","):
            threads, _, gbs = part.rpartition(":")
            result[int(threads) if threads else 0] = float(gbs)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': give GB/s, or THREADS:GBS pairs (e.g. 1:20.1,2:31.5)")
    if any(v <= 0 for v in result.values()):
        raise argparse.ArgumentTypeError(f"'{text}': bandwidths must be > 0")
    return result


def main() -> int:
    if "--torch-worker" in sys.argv[1:]:
        return torch_worker()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--models", type=name_list(["gpt2", "bert"]), default=["gpt2", "bert"],
                        help="gpt2, bert or both (default gpt2,bert)")
    parser.add_argument("--seqs", type=bench_fp32.int_list, default=[128, 1], help="sequence lengths (default 128,1)")
    parser.add_argument("--threads", type=bench_fp32.int_list, default=[1, 2], help="thread counts (default 1,2)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first, every runner (default 3)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="rounds of every runner per row; --iterations are split among them (default 4)")
    parser.add_argument("--iterations", type=int, default=20, help="timed runs, every runner (default 20)")
    parser.add_argument("--runners", type=name_list(RUNNERS), default=RUNNERS,
                        help=f"a subset of {','.join(RUNNERS)} (default all)")
    parser.add_argument("--layers", type=int, default=12, help="layers of both models (default 12)")
    parser.add_argument("--vocab", type=int, help="vocabulary of both models (default 50257 and 30522)")
    parser.add_argument("--llmopt", default=os.environ.get("LLMOPT", str(REPO / "build/tools/llmopt/llmopt")),
                        help="the llmopt binary (default: $LLMOPT or build/tools/llmopt/llmopt)")
    default_torch = REPO / ".venv-fixtures/bin/python"
    parser.add_argument("--torch-python", default=str(default_torch) if default_torch.exists() else None,
                        help="a Python with torch for the PyTorch runners (default .venv-fixtures/bin/python)")
    parser.add_argument("--torch-qengine", default=TORCH_QENGINES[0],
                        help=f"torch.backends.quantized.engine for PyTorch int8 (default {TORCH_QENGINES[0]}; "
                             f"when missing, the first of {','.join(TORCH_QENGINES)} this torch has)")
    parser.add_argument("--bandwidth-gbs", type=bandwidth_list, dest="bandwidth",
                        help="read bandwidth, GB/s: one number, or per thread count (1:20.1,2:31.5), instead of "
                             "measuring it in every seq-1 round (see --kernel-bench)")
    default_kb = REPO / "build/bench/kernels/llmopt-kernel-bench"
    parser.add_argument("--kernel-bench", type=Path, default=default_kb if default_kb.exists() else None,
                        help="llmopt-kernel-bench, which measures the read bandwidth before each seq-1 round; the "
                             "share of it llmopt int8/int4 stream their weights at is printed (default "
                             "build/bench/kernels/llmopt-kernel-bench when built)")
    parser.add_argument("--rebuild", action="store_true", help="remake the ONNX models even if cached")
    parser.add_argument("--json-out", help="also write every number to this JSON file")
    args = parser.parse_args()
    if (args.vocab is not None and args.vocab < 256) or args.layers < 1 or args.iterations < 1 or args.warmup < 0:
        parser.error("--vocab >= 256, --layers >= 1, --iterations >= 1, --warmup >= 0")
    if max(args.seqs) > 512 and "bert" in args.models:
        parser.error("--seqs: the BERT model has 512 positions")
    if args.bandwidth and 0 in args.bandwidth:
        args.bandwidth = {t: args.bandwidth[0] for t in args.threads}

    import onnxruntime  # noqa: F401  (fail early, before making models)
    command = shlex.join([sys.executable] + sys.argv)
    models = make_models(args.models, args.layers, args.vocab, args.rebuild)
    with tempfile.TemporaryDirectory(prefix="bench_peers_") as folder:
        return run_all(args, command, models, snapshot_llmopt(Path(args.llmopt), folder))


def run_all(args, command, models, llmopt: Path) -> int:
    """Every model: prepare, time, then the tables (and the JSON). The exit status."""
    torch_info, torch_reason, results, llmopt_failed = None, None, {}, False
    for model in models:
        worker = None
        if any(n.startswith("torch-") for n in args.runners):
            worker, torch_reason = start_torch(args.torch_python)
            if worker is None:
                print(f"PyTorch: not available ({torch_reason})", flush=True)
            else:
                torch_info = {k: v for k, v in worker.info.items() if k != "ok"}
        print(f"{model.name}: preparing the runners ...", flush=True)
        r = prepare(model, args.runners, args, llmopt, worker, torch_reason)
        try:
            rows = time_rows(model, r, args, llmopt, worker)
        finally:
            if worker is not None:
                worker.close()
        llmopt_failed |= any(runner.error or runner.info.get("bench_errors")
                             for n, runner in r.items() if n.startswith("llmopt-"))
        results[model.name] = {"model": model, "runners": r, "rows": rows}

    info = bench_fp32.machine()
    v = versions(llmopt, args.llmopt, torch_info)
    print()
    print(f"command: {command}")
    print(f"machine: {info['cpu']}, {info['cores']} cores; {info['system']}")
    print("versions: " + ", ".join(f"{k} {val}" for k, val in v.items()))
    print(f"runs: {args.warmup} warmup + {args.iterations} timed, one runner after the other; "
          f"input ids: bench/models/inputs/*-s{IDS_SEED}.npy")
    if torch_reason and any(n.startswith("torch-") for n in args.runners):
        print(f"PyTorch: not available ({torch_reason})")
    for res in results.values():
        print_table(res["model"], res["runners"], res["rows"])

    if args.json_out:
        out = {"command": command, "machine": info, "versions": v, "torch": torch_info,
               "options": {k: getattr(args, k) for k in ("models", "seqs", "threads", "warmup", "iterations",
                                                           "runners", "layers", "vocab", "torch_qengine")},
               "bandwidth_gbs": args.bandwidth, "ids_seed": IDS_SEED,
               "bars": [{"ratio": label, "numerator": a, "denominator": b, "bar": bar, "seq": s}
                        for label, a, b, bar, s in RATIOS],
               "models": {name: {"onnx": str(res["model"].path.relative_to(REPO)), "config": vars(res["model"].cfg),
                                 "runners": {n: {"error": x.error, **x.info} for n, x in res["runners"].items()},
                                 "rows": res["rows"]} for name, res in results.items()},
               "llmopt_failed": llmopt_failed}
        with open(args.json_out, "w") as f:
            json.dump(out, f, indent=2)
    return 1 if llmopt_failed else 0


if __name__ == "__main__":
    sys.exit(main())
