#!/usr/bin/env python3
"""Autoregressive decoding, GPT-2-small shape: `llmopt generate` against ONNX Runtime, side by side.

    .venv/bin/python bench/bench_generate.py                  # full run (see bench/README.md)
    .venv/bin/python bench/bench_generate.py --layers 1 --vocab 2000 --new-tokens 8 --prompt-len 16 --rounds 1
    .venv/bin/python bench/bench_generate.py --runners ort-int8,llmopt-int8,llmopt-int4 --threads 1
    .venv/bin/python bench/bench_generate.py --bandwidth-gbs 1:20.1,2:31.5 --json-out generate.json

1. Makes (once each; cached in bench/models/, git-ignored) two ONNX models with the same random
   weights (bench_fp32.py's generator and seed: 12 layers, d_model 768, 12 heads, FFN 3072,
   vocab 50257, 1024 learned positions, untied head):
   - a decoder-with-past model in the form Hugging Face's GPT-2 export has (`*.past.onnx`, made
     here with onnx.helper + numpy): inputs input_ids [batch, seq] and past_key_values.{i}.key /
     .value [batch, 12, past_seq, 64]; outputs logits [batch, seq, vocab] and present.{i}.key /
     .value [batch, 12, past_seq + seq, 64] (Concat of past and new along axis 2); positions
     past_seq + arange(seq) (past_seq from Shape of the first past key); the causal mask is the
     constant lower triangle sliced to rows [past_seq, past_seq + seq) and columns
     [0, past_seq + seq), so query i sees keys j <= past_seq + i. Every runner runs this model;
   - bench_fp32.py's model without past inputs (input_ids -> logits), the reference it is checked
     against with onnx.checker and ONNX Runtime: (a) a 16-token prompt with an empty past, (b) a
     12-token prefill and 4 single-token steps feeding present.* back as past_key_values.*, (c)
     this script's own decode loop (IOBinding) on 12 + 4 tokens; each step's logits against the
     full-sequence logits at that position, max |diff| / max |ref| <= 1e-4.
2. Prepares the runners:
   - ort-fp32, ort-int8: ONNX Runtime on the with-past model and on its
     quantize_dynamic(per_channel=True, weight_type=QInt8) copy (`*.past.ort-int8.onnx`,
     cached), sessions as bench_fp32.py makes them (CPU EP, all graph optimizations,
     intra_op_num_threads = threads, inter_op 1, sequential). Decoding: prefill the prompt with
     an empty past, greedy argmax of the last logits, then one token per step with present.*
     bound back as past_key_values.* (IOBinding: ORT allocates the presents, and the same
     OrtValues are the next step's past; logits go into a preallocated buffer);
   - llmopt-fp32, llmopt-int8, llmopt-int4: `llmopt compile` of the with-past model (no quant,
     `--quant int8`, `--quant int4`; llmopt imports the past as its KV cache: the artifact takes
     input_ids only), checked with `llmopt run` against ONNX Runtime as bench_peers.py checks,
     then `llmopt generate ARTIFACT --tokens PROMPT.npy --max-new-tokens N --threads T --warmup 1
     --stats-json F`, one process per generation. When this llmopt has no `generate` subcommand
     the llmopt runners are n/a with that reason;
   - llmopt-int8-kv16, llmopt-int4-kv16: the same with `--kv-cache-type fp16` (the cache in
     fp16 instead of the default int8 with a scale per position and head), to set them against.
3. For each thread count: --rounds rounds, each running every runner once (the order reversed
   every other round), so a slow phase of a shared machine falls on every runner alike; a cell
   is the median over the rounds of time to first token (prefill of the prompt including picking
   the first token), decode ms per token (the median step after the first token) and tokens per
   second ((new tokens - 1) / the total time of those steps). Also, in each round: the read
   bandwidth (llmopt-kernel-bench --only bandwidth, as bench_peers.py measures it; or
   --bandwidth-gbs), and `llmopt bench` of the int8 artifact on the prompt (one full forward of
   prompt-len tokens) to set llmopt int8's TTFT against.
4. Prints one Markdown table per thread count: TTFT, decode ms/token, tokens/s, and the bars:
   llmopt int8 / ORT int8 tokens/s >= 1.0, llmopt int4 / ORT int8 >= 1.5 (the same for their
   fp16-cache runners; llmopt fp32 / ORT fp32 without a bar), llmopt int8 and int4's (and their
   fp16-cache runners') weight-streaming rate (the artifact's weight
   bytes less its embedding tables, of which a token reads one row, / decode ms per token) as a
   share of the read bandwidth >= 85%, llmopt int8's TTFT <= one forward of the prompt; and how
   many of the greedy tokens of ORT fp32 and llmopt fp32 agree (reported, not a bar: with
   random weights, near-ties of the logits can send the two apart).

Exit status: 1 when an llmopt runner failed (no binary, no generate, compile, check or a
generation; its error is printed, the other numbers still are), 0 otherwise.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import bench_fp32  # noqa: E402  (the GPT-2 generator, ORT session settings, machine)
import bench_peers  # noqa: E402  (ORT int8, llmopt compile/run/bench, bandwidth, table bytes)

PAST_GENERATOR = "bench_generate.py/past/1"  # bump with the with-past graph (and the ".past" marker below)
PAST_MARKER = ".past"
RUNNERS = ["ort-fp32", "ort-int8", "llmopt-fp32", "llmopt-int8", "llmopt-int4", "llmopt-int8-kv16",
           "llmopt-int4-kv16"]
LABELS = bench_peers.LABELS
# (numerator, denominator, bar or None): tokens per second
RATIOS = [("llmopt-int8", "ort-int8", 1.0), ("llmopt-int4", "ort-int8", 1.5), ("llmopt-fp32", "ort-fp32", None),
          ("llmopt-int8-kv16", "ort-int8", 1.0), ("llmopt-int4-kv16", "ort-int8", 1.5)]
STREAMED = ["llmopt-int8", "llmopt-int4", "llmopt-int8-kv16", "llmopt-int4-kv16"]
BANDWIDTH_BAR = 0.85
TTFT_RUNNER = "llmopt-int8"  # its TTFT is set against one forward of the prompt
FORWARD_WARMUP, FORWARD_ITERATIONS = 2, 5  # llmopt bench of that forward, per round
CHECK_SEQ, CHECK_PREFILL = 16, 12
PAST_TOLERANCE = 1e-4
STATS_KEYS = ("prompt_tokens", "new_tokens", "ttft_ms", "decode_ms_per_token", "tokens_per_second", "step_ms",
              "tokens")
GENERATE_TIMEOUT_S = 1800


# ---------------------------------------------------------------------------------------------
# The decoder-with-past model


def past_names(cfg):
    return [f"past_key_values.{i}.{kv}" for i in range(cfg.layers) for kv in ("key", "value")]


def present_names(cfg):
    return [f"present.{i}.{kv}" for i in range(cfg.layers) for kv in ("key", "value")]


def make_past_model(cfg: bench_fp32.Config, weights: dict) -> onnx.ModelProto:
    """bench_fp32.make_model's network with a KV cache in and out (Hugging Face's GPT-2
    decoder-with-past form); the same weight names, so the same initializers."""
    g = bench_fp32.GraphBuilder()
    D, H, hd = cfg.d_model, cfg.heads, cfg.head_dim
    i64 = lambda v: np.array(v, dtype=np.int64)  # noqa: E731
    f32 = lambda v: np.array(v, dtype=np.float32)  # noqa: E731

    # past_seq = Shape(past_key_values.0.key)[2], seq = Shape(input_ids)[1], total = past_seq + seq
    seq = g.op("Gather", "/Gather", [g.op("Shape", "/Shape", ["input_ids"]), g.const("/Constant", i64(1))], axis=0)
    past = g.op("Gather", "/Gather_1", [g.op("Shape", "/Shape_1", ["past_key_values.0.key"]),
                                         g.const("/Constant_1", i64(2))], axis=0)
    total = g.op("Add", "/Add_total", [past, seq])
    positions = g.op("Range", "/Range", [past, total, g.const("/Constant_2", i64(1))])
    tok = g.op("Gather", "/wte/Gather", ["wte.weight", "input_ids"])
    pos = g.op("Gather", "/wpe/Gather", ["wpe.weight", positions])
    x = g.op("Add", "/Add", [tok, pos])

    # mask[:, :, past:total, :total] (HF: bias[:, :, key_length - query_length : key_length, :key_length])
    causal = np.tril(np.ones((cfg.positions, cfg.positions), dtype=bool))[None, None]
    mask = g.const("/Constant_mask", causal)
    past_u = g.op("Unsqueeze", "/Unsqueeze", [past, g.const("/Constant_3", i64([0]))])
    total_u = g.op("Unsqueeze", "/Unsqueeze_1", [total, g.const("/Constant_4", i64([0]))])
    m = g.op("Slice", "/Slice", [mask, past_u, total_u, g.const("/Constant_5", i64([2])),
                                 g.const("/Constant_6", i64([1]))])
    m = g.op("Slice", "/Slice_1", [m, g.const("/Constant_7", i64([0])), total_u, g.const("/Constant_8", i64([3])),
                                   g.const("/Constant_9", i64([1]))])
    masked = g.op("Not", "/Not", [m])
    heads_shape = g.const("/Constant_heads_shape", i64([0, 0, H, hd]))
    merge_shape = g.const("/Constant_merge_shape", i64([0, 0, D]))
    minus_inf = g.const("/Constant_minus_inf", f32(-np.inf))
    scale = g.const("/Constant_scale", f32(np.sqrt(hd)))

    def linear(scope, weight_prefix, inp, bias=True):
        y = g.op("MatMul", f"{scope}/MatMul", [inp, f"{weight_prefix}.weight_t"])
        return g.op("Add", f"{scope}/Add", [f"{weight_prefix}.bias", y]) if bias else y

    def heads(name, t):  # [B, S, D] -> [B, H, S, hd]
        return g.op("Transpose", f"{name}/Transpose", [g.op("Reshape", f"{name}/Reshape", [t, heads_shape])],
                    perm=[0, 2, 1, 3])

    for i in range(cfg.layers):
        b, p = f"/blocks.{i}", f"blocks.{i}"
        a = f"{b}/attn"
        h = g.op("LayerNormalization", f"{b}/ln1/LayerNormalization", [x, f"{p}.ln1.weight", f"{p}.ln1.bias"],
                 axis=-1, epsilon=1e-5)
        q = heads(f"{a}/q_heads", linear(f"{a}/q", f"{p}.attn.q", h))
        k = heads(f"{a}/k_heads", linear(f"{a}/k", f"{p}.attn.k", h))
        v = heads(f"{a}/v_heads", linear(f"{a}/v", f"{p}.attn.v", h))
        key, value = f"present.{i}.key", f"present.{i}.value"
        g.nodes.append(helper.make_node("Concat", [f"past_key_values.{i}.key", k], [key], name=f"{a}/Concat", axis=2))
        g.nodes.append(helper.make_node("Concat", [f"past_key_values.{i}.value", v], [value], name=f"{a}/Concat_1",
                                        axis=2))
        kt = g.op("Transpose", f"{a}/Transpose_k", [key], perm=[0, 1, 3, 2])
        scores = g.op("Div", f"{a}/Div", [g.op("MatMul", f"{a}/MatMul", [q, kt]), scale])
        scores = g.op("Where", f"{a}/Where", [masked, minus_inf, scores])
        probs = g.op("Softmax", f"{a}/Softmax", [scores], axis=-1)
        ctx = g.op("MatMul", f"{a}/MatMul_1", [probs, value])
        ctx = g.op("Reshape", f"{a}/Reshape_merge", [g.op("Transpose", f"{a}/Transpose_ctx", [ctx],
                                                           perm=[0, 2, 1, 3]), merge_shape])
        x = g.op("Add", f"{b}/Add", [x, linear(f"{a}/proj", f"{p}.attn.proj", ctx)])

        h = g.op("LayerNormalization", f"{b}/ln2/LayerNormalization", [x, f"{p}.ln2.weight", f"{p}.ln2.bias"],
                 axis=-1, epsilon=1e-5)
        f = linear(f"{b}/fc", f"{p}.fc", h)
        gl = g.op("Div", f"{b}/Div", [f, g.const(f"{b}/Constant", f32(np.sqrt(2.0)))])
        gl = g.op("Add", f"{b}/Add_1", [g.op("Erf", f"{b}/Erf", [gl]), g.const(f"{b}/Constant_1", f32(1.0))])
        gl = g.op("Mul", f"{b}/Mul_1", [g.op("Mul", f"{b}/Mul", [f, gl]), g.const(f"{b}/Constant_2", f32(0.5))])
        x = g.op("Add", f"{b}/Add_2", [x, linear(f"{b}/fc_out", f"{p}.fc_out", gl)])

    x = g.op("LayerNormalization", "/ln_f/LayerNormalization", [x, "ln_f.weight", "ln_f.bias"], axis=-1, epsilon=1e-5)
    g.nodes.append(helper.make_node("MatMul", [x, "head.weight_t"], ["logits"], name="/head/MatMul"))

    cache = lambda name, seq_dim: helper.make_tensor_value_info(  # noqa: E731
        name, TensorProto.FLOAT, ["batch", H, seq_dim, hd])
    graph = helper.make_graph(
        g.nodes, "gpt2s_random_with_past",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])]
        + [cache(n, "past_seq") for n in past_names(cfg)],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", cfg.vocab])]
        + [cache(n, "past_seq + seq") for n in present_names(cfg)],
        initializer=[numpy_helper.from_array(arr, name=n) for n, arr in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="llmopt bench/bench_generate.py", producer_version=PAST_GENERATOR)
    model.ir_version = 8
    return model


def empty_past(cfg):
    return {n: np.zeros((1, cfg.heads, 0, cfg.head_dim), dtype=np.float32) for n in past_names(cfg)}


def check_past_model(cfg, past_session, ref_session):
    """The with-past model (or its int8 copy) against the model without past, on ONNX Runtime:
    {check: max |diff| / max |ref|}, or raises ValueError on a wrong shape."""
    rng = np.random.default_rng(99)
    ids = rng.integers(0, cfg.vocab, size=(1, CHECK_SEQ), dtype=np.int64)
    (ref,) = ref_session.run(["logits"], {"input_ids": ids})
    outputs = ["logits"] + present_names(cfg)

    def run(feed_ids, past):
        outs = past_session.run(outputs, {"input_ids": feed_ids, **past})
        total = feed_ids.shape[1] + next(iter(past.values())).shape[2]
        want = (1, cfg.heads, total, cfg.head_dim)
        if outs[0].shape != (1, feed_ids.shape[1], cfg.vocab) or any(o.shape != want for o in outs[1:]):
            raise ValueError(f"with-past outputs are logits {list(outs[0].shape)}, presents "
                             f"{sorted({tuple(o.shape) for o in outs[1:]})}; expected presents {list(want)}")
        return outs[0], dict(zip(past_names(cfg), outs[1:]))

    errors = {}
    logits, _ = run(ids, empty_past(cfg))
    errors["empty_past"] = bench_peers.rel_err(logits, ref)

    logits, past = run(ids[:, :CHECK_PREFILL], empty_past(cfg))
    step = [bench_peers.rel_err(logits, ref[:, :CHECK_PREFILL])]
    for t in range(CHECK_PREFILL, CHECK_SEQ):
        logits, past = run(ids[:, t:t + 1], past)
        step.append(bench_peers.rel_err(logits[0, 0], ref[0, t]))
    errors["stepwise"] = max(step)

    # The runners' decode loop itself, on the tokens it picks.
    gen = ort_generate(past_session, cfg, ids[:, :CHECK_PREFILL], CHECK_SEQ - CHECK_PREFILL + 1, keep_logits=True)
    fed = np.concatenate([ids[:, :CHECK_PREFILL], np.array([gen["tokens"][:-1]], dtype=np.int64)], axis=1)
    (ref,) = ref_session.run(["logits"], {"input_ids": fed})
    errors["decode_loop"] = max(bench_peers.rel_err(row, ref[0, CHECK_PREFILL - 1 + j])
                                for j, row in enumerate(gen["logits"]))
    if any(int(np.argmax(row)) != tok for row, tok in zip(gen["logits"], gen["tokens"])):
        raise ValueError("the decode loop's tokens are not the argmax of its logits")
    return errors


def describe_checks(errors):
    return (f"(a) 16 tokens, empty past {errors['empty_past']:.2e}; (b) 12-token prefill + 4 steps "
            f"{errors['stepwise']:.2e}; (c) the IOBinding decode loop, 12 + 4 tokens {errors['decode_loop']:.2e}")


def ensure_past_model(cfg, nopast: Path, rebuild: bool) -> Path:
    """bench/models/STEM.past.onnx from bench_fp32's weights (same seed), checked against the
    model without past before it takes its name; remade when older than that model."""
    path = bench_fp32.MODELS / f"{cfg.stem()}{PAST_MARKER}.onnx"
    stale = path.exists() and path.stat().st_mtime < nopast.stat().st_mtime

    def check(temp, session, weights):
        del weights
        errors = check_past_model(cfg, session, bench_fp32.ort_session(nopast, 0))
        print(f"  with-past vs no-past model (ORT fp32), max |diff| / max |ref|: {describe_checks(errors)}")
        bad = {k: v for k, v in errors.items() if v is None or not v <= PAST_TOLERANCE}
        if bad:
            sys.exit(f"error: {temp}: the with-past model disagrees with the model without past: {bad} "
                     f"(> {PAST_TOLERANCE})")

    return bench_fp32.cached_model(f"{cfg.stem()}{PAST_MARKER}", lambda: bench_fp32.make_weights(cfg),
                                   lambda w: make_past_model(cfg, w), check, rebuild or stale)


# ---------------------------------------------------------------------------------------------
# ONNX Runtime decoding


def ort_generate(session, cfg, prompt, new_tokens, keep_logits=False):
    """Greedy decoding of `new_tokens` tokens after `prompt` ([1, P] int64) on a with-past
    session: prefill with an empty past, then one token per step, the presents bound back as the
    past. Times as `llmopt generate --stats-json` reports them."""
    import onnxruntime as ort
    value = ort.OrtValue.ortvalue_from_numpy
    pasts, presents = past_names(cfg), present_names(cfg)
    empty = value(np.zeros((1, cfg.heads, 0, cfg.head_dim), dtype=np.float32))
    prefill_logits = np.empty((1, prompt.shape[1], cfg.vocab), dtype=np.float32)
    step_logits = np.empty((1, 1, cfg.vocab), dtype=np.float32)
    prefill_value, step_value = value(prefill_logits), value(step_logits)
    binding = session.io_binding()
    kept, tokens, step_ms = [], [], []

    t0 = time.perf_counter()
    binding.bind_ortvalue_input("input_ids", value(np.ascontiguousarray(prompt, dtype=np.int64)))
    for name in pasts:
        binding.bind_ortvalue_input(name, empty)
    binding.bind_ortvalue_output("logits", prefill_value)  # bound first: get_outputs()[0]
    for name in presents:
        binding.bind_output(name, "cpu")
    session.run_with_iobinding(binding)
    cache = binding.get_outputs()[1:]
    tokens.append(int(np.argmax(prefill_logits[0, -1])))
    ttft_ms = (time.perf_counter() - t0) * 1e3
    if keep_logits:
        kept.append(prefill_logits[0, -1].copy())

    binding.bind_ortvalue_output("logits", step_value)
    for _ in range(new_tokens - 1):
        t0 = time.perf_counter()
        binding.bind_ortvalue_input("input_ids", value(np.array([[tokens[-1]]], dtype=np.int64)))
        for name, v in zip(pasts, cache):
            binding.bind_ortvalue_input(name, v)
        for name in presents:
            binding.bind_output(name, "cpu")  # a new allocation: one longer than the last
        session.run_with_iobinding(binding)
        cache = binding.get_outputs()[1:]
        tokens.append(int(np.argmax(step_logits[0, 0])))
        step_ms.append((time.perf_counter() - t0) * 1e3)
        if keep_logits:
            kept.append(step_logits[0, 0].copy())

    result = {"prompt_tokens": int(prompt.shape[1]), "new_tokens": len(tokens), "ttft_ms": ttft_ms,
              "decode_ms_per_token": float(np.median(step_ms)) if step_ms else None,
              "tokens_per_second": len(step_ms) / (sum(step_ms) / 1e3) if step_ms else None,
              "step_ms": step_ms, "tokens": tokens}
    if keep_logits:
        result["logits"] = kept
    return result


def prepare_ort(name, runner, past_model, cfg, threads, ref_session):
    """ort-fp32 must agree with the model without past; ort-int8's errors are for reference."""
    if name == "ort-fp32":
        path = past_model.path
        runner.info["call"] = "IOBinding decode loop; present.* bound back as past_key_values.*"
    else:
        path, call, error = bench_peers.ort_int8_model(past_model)
        if error:
            runner.fail(f"quantize_dynamic failed: {error}")
            return
        runner.info["call"] = call
    runner.info["model"] = str(path.relative_to(REPO))
    try:
        errors = check_past_model(cfg, bench_fp32.ort_session(path, threads), ref_session)
    except ValueError as e:
        runner.fail(str(e))
        return
    runner.info["checks"] = errors
    print(f"  {LABELS[name]} vs the no-past model (ORT fp32), max |diff| / max |ref|: {describe_checks(errors)}",
          flush=True)
    if name == "ort-fp32" and any(v is None or not v <= PAST_TOLERANCE for v in errors.values()):
        runner.fail(f"the with-past model disagrees with the model without past (> {PAST_TOLERANCE})")


# ---------------------------------------------------------------------------------------------
# llmopt


def generate_support(llmopt: Path):
    """None when this llmopt has the `generate` subcommand, else why not."""
    if not llmopt.exists():
        return f"no llmopt binary at {llmopt} (build it, or give --llmopt)"
    try:
        r = subprocess.run([str(llmopt), "generate", "--help"], capture_output=True, text=True, errors="replace",
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"`llmopt generate --help` could not run: {e}"
    if r.returncode != 0:
        tail = (r.stderr.strip() or r.stdout.strip()).splitlines()[-1:] or [f"exit {r.returncode}"]
        return f"`llmopt generate --help` failed (exit {r.returncode}): {tail[0]}"
    if "--max-new-tokens" not in r.stdout + r.stderr:
        return "this llmopt has no `generate` subcommand (`llmopt generate --help` does not list --max-new-tokens)"
    return None


def llmopt_generate(llmopt: Path, artifact: Path, prompt_path: Path, new_tokens, threads):
    """One `llmopt generate` process: (cell, None) or (None, error)."""
    with tempfile.TemporaryDirectory(prefix="bench_generate_") as tmp:
        stats_path = Path(tmp) / "stats.json"
        argv = [str(llmopt), "generate", str(artifact), "--tokens", str(prompt_path), "--max-new-tokens",
                str(new_tokens), "--threads", str(threads), "--warmup", "1", "--stats-json", str(stats_path)]
        try:
            r = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=GENERATE_TIMEOUT_S)
        except OSError as e:
            return None, f"cannot run {llmopt}: {e.strerror}"
        except subprocess.TimeoutExpired:
            return None, f"`llmopt generate` took longer than {GENERATE_TIMEOUT_S} s"
        if r.returncode != 0:
            return None, r.stderr.strip() or f"exit {r.returncode}"
        if not stats_path.exists():
            return None, "`llmopt generate` wrote no --stats-json file"
        try:
            stats = json.loads(stats_path.read_text())
        except ValueError as e:
            return None, f"--stats-json is not JSON: {e}"
    missing = [k for k in STATS_KEYS if k not in stats]
    if missing:
        return None, f"--stats-json lacks {', '.join(missing)}"
    if stats["new_tokens"] != new_tokens:
        return None, f"generated {stats['new_tokens']} tokens, asked for {new_tokens}"
    cell = {k: stats[k] for k in STATS_KEYS}
    steps = stats["step_ms"] or []
    if steps:  # the same numbers recomputed from the steps, as the ORT runners compute theirs
        cell["decode_ms_per_token_from_steps"] = float(np.median(steps))
        cell["tokens_per_second_from_steps"] = len(steps) / (sum(steps) / 1e3) if sum(steps) > 0 else None
    cell["tokens"] = stats["tokens"]
    cell["summary"] = (r.stderr.strip().splitlines() or [""])[-1]
    return cell, None


def prepare_llmopt(model, runner, llmopt: Path, support_error, check_ids_path, ref, prompt_path, threads):
    """Compile and check as bench_peers.py does (cached artifacts shared with it), then the
    artifact's weight bytes and one short generation (which also warms the file cache)."""
    if support_error:
        runner.fail(support_error)
        return
    bench_peers.prepare_llmopt(model, runner, llmopt, check_ids_path, ref)
    if runner.error:
        return
    artifact = REPO / runner.info["artifact"]
    cell, error = bench_peers.time_llmopt(llmopt, artifact, model.ids_file(1), 1, threads, 0, 1)
    if error:
        runner.fail(f"bench: {error}")
        return
    runner.info["weight_bytes"] = cell["weight_bytes"]
    runner.info["streamed_bytes"] = cell["weight_bytes"] - model.table_bytes(runner.name)
    cell, error = llmopt_generate(llmopt, artifact, prompt_path, 2, threads)
    if error:
        runner.fail(f"generate: {error}")


# ---------------------------------------------------------------------------------------------
# Rounds


def merge(cells):
    """The median over the rounds of each number; the rounds' values are kept."""
    merged = {"rounds": len(cells)}
    for key in ("ttft_ms", "decode_ms_per_token", "tokens_per_second"):
        values = [c[key] for c in cells if c.get(key) is not None]
        merged[key] = float(np.median(values)) if values else None
        merged[f"{key}_rounds"] = values
    merged["tokens"] = cells[0].get("tokens")
    merged["tokens_vary"] = any(c.get("tokens") != cells[0].get("tokens") for c in cells[1:])
    merged["step_ms_rounds"] = [c.get("step_ms") for c in cells]
    return merged


def agreement(a, b):
    """(identical leading tokens, tokens equal position by position, compared)."""
    n = min(len(a), len(b))
    prefix = next((i for i in range(n) if a[i] != b[i]), n)
    return prefix, sum(x == y for x, y in zip(a[:n], b[:n])), n


def time_rows(args, cfg, model, r, llmopt, prompt, prompt_path):
    rows = []
    names = [n for n in r]
    for threads in args.threads:
        sessions = {name: bench_fp32.ort_session(REPO / r[name].info["model"], threads)
                    for name in names if name.startswith("ort-") and not r[name].error}
        for session in sessions.values():
            ort_generate(session, cfg, prompt, min(2, args.new_tokens))  # warm the session's arena
        row = {"threads": threads, "cells": {}, "errors": {}, "forward": [], "bandwidths": []}
        rounds = {name: [] for name in names}
        measure_bw = (not args.bandwidth and args.kernel_bench
                      and any(n in r and not r[n].error for n in STREAMED))
        for k in range(args.rounds):
            if measure_bw:
                row["bandwidths"].append(bench_peers.measure_bandwidth(args.kernel_bench, threads))
            for name in (names if k % 2 == 0 else names[::-1]):
                runner = r[name]
                if runner.error or name in row["errors"]:
                    continue
                if name in sessions:
                    cell, error = ort_generate(sessions[name], cfg, prompt, args.new_tokens), None
                else:
                    artifact = REPO / runner.info["artifact"]
                    cell, error = llmopt_generate(llmopt, artifact, prompt_path, args.new_tokens, threads)
                    if error is None and name == TTFT_RUNNER:
                        time.sleep(bench_peers.SETTLE_S)
                        fwd, ferr = bench_peers.time_llmopt(llmopt, artifact, prompt_path, prompt.shape[1], threads,
                                                            FORWARD_WARMUP, FORWARD_ITERATIONS)
                        if ferr:
                            print(f"llmopt bench (forward, threads {threads}): {ferr}", file=sys.stderr, flush=True)
                            row["forward_error"] = ferr
                        else:
                            row["forward"].append(fwd["median_ms"])
                if error:
                    print(f"{LABELS[name]} (threads {threads}): {error}", file=sys.stderr, flush=True)
                    row["errors"][name] = error
                    runner.info.setdefault("generate_errors", []).append(error)
                else:
                    rounds[name].append(cell)
                time.sleep(bench_peers.SETTLE_S)
            print(f"  threads {threads} round {k + 1}/{args.rounds}: " + "  ".join(
                f"{LABELS[n]} {rounds[n][-1]['tokens_per_second']:.2f} tok/s" if rounds[n]
                and rounds[n][-1]["tokens_per_second"] else f"{LABELS[n]} n/a" for n in names), flush=True)
        del sessions
        for name, cells in rounds.items():
            row["cells"][name] = merge(cells) if cells and name not in row["errors"] else None
        add_derived(row, r, args)
        rows.append(row)
    return rows


def add_derived(row, r, args):
    cells = row["cells"]
    tps = {n: c["tokens_per_second"] for n, c in cells.items() if c and c["tokens_per_second"]}
    row["ratios"] = {f"{a}/{b}": (tps[a] / tps[b] if a in tps and b in tps else None) for a, b, _ in RATIOS}
    bw = [b for b in row["bandwidths"] if b]
    if args.bandwidth:
        row["bandwidth_gbs"] = args.bandwidth.get(row["threads"])
    else:
        row["bandwidth_gbs"] = float(np.median(bw)) if bw else None
    row["gbs"], row["bandwidth_fraction"] = {}, {}
    for name in STREAMED:
        c = cells.get(name)
        if c and c["decode_ms_per_token"]:
            gbs = r[name].info["streamed_bytes"] / (c["decode_ms_per_token"] / 1e3) / 1e9
            row["gbs"][name] = gbs
            row["bandwidth_fraction"][name] = gbs / row["bandwidth_gbs"] if row["bandwidth_gbs"] else None
    row["forward_ms"] = float(np.median(row["forward"])) if row["forward"] else None
    c = cells.get(TTFT_RUNNER)
    row["ttft_over_forward"] = c["ttft_ms"] / row["forward_ms"] if c and row["forward_ms"] else None
    a, b = cells.get("ort-fp32"), cells.get("llmopt-fp32")
    row["agreement"] = None
    if a and b and a.get("tokens") and b.get("tokens"):
        row["agreement"] = dict(zip(("prefix", "positional", "compared"), agreement(a["tokens"], b["tokens"])))


# ---------------------------------------------------------------------------------------------
# Printing


def mark(value, bar, at_least=True):
    if value is None or bar is None:
        return ""
    return " ✓" if (value >= bar if at_least else value <= bar) else " ✗"


def print_table(args, cfg, row, r):
    t = row["threads"]
    ratio_of = {a: (b, bar) for a, b, bar in RATIOS if a in r and b in r}
    streamed = [n for n in STREAMED if n in r]
    forward = TTFT_RUNNER in r
    print()
    print(f"### {t} thread{'s' if t > 1 else ''}: prompt {args.prompt_len} tokens, {args.new_tokens} new tokens, "
          f"greedy, batch 1; median of {args.rounds} round{'s' if args.rounds > 1 else ''}")
    print()
    head = ["runner", "TTFT ms", "decode ms/token", "tokens/s"]
    head += ["tokens/s ratio"] if ratio_of else []
    head += ["weights GB/s", "share of bandwidth"] if streamed else []
    head += ["TTFT / forward"] if forward else []
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    f = lambda v, p=2: "n/a" if v is None else f"{v:.{p}f}"  # noqa: E731
    for name in r:
        c = row["cells"].get(name)
        cells = [LABELS[name]] + ([f(c["ttft_ms"], 1), f(c["decode_ms_per_token"]), f(c["tokens_per_second"])]
                                  if c else ["n/a"] * 3)
        if ratio_of:
            if name in ratio_of:
                peer, bar = ratio_of[name]
                v = row["ratios"][f"{name}/{peer}"]
                cells.append("n/a" if v is None else f"{v:.2f}{mark(v, bar)} (/ {LABELS[peer]})")
            else:
                cells.append("—")
        if streamed:
            if name in streamed:
                cells.append(f(row["gbs"].get(name), 1))
                frac = row["bandwidth_fraction"].get(name)
                cells.append("n/a" if frac is None else f"{frac:.0%}{mark(frac, BANDWIDTH_BAR)}")
            else:
                cells += ["—", "—"]
        if forward:
            v = row["ttft_over_forward"]
            cells.append("—" if name != TTFT_RUNNER else "n/a" if v is None else
                         f"{v:.2f}{mark(v, 1.0, at_least=False)} (forward {row['forward_ms']:.1f} ms)")
        print("| " + " | ".join(cells) + " |")
    print()
    bars = [f"{LABELS[a]} / {LABELS[b]} tokens/s ≥ {bar:g}" for a, (b, bar) in ratio_of.items() if bar]
    if streamed:
        bars.append(f"weights streamed / read bandwidth ≥ {BANDWIDTH_BAR:.0%}")
    if forward:
        bars.append(f"{LABELS[TTFT_RUNNER]} TTFT ≤ one forward of its artifact on the 1x{args.prompt_len} prompt "
                    f"(`llmopt bench --input`, {FORWARD_WARMUP} warmup + {FORWARD_ITERATIONS} runs per round)")
    if bars:
        print("Bars (✓ met, ✗ missed): " + "; ".join(bars) + ".")
    if streamed:
        bw = row["bandwidth_gbs"]
        how = "--bandwidth-gbs" if args.bandwidth else "llmopt-kernel-bench --only bandwidth, median of the rounds"
        mean_ctx = args.prompt_len + args.new_tokens // 2
        print(f"Weights GB/s: the artifact's weight bytes less its embedding tables (a token reads one row of each) "
              f"/ decode ms per token; read bandwidth {'n/a' if bw is None else f'{bw:.1f} GB/s'} ({how}). "
              f"Not counted: the KV cache a step also reads at the mean context of {mean_ctx} positions "
              f"({kv_bytes(cfg, mean_ctx, 4) / 1e6:.1f} MB in fp32 for llmopt fp32 and ONNX Runtime, "
              f"{kv_bytes(cfg, mean_ctx, 1) / 1e6:.1f} MB and a scale per position and head in int8 for "
              f"llmopt int8 and int4: --kv-cache-type auto; {kv_bytes(cfg, mean_ctx, 2) / 1e6:.1f} MB in fp16 "
              f"for the fp16-cache runners).")
    ag = row["agreement"]
    if ag:
        print(f"Greedy tokens, ORT fp32 vs llmopt fp32: the first {ag['prefix']} of {ag['compared']} agree "
              f"({ag['positional']} of {ag['compared']} position by position); reported, not a bar.")
    elif "ort-fp32" in r and "llmopt-fp32" in r:
        print("Greedy tokens, ORT fp32 vs llmopt fp32: not compared (a runner has no result).")
    for name in r:
        c = row["cells"].get(name)
        if c and c["tokens_vary"]:
            print(f"Note: {LABELS[name]}'s greedy tokens differ between rounds.")


def kv_bytes(cfg, positions, element_bytes):
    return cfg.layers * 2 * cfg.d_model * element_bytes * positions


def print_runners(r):
    print()
    for name, runner in r.items():
        info = runner.info
        parts = [info[k] for k in ("call",) if k in info]
        if "artifact" in info:
            parts.append(f"{info['artifact']}, {info.get('weight_bytes', 0) / 2**20:.1f} MiB of weights, "
                         f"{info.get('streamed_bytes', 0) / 2**20:.1f} MiB streamed per token")
        if info.get("rel_err") is not None:
            parts.append(f"`llmopt run` [1, {bench_peers.CHECK_SEQ}] vs ORT fp32: {info['rel_err']:.2e}")
        if info.get("checks"):
            parts.append("vs the no-past model: " + describe_checks(info["checks"]))
        if runner.error:
            parts.append(f"n/a: {runner.error}")
        if info.get("generate_errors"):
            parts.append(f"generate failed {len(info['generate_errors'])}x: {info['generate_errors'][0]}")
        print(f"- {LABELS[name]}: " + "; ".join(parts))


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--runners", type=bench_peers.name_list(RUNNERS), default=RUNNERS,
                        help=f"a subset of {','.join(RUNNERS)} (default all)")
    parser.add_argument("--threads", type=bench_fp32.int_list, default=[1, 2], help="thread counts (default 1,2)")
    parser.add_argument("--prompt-len", type=int, default=128, help="prompt tokens (default 128)")
    parser.add_argument("--new-tokens", type=int, default=128, help="tokens to generate (default 128)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per thread count, each running every runner once (default 3)")
    parser.add_argument("--layers", type=int, default=12, help="layers (default 12)")
    parser.add_argument("--vocab", type=int, default=50257, help="vocabulary (default 50257)")
    parser.add_argument("--llmopt", default=os.environ.get("LLMOPT", str(REPO / "build/tools/llmopt/llmopt")),
                        help="the llmopt binary (default: $LLMOPT or build/tools/llmopt/llmopt)")
    parser.add_argument("--bandwidth-gbs", type=bench_peers.bandwidth_list, dest="bandwidth",
                        help="read bandwidth, GB/s: one number, or per thread count (1:20.1,2:31.5), instead of "
                             "measuring it in every round (see --kernel-bench)")
    default_kb = REPO / "build/bench/kernels/llmopt-kernel-bench"
    parser.add_argument("--kernel-bench", type=Path, default=default_kb if default_kb.exists() else None,
                        help="llmopt-kernel-bench, which measures the read bandwidth before each round (default "
                             "build/bench/kernels/llmopt-kernel-bench when built)")
    parser.add_argument("--rebuild", action="store_true", help="remake the ONNX models even if cached")
    parser.add_argument("--json-out", help="also write every number to this JSON file")
    args = parser.parse_args()
    if args.vocab < 256 or args.layers < 1 or args.rounds < 1 or args.prompt_len < 1 or args.new_tokens < 2:
        parser.error("--vocab >= 256, --layers >= 1, --rounds >= 1, --prompt-len >= 1, --new-tokens >= 2")
    cfg = bench_fp32.Config(layers=args.layers, vocab=args.vocab)
    if args.prompt_len + args.new_tokens > cfg.positions:
        parser.error(f"--prompt-len + --new-tokens: the model has {cfg.positions} positions")
    if args.bandwidth and 0 in args.bandwidth:
        args.bandwidth = {t: args.bandwidth[0] for t in args.threads}

    import onnxruntime  # noqa: F401  (fail early, before making models)
    command = shlex.join([sys.executable] + sys.argv)
    nopast = bench_fp32.ensure_model(cfg, args.rebuild)
    past = ensure_past_model(cfg, nopast, args.rebuild)
    model = bench_peers.BenchModel("gpt2", "gpt2", cfg, nopast, "logits", cfg.vocab)
    past_model = bench_peers.BenchModel("gpt2-past", "gpt2", cfg, past, "logits", cfg.vocab)
    prompt_path = model.ids_file(args.prompt_len)  # [1, P], the ids bench_peers.py times seq P on
    prompt = np.load(prompt_path)

    with tempfile.TemporaryDirectory(prefix="bench_generate_") as folder:
        llmopt = bench_peers.snapshot_llmopt(Path(args.llmopt), folder)
        r = {name: bench_peers.Runner(name) for name in args.runners}
        print("preparing the runners ...", flush=True)
        threads0 = args.threads[0]
        ref_session = bench_fp32.ort_session(nopast, threads0)
        check_ids = np.random.default_rng(7).integers(0, cfg.vocab, size=(1, bench_peers.CHECK_SEQ), dtype=np.int64)
        (ref,) = ref_session.run(["logits"], {"input_ids": check_ids})
        check_path = Path(folder) / "check_ids.npy"
        np.save(check_path, check_ids)
        for name in (n for n in r if n.startswith("ort-")):
            prepare_ort(name, r[name], past_model, cfg, threads0, ref_session)
        del ref_session
        support = generate_support(llmopt) if any(n.startswith("llmopt-") for n in r) else None
        for name in (n for n in r if n.startswith("llmopt-")):
            prepare_llmopt(past_model, r[name], llmopt, support, check_path, ref, prompt_path, threads0)
        rows = time_rows(args, cfg, model, r, llmopt, prompt, prompt_path)
        v = bench_peers.versions(llmopt, args.llmopt, None)

    llmopt_failed = any(runner.error or runner.info.get("generate_errors")
                        for n, runner in r.items() if n.startswith("llmopt-"))
    info = bench_fp32.machine()
    print()
    print(f"command: {command}")
    print(f"machine: {info['cpu']}, {info['cores']} cores; {info['system']}")
    print("versions: " + ", ".join(f"{k} {val}" for k, val in v.items()))
    print(f"model: {past.relative_to(REPO)} (with past, for ORT and llmopt alike; checked against "
          f"{nopast.relative_to(REPO)}); "
          f"{cfg.layers} layers, d_model {cfg.d_model}, {cfg.heads} heads, FFN {cfg.ffn}, vocab {cfg.vocab}, "
          f"random weights; prompt {prompt_path.relative_to(REPO)}")
    print_runners(r)
    for row in rows:
        print_table(args, cfg, row, r)

    if args.json_out:
        out = {"command": command, "machine": info, "versions": v,
               "options": {k: getattr(args, k) for k in ("runners", "threads", "prompt_len", "new_tokens", "rounds",
                                                           "layers", "vocab")},
               "bandwidth_gbs": args.bandwidth, "models": {"no_past": str(nopast.relative_to(REPO)),
                                                           "with_past": str(past.relative_to(REPO))},
               "config": vars(cfg), "prompt": str(prompt_path.relative_to(REPO)),
               "bars": {"ratios": [{"numerator": a, "denominator": b, "bar": bar} for a, b, bar in RATIOS],
                        "bandwidth_fraction": BANDWIDTH_BAR, "ttft_over_forward": 1.0},
               "runners": {n: {"error": x.error, **x.info} for n, x in r.items()},
               "rows": rows, "llmopt_failed": llmopt_failed}
        with open(args.json_out, "w") as f:
            json.dump(out, f, indent=2)
    return 1 if llmopt_failed else 0


if __name__ == "__main__":
    sys.exit(main())
