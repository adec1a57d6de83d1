#!/usr/bin/env python3
"""`llmopt generate` end to end: decoding with the KV cache equals a full forward pass.

    tests/e2e/generate.py LLMOPT_BIN FIXTURES_DIR [--model-dir ../shared/eval/charlm-gpt]

For the tiny GPT-2 and Llama fixtures (learned and rotary positions) and, when present,
charlm-gpt, compiled in fp32 and every --quant mode: `llmopt generate --check` prefills a prompt,
decodes new tokens one step at a time, then runs the whole sequence as one plain forward pass and
compares the logits of every position (max |diff| / max |ref| per row). The tolerance is 1e-4
but for two modes whose activations are rounded to integers, which turns the last-bit
differences of a step (its attention kernel sums in another order than the long pass's) into
whole quantization steps: int8 (W8A8: per-token int8 activations) 0.02, and int4 0.1, whose
decoding steps also multiply int8-quantized activations (the W4A8 single-token kernel,
qgemv_w4a8.h) where the long forward pass multiplies fp32 ones.
Quantized modes get a rounded KV cache by default (--kv-cache-type auto): int8 for int8 and
int4, fp16 for the others. Each is checked with --kv-cache-type fp32 at the tolerances above
(the cache logic exact) and with its default cache; fp32, int8 and int4 also with the int8 or
fp16 cache that is not their default. An fp16 cache at FP16_CACHE_TOLERANCE (the cached keys and
values rounded to 11 bits: up to 5e-4 of the logits' range on these models, more where W8A8
turns that into quantization steps); an int8 cache at INT8_CACHE_TOLERANCE (each position's key
and value per kv head rounded to 255 levels: 0.006-0.012 of the logits' range for charlm-gpt in
fp32, 0.025 with int8 or int4 weights).
Decoder-with-past exports (tests/fixtures/transformers_past: the same GPT-2 and Llama exported
with past_key_values.* inputs and present.* outputs): the artifact has input_ids in and logits
out only, its forward pass equals ONNX Runtime stepping the export (prefill then one token per
step, presents fed back) within 1e-4, and decoding passes --check.
`llmopt eval --decode` (each window through the cache, one step per byte) gives the forward
pass's bits per byte on the GPT-2 fixture: within 1e-5 in fp32, 0.002 for int8 with an int8 cache.
Also: sampling is reproducible from its seed; --stats-json holds what it promises; charlm-gpt's
greedy continuation of a Python prompt looks like Python; BERT (an encoder) gets no cache and
generate says so; a prompt that fills the cache to the last position works.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

MODES = [None, "int8", "int8-weight", "int4", "fp16", "bf16"]
TOLERANCE = {"int8": 0.02, "int4": 0.1}
DEFAULT_TOLERANCE = 1e-4
FP16_CACHE_TOLERANCE = {"int8": 0.05, "int4": 0.1}
FP16_CACHE_DEFAULT_TOLERANCE = 2e-3
INT8_CACHE_MODES = [None, "int8", "int4"]  # also checked with the int8 / fp16 cache they lack
INT8_CACHE_TOLERANCE = {"int8": 0.08, "int4": 0.12}
INT8_CACHE_DEFAULT_TOLERANCE = 0.02
EVAL_DECODE_TOLERANCE = {"int8": 0.002}  # bits per byte
EVAL_DECODE_DEFAULT_TOLERANCE = 1e-5
PYTHON_PROMPT = ("class Server(object):\n    def __init__(self, host, port):\n"
                 "        self.host = host\n")

failures = []


def check(condition, message):
    print(("ok    " if condition else "FAIL  ") + message)
    if not condition:
        failures.append(message)


def run(argv):
    return subprocess.run(argv, capture_output=True, text=False)


def compile_model(llmopt, onnx_path, out_dir, name, mode, extra=()):
    path = os.path.join(out_dir, f"{name}.{mode or 'fp32'}.llmo")
    argv = [llmopt, "compile", onnx_path, "-o", path, *extra]
    if mode:
        argv += ["--quant", mode]
    result = run(argv)
    if result.returncode != 0:
        check(False, f"{name} {mode or 'fp32'}: compile failed: {result.stderr.decode()}")
        return None
    return path


def generate(llmopt, artifact, *args):
    return run([llmopt, "generate", artifact, *args])


def default_cache(mode):
    """The KV cache element type --kv-cache-type auto gives a mode."""
    return "fp32" if mode is None else "int8" if mode in ("int8", "int4") else "fp16"


def check_decoding(llmopt, artifact, label, mode, prompt, new_tokens, cache="fp32"):
    tolerance = {"fp16": FP16_CACHE_TOLERANCE.get(mode, FP16_CACHE_DEFAULT_TOLERANCE),
                 "int8": INT8_CACHE_TOLERANCE.get(mode, INT8_CACHE_DEFAULT_TOLERANCE)
                 }.get(cache, TOLERANCE.get(mode, DEFAULT_TOLERANCE))
    result = generate(llmopt, artifact, "--prompt", prompt, "--max-new-tokens", str(new_tokens),
                      "--check", "--check-tolerance", str(tolerance))
    last = result.stderr.decode().strip().splitlines()[-1:] or [""]
    check(result.returncode == 0, f"{label}: decoding equals one forward pass ({last[0]})")


def check_fixture(llmopt, fixtures, out_dir, name):
    onnx_path = os.path.join(fixtures, "transformers", name, "model.onnx")
    for mode in MODES:
        check_modes(llmopt, onnx_path, out_dir, name, name, mode, "hello, world", 40)


def check_modes(llmopt, onnx_path, out_dir, name, label, mode, prompt, new_tokens):
    """Decoding against the forward pass for one mode: fp32 models with their fp32 cache,
    quantized ones with an fp32 cache and with their default one; INT8_CACHE_MODES also with the
    rounded cache they do not get by default."""
    label = f"{label} {mode or 'fp32'}"
    default = default_cache(mode)
    # (--kv-cache-type, the element type it gives, artifact name suffix)
    caches = [("auto", default, "")] + ([("fp32", "fp32", "-cache32")] if mode else [])
    if mode in INT8_CACHE_MODES:
        other = "fp16" if default == "int8" else "int8"
        caches.append((other, other, "-cache-" + other))
    for option, cache, suffix in caches:
        artifact = compile_model(llmopt, onnx_path, out_dir, name + suffix, mode,
                                 ["--kv-cache-type", option])
        if artifact:
            check_decoding(llmopt, artifact, label + (f", {cache} cache" if cache != "fp32" else ""),
                           mode, prompt, new_tokens, cache)
    artifact = os.path.join(out_dir, f"{name}.fp32.llmo")

    # Sampling: the same seed gives the same tokens, and the stats file says what happened.
    stats = [os.path.join(out_dir, f"{name}.stats{i}.json") for i in range(2)]
    outs = [generate(llmopt, artifact, "--prompt", "abc", "--max-new-tokens", "20",
                     "--temperature", "0.9", "--top-k", "50", "--seed", "7", "--stats-json", s)
            for s in stats]
    check(all(o.returncode == 0 for o in outs) and outs[0].stdout == outs[1].stdout,
          f"{name}: sampling with one seed is reproducible")
    with open(stats[0]) as f:
        data = json.load(f)
    check(data["prompt_tokens"] == 3 and data["new_tokens"] == 20 and len(data["tokens"]) == 20
          and len(data["step_ms"]) == 19 and data["ttft_ms"] > 0 and data["tokens_per_second"] > 0,
          f"{name}: --stats-json has the counts and timings ({sorted(data)})")
    profiled = generate(llmopt, artifact, "--prompt", "abc", "--max-new-tokens", "8", "--profile")
    check(profiled.returncode == 0 and b"profile of the 7 decoding steps" in profiled.stderr
          and b"attention_f32" in profiled.stderr,
          f"{name}: --profile times the decoding steps per kernel")
    greedy = generate(llmopt, artifact, "--prompt", "abc", "--max-new-tokens", "20")
    check(greedy.returncode == 0 and greedy.stdout != outs[0].stdout,
          f"{name}: sampled and greedy continuations differ")


def check_full_cache(llmopt, fixtures, out_dir):
    # GPT-2's 64 positions: a 60-byte prompt and 4 new tokens fill the cache to its last row.
    artifact = os.path.join(out_dir, "gpt2.fp32.llmo")
    result = generate(llmopt, artifact, "--prompt", "x" * 60, "--max-new-tokens", "4", "--check")
    check(result.returncode == 0, "gpt2: a sequence as long as the cache decodes correctly")
    # Without --max-new-tokens: what fits (4 here).
    result = generate(llmopt, artifact, "--prompt", "x" * 60, "--stats-json",
                      os.path.join(out_dir, "fill.json"))
    with open(os.path.join(out_dir, "fill.json")) as f:
        check(result.returncode == 0 and json.load(f)["new_tokens"] == 4,
              "gpt2: the default new-token count stops at the cache's end")
    # A shorter cache than the model's limit.
    short = compile_model(llmopt, os.path.join(fixtures, "transformers", "gpt2", "model.onnx"),
                          out_dir, "gpt2-short", None, ["--max-seq", "16"])
    result = generate(llmopt, short, "--prompt", "x" * 10, "--max-new-tokens", "6", "--check")
    check(result.returncode == 0, "gpt2 --max-seq 16: decodes within its 16 positions")
    result = generate(llmopt, short, "--prompt", "x" * 10, "--max-new-tokens", "7")
    check(result.returncode == 1 and b"holds 16" in result.stderr,
          "gpt2 --max-seq 16: 17 positions are refused")


def check_eval_decode(llmopt, fixtures, out_dir):
    """`llmopt eval --decode` (each window through the cache) scores what the forward pass does."""
    text = os.path.join(out_dir, "text.txt")
    with open(text, "wb") as f:
        f.write((PYTHON_PROMPT * 8).encode()[:8 * 48 + 1])  # 8 windows of 48 bytes
    for mode, cache in ((None, "fp32"), ("int8", "int8")):
        artifact = compile_model(llmopt, os.path.join(fixtures, "transformers", "gpt2", "model.onnx"),
                                 out_dir, f"gpt2-eval-{cache}", mode, ["--kv-cache-type", cache])
        if not artifact:
            continue
        scores = {}
        for how in ("forward", "decode"):
            result = run([llmopt, "eval", artifact, "--bytes", text, "--window", "48", "--json",
                          *(["--decode"] if how == "decode" else [])])
            if result.returncode == 0:
                scores[how] = json.loads(result.stdout)
        label = f"gpt2 {mode or 'fp32'}, {cache} cache"
        if len(scores) < 2:
            check(False, f"{label}: eval failed: {result.stderr.decode().strip()}")
            continue
        forward, decode = scores["forward"]["bpb"], scores["decode"]["bpb"]
        # fp32: the cache is exact; int8: activations and cache rounded per step.
        tolerance = EVAL_DECODE_TOLERANCE.get(mode, EVAL_DECODE_DEFAULT_TOLERANCE)
        check(scores["decode"]["decode"] is True and scores["decode"]["predictions"] == 8 * 48
              and abs(decode - forward) <= tolerance,
              f"{label}: eval --decode {decode:.6f} bits per byte, the forward pass {forward:.6f} "
              f"(Δ {decode - forward:+.2g}, within {tolerance:g})")


def check_past_export(llmopt, fixtures, out_dir, name):
    folder = os.path.join(fixtures, "transformers_past", name)
    for mode in (None, "int8"):
        artifact = compile_model(llmopt, os.path.join(folder, "model.onnx"), out_dir,
                                 f"{name}-past", mode)
        if not artifact:
            continue
        label = f"{name} with past, {mode or 'fp32'}"
        info = run([llmopt, "inspect", artifact]).stdout.decode()
        io_lines = [l.split()[0] for l in info.splitlines() if l.startswith("  ")
                    and ("i64" in l or "f32" in l) and "[" in l]
        check(io_lines[:2] == ["input_ids", "logits"] and not any("past" in l or "present" in l
                                                                  for l in io_lines),
              f"{label}: input_ids in, logits out, the past kept inside ({io_lines[:4]})")
        if mode is None:
            result = run([llmopt, "run", artifact, "--input",
                          "input_ids=" + os.path.join(folder, "inputs", "input_ids.npy"),
                          "--output-dir", os.path.join(out_dir, f"{name}-past-out")])
            got = np.load(os.path.join(out_dir, f"{name}-past-out", "logits.npy"))
            ref = np.load(os.path.join(folder, "outputs", "logits.npy"))
            error = float(np.abs(got - ref).max() / np.abs(ref).max())
            check(result.returncode == 0 and error <= 1e-4,
                  f"{label}: forward pass equals ONNX Runtime stepping the export ({error:.2g})")
        check_decoding(llmopt, artifact, label, mode, "hello, world", 30, default_cache(mode))


def check_encoder(llmopt, fixtures, out_dir):
    artifact = compile_model(llmopt, os.path.join(fixtures, "transformers", "bert", "model.onnx"),
                             out_dir, "bert", None)
    result = generate(llmopt, artifact, "--prompt", "abc")
    check(result.returncode == 1 and b"has no KV cache" in result.stderr,
          "bert: an encoder has no KV cache, and generate says so")


def check_charlm(llmopt, model_dir, out_dir):
    onnx_path = os.path.join(model_dir, "model.onnx")
    for mode in MODES:
        check_modes(llmopt, onnx_path, out_dir, "charlm", "charlm-gpt", mode, PYTHON_PROMPT, 120)
    result = generate(llmopt, os.path.join(out_dir, "charlm.fp32.llmo"), "--prompt", PYTHON_PROMPT,
                      "--max-new-tokens", "160")
    text = result.stdout.decode("utf-8", "replace")
    print("      charlm-gpt continues:\n" + "\n".join("        | " + l for l in
                                                      (PYTHON_PROMPT + text).splitlines()))
    markers = ("self.", " = ", "        ", "_")
    pythonish = sum(word in text for word in markers)
    check(result.returncode == 0 and pythonish >= 3,
          f"charlm-gpt: the continuation looks like Python ({pythonish} of {len(markers)} markers: "
          "attributes of self, assignments, indentation, snake_case)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("llmopt")
    parser.add_argument("fixtures")
    parser.add_argument("--model-dir", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="llmopt-generate-") as out_dir:
        check_fixture(args.llmopt, args.fixtures, out_dir, "gpt2")
        check_fixture(args.llmopt, args.fixtures, out_dir, "llama")
        check_full_cache(args.llmopt, args.fixtures, out_dir)
        check_past_export(args.llmopt, args.fixtures, out_dir, "gpt2")
        check_past_export(args.llmopt, args.fixtures, out_dir, "llama")
        check_encoder(args.llmopt, args.fixtures, out_dir)
        check_eval_decode(args.llmopt, args.fixtures, out_dir)
        if args.model_dir and os.path.exists(os.path.join(args.model_dir, "model.onnx")):
            check_charlm(args.llmopt, args.model_dir, out_dir)
        else:
            print("skip  charlm-gpt: no model at --model-dir")
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
