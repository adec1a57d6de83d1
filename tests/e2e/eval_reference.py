#!/usr/bin/env python3
"""Reference for `llmopt eval`: bits per byte of a byte-level LM with ONNX Runtime.

    tests/e2e/eval_reference.py MODEL.onnx BYTES_FILE [--window 256] [--batch 8]
                                [--max-windows K] [--threads N] [--json]

The charlm-gpt protocol (../shared/eval/charlm-gpt/README.md, "Evaluation protocol"): the file as
raw bytes b[0..N-1]; W = floor((N - 1) / L) windows w_i = b[L*i : L*i + L + 1]; input_ids =
w_i[0:L] as int64 [B, L]; target[t] = w_i[t + 1]; nll = -log_softmax(logits[b, t])[target] in
float64 from the float32 logits; mean over all W * L predictions; bpb = mean / ln 2;
ppl = exp(mean). Prints the same summary as `llmopt eval`, or with --json the same JSON fields.
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import onnxruntime as ort


def window_nll(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """logits float32 [B, L, V], targets int [B, L] -> summed nll per row, float64 [B]."""
    x = logits.astype(np.float64)
    x -= x.max(axis=-1, keepdims=True)
    picked = np.take_along_axis(x, targets[..., None].astype(np.int64), axis=-1)[..., 0]
    return (np.log(np.exp(x).sum(axis=-1)) - picked).sum(axis=-1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("bytes_file")
    parser.add_argument("--window", type=int, default=256)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--max-windows", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="ORT intra-op threads (0: ORT's default)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    L = args.window
    if L < 1 or args.batch < 1 or args.max_windows < 0:
        parser.error("--window and --batch must be >= 1, --max-windows >= 0")

    try:
        data = np.fromfile(args.bytes_file, dtype=np.uint8)
    except OSError as e:
        print(f"error: cannot read '{args.bytes_file}': {e.strerror}", file=sys.stderr)
        return 1
    n = data.size
    windows = (n - 1) // L if n >= L + 1 else 0
    if windows == 0:
        print(f"error: '{args.bytes_file}' has {n} bytes; --window {L} needs at least {L + 1}", file=sys.stderr)
        return 1
    if args.max_windows:
        windows = min(windows, args.max_windows)

    options = ort.SessionOptions()
    if args.threads:
        options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    if len(inputs) != 1 or inputs[0].name != "input_ids" or inputs[0].type != "tensor(int64)":
        print(f"error: {args.model}: needs one input 'input_ids' int64 [batch, seq]", file=sys.stderr)
        return 1
    outputs = [o.name for o in session.get_outputs()]
    output = "logits" if "logits" in outputs else (outputs[0] if len(outputs) == 1 else None)
    if output is None:
        print(f"error: {args.model}: needs an output 'logits' or a single output", file=sys.stderr)
        return 1

    total = 0.0
    start = time.perf_counter()
    for first in range(0, windows, args.batch):
        rows = min(args.batch, windows - first)
        w = np.stack([data[L * i: L * i + L + 1] for i in range(first, first + rows)]).astype(np.int64)
        (logits,) = session.run([output], {"input_ids": w[:, :L]})
        if logits.ndim != 3 or logits.shape[:2] != (rows, L) or logits.shape[2] < 256:
            print(f"error: output '{output}' is {list(logits.shape)}; needs [{rows}, {L}, V] with V >= 256",
                  file=sys.stderr)
            return 1
        total += float(window_nll(logits, w[:, 1:]).sum())
    seconds = time.perf_counter() - start

    predictions = windows * L
    mean_nll = total / predictions
    result = {
        "model": args.model, "file": args.bytes_file, "window": L, "batch": args.batch,
        "windows": windows, "predictions": predictions, "mean_nll": mean_nll,
        "bpb": mean_nll / math.log(2), "ppl": math.exp(mean_nll), "seconds": seconds,
        "bytes_per_second": predictions / seconds if seconds > 0 else 0.0,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"model:        {args.model} (ONNX Runtime {ort.__version__})")
        print(f"file:         {args.bytes_file} ({n} bytes)")
        print(f"windows:      {windows} (window {L}, batch {args.batch})")
        print(f"predictions:  {predictions}")
        print(f"mean NLL:     {mean_nll:.6f} nats/byte")
        print(f"bpb:          {result['bpb']:.6f} bits/byte")
        print(f"perplexity:   {result['ppl']:.4f} (per byte)")
        print(f"time:         {seconds:.2f} s ({result['bytes_per_second']:.0f} bytes/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
