#!/usr/bin/env python3
"""GPT-2-small-shaped fp32 benchmark: llmopt against ONNX Runtime, side by side.

    .venv/bin/python bench/bench_fp32.py                      # full run (see bench/README.md)
    .venv/bin/python bench/bench_fp32.py --ort-only           # just the ONNX Runtime half
    .venv/bin/python bench/bench_fp32.py --vocab 8192 --seqs 128,1 --threads 1,2 --json-out r.json

1. Makes (once; cached in bench/models/, git-ignored) a GPT-2-small-shaped ONNX model with random
   weights (fixed seed) directly with onnx.helper + numpy: 12 layers, d_model 768, 12 heads,
   FFN 3072, vocab 50257, learned positions 1024, pre-LayerNorm (LayerNormalization, opset 17),
   attention and MLP in the form torch.onnx.export writes them (the same patterns as
   charlm-gpt's model.onnx: MatMul+Add linears with [in, out] weights, heads by Reshape
   [0, 0, 12, 64] + Transpose, causal mask = a constant lower-triangular bool [1, 1, 1024, 1024]
   sliced to [:seq, :seq] with ends from Shape -> Gather -> Unsqueeze, then Not, Where(-inf),
   positions by Shape -> Gather -> Range -> Gather(wpe), exact GELU as Div, Erf, Add, Mul, Mul),
   an untied LM head (no bias). Input input_ids int64 [batch, seq] (dynamic), output logits
   float32 [batch, seq, vocab]. Checked with onnx.checker, then with ONNX Runtime against a
   numpy float64 forward pass, for dynamic shapes, and for causality.
2. Compiles it with `llmopt compile` (build/tools/llmopt/llmopt unless --llmopt), cached beside
   the model until the model or the binary changes.
3. For each thread count and sequence length: ONNX Runtime fp32 (CPU EP, graph optimizations
   all, intra_op_num_threads = threads, inter_op 1, sequential execution, inputs and outputs
   pre-bound with IOBinding) and `llmopt bench` (same warmup and iteration counts) on the same
   shapes; prints a table of median ms and the ratio llmopt / ORT.

Exit status: 0 when every row has both numbers; 1 when llmopt failed (compile or bench: its
error is printed, the ORT numbers still are).
"""
import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "bench" / "models"
GENERATOR = "bench_fp32.py/1"  # bump when the graph changes: the cached file name carries it


# ---------------------------------------------------------------------------------------------
# The model


class Config:
    PREFIX = "gpt2s"  # of the cached file names

    def __init__(self, layers=12, d_model=768, heads=12, ffn=3072, vocab=50257, positions=1024):
        self.layers, self.d_model, self.heads, self.ffn = layers, d_model, heads, ffn
        self.vocab, self.positions = vocab, positions
        self.head_dim = d_model // heads
        assert self.head_dim * heads == d_model

    def stem(self):
        return (f"{self.PREFIX}-g1-L{self.layers}-D{self.d_model}-H{self.heads}-F{self.ffn}"
                f"-V{self.vocab}-P{self.positions}")


def make_weights(cfg: Config, seed: int = 1234) -> dict:
    """name -> float32 array. Linear weights are stored [in, out] (as torch exports them)."""
    rng = np.random.default_rng(seed)

    def normal(shape, std):
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)

    D, F = cfg.d_model, cfg.ffn
    w = {"wte.weight": normal((cfg.vocab, D), 0.02), "wpe.weight": normal((cfg.positions, D), 0.01)}
    for i in range(cfg.layers):
        p = f"blocks.{i}"
        for ln in ("ln1", "ln2"):
            w[f"{p}.{ln}.weight"] = 1.0 + normal((D,), 0.1)
            w[f"{p}.{ln}.bias"] = normal((D,), 0.02)
        for name in ("q", "k", "v", "proj"):
            w[f"{p}.attn.{name}.weight_t"] = normal((D, D), 0.02)
            w[f"{p}.attn.{name}.bias"] = normal((D,), 0.02)
        w[f"{p}.fc.weight_t"] = normal((D, F), 0.02)
        w[f"{p}.fc.bias"] = normal((F,), 0.02)
        w[f"{p}.fc_out.weight_t"] = normal((F, D), 0.02 / math.sqrt(2 * cfg.layers))
        w[f"{p}.fc_out.bias"] = normal((D,), 0.02)
    w["ln_f.weight"] = 1.0 + normal((D,), 0.1)
    w["ln_f.bias"] = normal((D,), 0.02)
    w["head.weight_t"] = normal((D, cfg.vocab), 0.02)
    return w


class GraphBuilder:
    def __init__(self):
        self.nodes = []
        self.count = {}

    def const(self, name, array):
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node("Constant", [], [out], name=name,
                                           value=numpy_helper.from_array(np.asarray(array), name=out)))
        return out

    def op(self, op_type, name, inputs, **attrs):
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=name, **attrs))
        return out


def make_model(cfg: Config, weights: dict) -> onnx.ModelProto:
    g = GraphBuilder()
    D, H, hd = cfg.d_model, cfg.heads, cfg.head_dim
    i64 = lambda v: np.array(v, dtype=np.int64)  # noqa: E731
    f32 = lambda v: np.array(v, dtype=np.float32)  # noqa: E731

    # Embeddings: wte[input_ids] + wpe[0:seq], positions computed in the graph.
    shape = g.op("Shape", "/Shape", ["input_ids"])
    seq = g.op("Gather", "/Gather", [shape, g.const("/Constant", i64(1))], axis=0)
    seq = g.op("Cast", "/Cast", [seq], to=TensorProto.INT64)
    positions = g.op("Range", "/Range", [g.const("/Constant_1", i64(0)), seq, g.const("/Constant_2", i64(1))])
    tok = g.op("Gather", "/wte/Gather", ["wte.weight", "input_ids"])
    pos = g.op("Gather", "/wpe/Gather", ["wpe.weight", positions])
    x = g.op("Add", "/Add", [tok, pos])

    causal = np.tril(np.ones((cfg.positions, cfg.positions), dtype=bool))[None, None]
    mask = g.const("/Constant_mask", causal)
    heads_shape = g.const("/Constant_heads_shape", i64([0, 0, H, hd]))
    merge_shape = g.const("/Constant_merge_shape", i64([0, 0, D]))

    def linear(prefix, inp, name, bias=True):
        y = g.op("MatMul", f"{prefix}/{name}/MatMul", [inp, f"{prefix[1:].replace('/', '.')}.{name}.weight_t"])
        if bias:
            y = g.op("Add", f"{prefix}/{name}/Add", [f"{prefix[1:].replace('/', '.')}.{name}.bias", y])
        return y

    for i in range(cfg.layers):
        b = f"/blocks.{i}"
        a = f"{b}/attn"
        h = g.op("LayerNormalization", f"{b}/ln1/LayerNormalization",
                 [x, f"blocks.{i}.ln1.weight", f"blocks.{i}.ln1.bias"], axis=-1, epsilon=1e-5)
        q = linear(a, h, "q")
        k = linear(a, h, "k")
        v = linear(a, h, "v")
        q = g.op("Transpose", f"{a}/Transpose", [g.op("Reshape", f"{a}/Reshape", [q, heads_shape])], perm=[0, 2, 1, 3])
        kt = g.op("Transpose", f"{a}/Transpose_2", [g.op("Reshape", f"{a}/Reshape_1", [k, heads_shape])],
                  perm=[0, 2, 3, 1])
        v = g.op("Transpose", f"{a}/Transpose_1", [g.op("Reshape", f"{a}/Reshape_2", [v, heads_shape])],
                 perm=[0, 2, 1, 3])
        scores = g.op("MatMul", f"{a}/MatMul", [q, kt])
        scores = g.op("Div", f"{a}/Div", [scores, g.const(f"{a}/Constant_9", f32(math.sqrt(hd)))])
        # mask[:, :, :seq, :seq] with seq = Shape(h)[1] (as torch exports `self.mask[:, :, :T, :T]`)
        t = g.op("Gather", f"{a}/Gather_1", [g.op("Shape", f"{a}/Shape_1", [h]), g.const(f"{a}/Constant_1", i64(1))],
                 axis=0)
        m = g.op("Slice", f"{a}/Slice", [mask, g.const(f"{a}/Constant_10", i64([0])),
                                         g.op("Unsqueeze", f"{a}/Unsqueeze_6", [t, g.const(f"{a}/Constant_11", i64([0]))]),
                                         g.const(f"{a}/Constant_12", i64([2])), g.const(f"{a}/Constant_13", i64([1]))])
        m = g.op("Slice", f"{a}/Slice_1", [m, g.const(f"{a}/Constant_14", i64([0])),
                                           g.op("Unsqueeze", f"{a}/Unsqueeze_7", [t, g.const(f"{a}/Constant_15", i64([0]))]),
                                           g.const(f"{a}/Constant_16", i64([3])), g.const(f"{a}/Constant_17", i64([1]))])
        m = g.op("Cast", f"{a}/Cast", [g.op("Not", f"{a}/Not", [m])], to=TensorProto.BOOL)
        scores = g.op("Where", f"{a}/Where", [m, g.const(f"{a}/Constant_18", f32(-np.inf)), scores])
        probs = g.op("Softmax", f"{a}/Softmax", [scores], axis=-1)
        ctx = g.op("MatMul", f"{a}/MatMul_1", [probs, v])
        ctx = g.op("Transpose", f"{a}/Transpose_3", [ctx], perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", f"{a}/Reshape_3", [ctx, merge_shape])
        x = g.op("Add", f"{b}/Add", [x, linear(a, ctx, "proj")])

        h = g.op("LayerNormalization", f"{b}/ln2/LayerNormalization",
                 [x, f"blocks.{i}.ln2.weight", f"blocks.{i}.ln2.bias"], axis=-1, epsilon=1e-5)
        f = linear(b, h, "fc")
        gl = g.op("Div", f"{b}/Div", [f, g.const(f"{b}/Constant", f32(math.sqrt(2.0)))])
        gl = g.op("Erf", f"{b}/Erf", [gl])
        gl = g.op("Add", f"{b}/Add_1", [gl, g.const(f"{b}/Constant_1", f32(1.0))])
        gl = g.op("Mul", f"{b}/Mul", [f, gl])
        gl = g.op("Mul", f"{b}/Mul_1", [gl, g.const(f"{b}/Constant_2", f32(0.5))])
        x = g.op("Add", f"{b}/Add_2", [x, linear(b, gl, "fc_out")])

    x = g.op("LayerNormalization", "/ln_f/LayerNormalization", [x, "ln_f.weight", "ln_f.bias"],
             axis=-1, epsilon=1e-5)
    g.nodes.append(helper.make_node("MatMul", [x, "head.weight_t"], ["logits"], name="/head/MatMul"))

    return finish_model(g.nodes, "gpt2s_random", ("logits", cfg.vocab), weights, "bench/bench_fp32.py",
                        GENERATOR)


def finish_model(nodes, name, output, weights, producer, version) -> onnx.ModelProto:
    """The graph of `nodes` with input_ids int64 [batch, seq], one float output (name, last dim)
    [batch, seq, dim] and the weights as initializers; opset 17, IR 8."""
    out_name, out_dim = output
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch", "seq", out_dim])],
        initializer=[numpy_helper.from_array(a, name=n) for n, a in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name=f"llmopt {producer}", producer_version=version)
    model.ir_version = 8
    return model


def reference_forward(cfg: Config, w: dict, ids: np.ndarray) -> np.ndarray:
    """The same network in numpy float64 (for checking the ONNX graph)."""
    W = {n: a.astype(np.float64) for n, a in w.items() if n != "head.weight_t" and n != "wte.weight"}
    B, S = ids.shape
    H, hd = cfg.heads, cfg.head_dim

    def ln(x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-5) * W[p + ".weight"] + W[p + ".bias"]

    def lin(x, p):
        return x @ W[p + ".weight_t"] + W[p + ".bias"]

    x = w["wte.weight"][ids].astype(np.float64) + W["wpe.weight"][:S]
    causal = np.tril(np.ones((S, S), dtype=bool))
    erf = np.vectorize(math.erf)
    for i in range(cfg.layers):
        p = f"blocks.{i}"
        h = ln(x, p + ".ln1")
        q, k, v = (lin(h, f"{p}.attn.{n}").reshape(B, S, H, hd).transpose(0, 2, 1, 3) for n in "qkv")
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd)
        s = np.where(causal, s, -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B, S, cfg.d_model)
        x = x + lin(ctx, p + ".attn.proj")
        f = lin(ln(x, p + ".ln2"), p + ".fc")
        x = x + lin(0.5 * f * (1.0 + erf(f / math.sqrt(2.0))), p + ".fc_out")
    return ln(x, "ln_f") @ w["head.weight_t"].astype(np.float64)


def ort_session(path: Path, threads: int):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def check_with_ort(cfg: Config, path: Path, session, weights=None):
    """Dynamic shapes, causality and (when the weights are at hand) a float64 reference."""
    rng = np.random.default_rng(99)
    for batch, seq in [(1, 1), (2, 17), (1, 128)]:
        ids = rng.integers(0, 256, size=(batch, seq), dtype=np.int64)
        (logits,) = session.run(["logits"], {"input_ids": ids})
        if logits.shape != (batch, seq, cfg.vocab) or not np.isfinite(logits).all():
            sys.exit(f"error: {path}: ORT logits for [{batch}, {seq}] are {logits.shape}, finite: "
                     f"{bool(np.isfinite(logits).all())}")
    ids = rng.integers(0, 256, size=(1, 16), dtype=np.int64)
    (a,) = session.run(["logits"], {"input_ids": ids})
    changed = ids.copy()
    changed[0, -1] = (changed[0, -1] + 1) % 256
    (b,) = session.run(["logits"], {"input_ids": changed})
    if not np.array_equal(a[0, :-1], b[0, :-1]) or np.array_equal(a[0, -1], b[0, -1]):
        sys.exit(f"error: {path}: the model is not causal (changing the last token changed earlier logits)")
    if weights is not None:
        ids = rng.integers(0, 256, size=(2, 9), dtype=np.int64)
        (logits,) = session.run(["logits"], {"input_ids": ids})
        ref = reference_forward(cfg, weights, ids)
        err = float(np.abs(logits - ref).max() / max(np.abs(ref).max(), 1e-30))
        print(f"  ORT vs numpy float64 reference: max |diff| / max |logit| = {err:.2e}")
        if err > 1e-4:
            sys.exit(f"error: {path}: ORT and the numpy reference disagree ({err:.2e})")


def cached_model(stem: str, make_weights_fn, make_model_fn, check_fn, rebuild: bool) -> Path:
    """bench/models/STEM.onnx, made once: weights, graph, onnx.checker, then check_fn(temp path,
    ORT session, weights) before the file takes its final name (so a failed check leaves none)."""
    MODELS.mkdir(parents=True, exist_ok=True)
    path = MODELS / f"{stem}.onnx"
    if path.exists() and not rebuild:
        return path
    t0 = time.perf_counter()
    print(f"making {path.relative_to(REPO)} ...", flush=True)
    weights = make_weights_fn()
    model = make_model_fn(weights)
    params = sum(a.size for a in weights.values())
    temp = path.with_suffix(".onnx.tmp")
    onnx.save(model, str(temp))
    del model
    onnx.checker.check_model(str(temp), full_check=True)
    check_fn(temp, ort_session(temp, 0), weights)
    os.replace(temp, path)
    print(f"  {params:,} parameters, {path.stat().st_size / 2**20:.1f} MiB, checked with onnx.checker and "
          f"ONNX Runtime ({time.perf_counter() - t0:.1f} s)", flush=True)
    return path


def ensure_model(cfg: Config, rebuild: bool) -> Path:
    return cached_model(cfg.stem(), lambda: make_weights(cfg), lambda w: make_model(cfg, w),
                        lambda path, session, w: check_with_ort(cfg, path, session, w), rebuild)


# ---------------------------------------------------------------------------------------------
# Timing


def stats(times_ms):
    a = np.asarray(times_ms)
    return {"median_ms": float(np.median(a)), "p10_ms": float(np.percentile(a, 10)),
            "p90_ms": float(np.percentile(a, 90)), "min_ms": float(a.min())}


def time_ort(session, batch, seq, vocab, warmup, iterations):
    import onnxruntime as ort
    ids = np.random.default_rng(20240611).integers(0, 256, size=(batch, seq), dtype=np.int64)
    out = np.empty((batch, seq, vocab), dtype=np.float32)
    binding = session.io_binding()
    binding.bind_ortvalue_input("input_ids", ort.OrtValue.ortvalue_from_numpy(ids))
    binding.bind_ortvalue_output("logits", ort.OrtValue.ortvalue_from_numpy(out))
    for _ in range(warmup):
        session.run_with_iobinding(binding)
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        session.run_with_iobinding(binding)
        times.append((time.perf_counter() - t0) * 1e3)
    return stats(times)


def time_llmopt(llmopt, artifact, batch, seq, threads, warmup, iterations):
    cmd = [str(llmopt), "bench", str(artifact), "--shape", f"input_ids={batch}x{seq}", "--threads", str(threads),
           "--warmup", str(warmup), "--iterations", str(iterations), "--json"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        return None, f"cannot run {llmopt}: {e.strerror}"
    if r.returncode != 0:
        return None, (r.stderr.strip() or f"exit {r.returncode}")
    result = json.loads(r.stdout)
    return {k: result[k] for k in ("median_ms", "p10_ms", "p90_ms", "min_ms")}, None


def compile_model(llmopt: Path, onnx_path: Path):
    artifact = onnx_path.with_suffix(".llmo")
    if (artifact.exists() and artifact.stat().st_mtime >= onnx_path.stat().st_mtime
            and artifact.stat().st_mtime >= llmopt.stat().st_mtime):
        return artifact, None
    t0 = time.perf_counter()
    print(f"compiling {artifact.relative_to(REPO)} ...", flush=True)
    try:
        r = subprocess.run([str(llmopt), "compile", str(onnx_path), "-o", str(artifact)], capture_output=True,
                           text=True)
    except OSError as e:
        return None, f"cannot run {llmopt}: {e.strerror}"
    if r.returncode != 0:
        return None, r.stderr.strip() or f"exit {r.returncode}"
    print(f"  {r.stderr.strip() or r.stdout.strip()} ({time.perf_counter() - t0:.1f} s)", flush=True)
    return artifact, None


def compare_logits(llmopt: Path, artifact: Path, session, seq=16):
    """llmopt run against ORT on one input: max |diff| / max |logit|, or (None, error)."""
    import tempfile
    ids = np.random.default_rng(7).integers(0, 256, size=(1, seq), dtype=np.int64)
    (expected,) = session.run(["logits"], {"input_ids": ids})
    with tempfile.TemporaryDirectory() as tmp:
        np.save(f"{tmp}/ids.npy", ids)
        try:
            r = subprocess.run([str(llmopt), "run", str(artifact), "--input", f"input_ids={tmp}/ids.npy",
                                "--output-dir", f"{tmp}/out"], capture_output=True, text=True)
        except OSError as e:
            return None, f"cannot run {llmopt}: {e.strerror}"
        if r.returncode != 0:
            return None, r.stderr.strip() or f"exit {r.returncode}"
        got = np.load(f"{tmp}/out/logits.npy")
    if got.shape != expected.shape:
        return None, f"llmopt's logits are {list(got.shape)}, ORT's {list(expected.shape)}"
    return float(np.abs(got - expected).max() / max(float(np.abs(expected).max()), 1e-30)), None


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()}


def int_list(text):
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of integers")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"'{text}': values must be >= 1")
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--vocab", type=int, default=50257)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--seqs", type=int_list, default=[128, 1], help="sequence lengths (default 128,1)")
    parser.add_argument("--threads", type=int_list, default=[1, 2], help="thread counts (default 1,2)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--llmopt", default=os.environ.get("LLMOPT", str(REPO / "build/tools/llmopt/llmopt")),
                        help="the llmopt binary (default: $LLMOPT or build/tools/llmopt/llmopt)")
    parser.add_argument("--ort-only", action="store_true", help="skip compiling and timing llmopt")
    parser.add_argument("--rebuild", action="store_true", help="remake the ONNX model even if cached")
    parser.add_argument("--json-out", help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.vocab < 256 or args.layers < 1 or args.batch < 1 or args.iterations < 1 or args.warmup < 0:
        parser.error("--vocab >= 256, --layers >= 1, --batch >= 1, --iterations >= 1, --warmup >= 0")
    if max(args.seqs) > 1024:
        parser.error("--seqs: the model has 1024 positions")

    import onnxruntime as ort
    cfg = Config(layers=args.layers, vocab=args.vocab)
    onnx_path = ensure_model(cfg, args.rebuild)

    llmopt = Path(args.llmopt)
    artifact, llmopt_error = None, None
    if not args.ort_only:
        if not llmopt.exists():
            llmopt_error = f"no llmopt binary at {llmopt} (build it: scripts/build.sh llmopt, or give --llmopt)"
        else:
            artifact, llmopt_error = compile_model(llmopt, onnx_path)
        if llmopt_error:
            print(f"llmopt: {llmopt_error}", file=sys.stderr, flush=True)

    rows = []
    logits_check = None
    for threads in args.threads:
        session = ort_session(onnx_path, threads)
        check_with_ort(cfg, onnx_path, session)
        if artifact is not None and not rows:
            # Timing a model that computes something else would mean nothing.
            err, error = compare_logits(llmopt, artifact, session)
            if error is None and not err <= 1e-3:
                error = f"llmopt's logits differ from ORT's: max |diff| / max |logit| = {err:.2e} (> 1e-3)"
            if error:
                print(f"llmopt run: {error}", file=sys.stderr, flush=True)
                llmopt_error = llmopt_error or error
            else:
                logits_check = err
                print(f"  llmopt vs ORT logits [1, 16]: max |diff| / max |logit| = {err:.2e}", flush=True)
        for seq in args.seqs:
            row = {"batch": args.batch, "seq": seq, "threads": threads,
                   "ort": time_ort(session, args.batch, seq, cfg.vocab, args.warmup, args.iterations), "llmopt": None}
            if artifact is not None:
                row["llmopt"], error = time_llmopt(llmopt, artifact, args.batch, seq, threads, args.warmup,
                                                   args.iterations)
                if error:
                    print(f"llmopt bench (seq {seq}, threads {threads}): {error}", file=sys.stderr, flush=True)
                    llmopt_error = llmopt_error or error
            rows.append(row)
            o, l = row["ort"]["median_ms"], row["llmopt"]["median_ms"] if row["llmopt"] else None
            print(f"  seq {seq:4d} threads {threads}: ORT {o:9.2f} ms   llmopt "
                  + (f"{l:9.2f} ms" if l is not None else "      n/a"), flush=True)
        del session

    info = machine()
    try:
        version = subprocess.run([str(llmopt), "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        version = "llmopt n/a"
    print()
    print(f"model: {onnx_path.relative_to(REPO)} ({cfg.layers} layers, d_model {cfg.d_model}, {cfg.heads} heads, "
          f"FFN {cfg.ffn}, vocab {cfg.vocab}), fp32, random weights")
    print(f"machine: {info['cpu']}, {info['cores']} cores; onnxruntime {ort.__version__}; {version}")
    print(f"runs: {args.warmup} warmup + {args.iterations} timed, median ms; batch {args.batch}")
    print()
    print("| seq | threads | ORT fp32 ms | llmopt fp32 ms | llmopt / ORT |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        o = r["ort"]["median_ms"]
        l = r["llmopt"]["median_ms"] if r["llmopt"] else None
        print(f"| {r['seq']} | {r['threads']} | {o:.2f} | " + (f"{l:.2f} | {l / o:.2f} |" if l is not None
                                                                else "n/a | n/a |"))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"model": str(onnx_path.relative_to(REPO)), "config": vars(cfg), "machine": info,
                       "onnxruntime": ort.__version__, "llmopt": version, "warmup": args.warmup,
                       "iterations": args.iterations, "logits_rel_diff": logits_check, "rows": rows,
                       "llmopt_error": llmopt_error}, f, indent=2)
    return 1 if (llmopt_error and not args.ort_only) else 0


if __name__ == "__main__":
    sys.exit(main())
