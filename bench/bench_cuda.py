#!/usr/bin/env python3
"""GPT-2-small shape on one GPU: llmopt --target cuda (fp16, int8, int4) against PyTorch eager
fp16, side by side, and the int4 GEMV's share of the memory bandwidth.

    python3 bench/bench_cuda.py --llmopt build/tools/llmopt/llmopt [--cuda-arch sm_90]
        [--modes fp16,int8,int4] [--iterations 200] [--json-out cuda.json]

Needs a CUDA GPU, PyTorch with CUDA, numpy, onnx, onnxruntime (the model's check), and an llmopt
that can compile for CUDA (nvcc found as `llmopt compile --target cuda` finds it). The GPU
machines lent to sessions have all but llmopt, which travels there as a binary with its shared
libraries (bench/README.md, "CUDA").

1. Makes GPT-2 small with random weights (bench_fp32.py's generator and fixed seed: 12 layers,
   d_model 768, 12 heads, FFN 3072, vocab 50257, untied head; input_ids -> logits) and compiles
   it with `--target cuda` per mode. PyTorch holds an nn.Module with the same weights
   (bench_peers.py's), in fp16 on the GPU.
2. Accuracy, sequence 128: each artifact's logits (`llmopt run`) and PyTorch fp16's against
   PyTorch fp32 on the GPU (TF32 off): max |diff| / max |ref| and top-1 agreement; and each
   CUDA artifact's against the same model compiled for the CPU (the kernels must agree).
3. Time, batch 1, sequence 128 (prefill) and 1 (one token, no KV cache: the whole forward pass
   over one position), same input ids: `llmopt bench` (a run = input up, every kernel, logits
   down to the host, waited for) and PyTorch eager fp16 under inference_mode (a call = the
   forward pass, synchronized; logits stay on the GPU, and a second figure copies them to the
   host as llmopt's run does). Each cell is the median of --rounds rounds' medians, the runners
   interleaved by round; every llmopt artifact twice, launching op by op and replaying its
   runs as a CUDA graph (`llmopt bench --cuda-graphs`, the "+graphs" rows). `llmopt bench
   --profile` adds the GPU time of the kernels alone (CUDA events around each), and the kernels
   that take most of it.
4. GEMV: a chain of 8 MatMuls [1, 4096] x [4096, 4096] compiled with --quant int4 (7 int4
   layers, 9.4 MB each, and the last in int8: 83 MB together, more than the L2 cache, so every
   layer reads its weights from memory); each int4 layer's kernel time (CUDA events) against
   its bytes, as a fraction of the device's bandwidth measured here (a 1 GiB device-to-device
   copy, bytes read + written / time).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import bench_fp32  # noqa: E402  (the GPT-2 generator and its weights)
import bench_peers  # noqa: E402  (the same model as an nn.Module)

GEMV_DIM = 4096
GEMV_LAYERS = 8


def run(cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, errors="replace")
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stderr.strip()}")
    return r


def compile_cuda(llmopt, model, out, quant, arch):
    t0 = time.perf_counter()
    argv = [llmopt, "compile", model, "-o", out, "--target", "cuda"]
    argv += ["--cuda-arch", arch] if arch else []
    argv += ["--quant", quant] if quant != "fp32" else []
    run(argv)
    return time.perf_counter() - t0


def compile_cpu(llmopt, model, out, quant):
    run([llmopt, "compile", model, "-o", out] + (["--quant", quant] if quant != "fp32" else []))


def llmopt_logits(llmopt, artifact, ids_path, output, input_name="input_ids"):
    with tempfile.TemporaryDirectory() as tmp:
        run([llmopt, "run", artifact, "--input", f"{input_name}={ids_path}", "--output-dir", tmp])
        return np.load(os.path.join(tmp, f"{output}.npy"))


def llmopt_bench(llmopt, artifact, inputs, warmup, iterations, profile=False, graphs=False):
    argv = [llmopt, "bench", artifact, "--warmup", warmup, "--iterations", iterations, "--json"]
    if graphs:
        argv.append("--cuda-graphs")
    for name, path in inputs:
        argv += ["--input", f"{name}={path}"]
    return json.loads(run(argv + (["--profile"] if profile else [])).stdout)


def accuracy(got, ref):
    got, ref = got.astype(np.float64), ref.astype(np.float64)
    rel = float(np.max(np.abs(got - ref)) / max(float(np.max(np.abs(ref))), 1e-30))
    top1 = float(np.mean(got.argmax(-1) == ref.argmax(-1)))
    return {"rel_err": rel, "top1": top1}


def torch_timer(torch, fn, warmup, iterations):
    """Median ms of fn() + synchronize, after warmup calls."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times))


def device_bandwidth(torch):
    """Bytes read + written per second by a 1 GiB device-to-device copy (median of 20)."""
    src = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms = torch_timer(torch, lambda: dst.copy_(src), 3, 20)
    return 2 * src.numel() / (ms * 1e-3)


def matmul_chain(path, rows, dim, layers):
    """x [rows, dim] through `layers` MatMuls by [dim, dim] random weights (y)."""
    rng = np.random.default_rng(7)
    nodes, inits, x = [], [], "x"
    for i in range(layers):
        w = (rng.standard_normal((dim, dim), dtype=np.float32) * 0.02).astype(np.float32)
        inits.append(numpy_helper.from_array(w, name=f"w{i}"))
        y = f"y{i}" if i < layers - 1 else "y"
        nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [y], name=f"gemv{i}"))
        x = y
    graph = helper.make_graph(
        nodes, "gemv_chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, dim])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, dim])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def top_kernels(profile, count=6):
    kernels = sorted(profile["kernels"], key=lambda k: -k["ms_per_run"])
    return [(k["kernel"], k["ops"], k["ms_per_run"]) for k in kernels[:count]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llmopt", required=True)
    parser.add_argument("--cuda-arch", default="sm_90")
    parser.add_argument("--modes", default="fp16,int8,int4")
    parser.add_argument("--seqs", default="128,1")
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", default=str(bench_fp32.MODELS / "cuda"),
                        help="folder for the models and artifacts (default bench/models/cuda)")
    parser.add_argument("--json-out", default="")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("no CUDA device: nothing to measure")
        return 77
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    modes = args.modes.split(",")
    seqs = [int(s) for s in args.seqs.split(",")]
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    props = torch.cuda.get_device_properties(0)
    result = {"gpu": props.name, "sms": props.multi_processor_count, "torch": torch.__version__,
              "arch": args.cuda_arch, "layers": args.layers}
    print(f"GPU: {props.name}, {props.multi_processor_count} SMs; torch {torch.__version__}", flush=True)

    # 1. Models and artifacts: the GPT-2 compiles and the GEMV chain's, all at once.
    cfg = bench_fp32.Config(layers=args.layers)
    bench_fp32.MODELS = work  # the generator caches its model there
    gpt2 = bench_fp32.ensure_model(cfg, rebuild=False)
    gemv = work / "gemv_chain.onnx"
    matmul_chain(gemv, 1, GEMV_DIM, GEMV_LAYERS)
    # One W8A8 layer of 512 x 4096 by 4096 x 4096: 1024 tiles of 32 x 64, so the tensor-core
    # kernel; its input straight from the file, so CUDA and CPU must agree to the last bit.
    w8a8 = work / "w8a8_layer.onnx"
    matmul_chain(w8a8, 512, 4096, 1)
    jobs = {mode: (gpt2, work / f"gpt2.{mode}.cuda.llmo", mode) for mode in modes}
    jobs["gemv-int4"] = (gemv, work / "gemv.int4.cuda.llmo", "int4")
    jobs["w8a8-layer"] = (w8a8, work / "w8a8.int8.cuda.llmo", "int8")
    cpu = {mode: (gpt2, work / f"gpt2.{mode}.cpu.llmo", mode) for mode in modes}
    cpu["w8a8-layer"] = (w8a8, work / "w8a8.int8.cpu.llmo", "int8")
    with ThreadPoolExecutor(len(jobs) + len(cpu)) as pool:
        futures = {k: pool.submit(compile_cuda, args.llmopt, m, o, q, args.cuda_arch)
                   for k, (m, o, q) in jobs.items()}
        cpu_futures = [pool.submit(compile_cpu, args.llmopt, m, o, q) for m, o, q in cpu.values()]
        result["compile_s"] = {k: round(f.result(), 1) for k, f in futures.items()}
        for f in cpu_futures:
            f.result()
    result["artifact_bytes"] = {k: os.path.getsize(o) for k, (_, o, _) in jobs.items()}
    print(f"compiled: {result['compile_s']} s", flush=True)

    # 2. Accuracy against PyTorch fp32 on the GPU.
    weights = bench_fp32.make_weights(cfg)
    module = bench_peers.torch_model("gpt2", vars(cfg), weights).cuda()
    del weights
    rng = np.random.default_rng(99)
    ids = {s: rng.integers(0, cfg.vocab, size=(1, s), dtype=np.int64) for s in seqs}
    ids_path = {}
    for s in seqs:
        ids_path[s] = work / f"ids_{s}.npy"
        np.save(ids_path[s], ids[s])
    check_seq = max(seqs)
    with torch.inference_mode():
        ids_gpu = {s: torch.from_numpy(ids[s]).cuda() for s in seqs}
        ref = module(ids_gpu[check_seq]).float().cpu().numpy()
        module = module.half()
        result["accuracy"] = {"torch-fp16": accuracy(module(ids_gpu[check_seq]).float().cpu().numpy(), ref)}
    result["cuda_vs_cpu"] = {}
    for mode in modes:
        got = llmopt_logits(args.llmopt, jobs[mode][1], ids_path[check_seq], "logits")
        result["accuracy"][f"llmopt-{mode}"] = accuracy(got, ref)
        # The same artifact compiled for the CPU: the kernels must agree, as the fixtures do.
        on_cpu = llmopt_logits(args.llmopt, cpu[mode][1], ids_path[check_seq], "logits")
        result["cuda_vs_cpu"][mode] = accuracy(got, on_cpu)["rel_err"]
    x_w8a8 = work / "w8a8_x.npy"
    np.save(x_w8a8, rng.standard_normal((512, 4096), dtype=np.float32))
    got, on_cpu = (llmopt_logits(args.llmopt, a, x_w8a8, "y", "x")
                   for a in (jobs["w8a8-layer"][1], cpu["w8a8-layer"][1]))
    result["cuda_vs_cpu"]["w8a8-layer (tensor cores)"] = accuracy(got, on_cpu)["rel_err"]
    print("accuracy vs PyTorch fp32 (seq %d): %s" % (check_seq, json.dumps(result["accuracy"])), flush=True)
    print("llmopt CUDA vs llmopt CPU, max |diff| / max |ref|: %s" % json.dumps(result["cuda_vs_cpu"]),
          flush=True)

    # 3. Time, interleaved by round.
    cells = {}
    per_round = max(1, args.iterations // args.rounds)
    with torch.inference_mode():
        for rnd in range(args.rounds):
            for s in seqs:
                forward = lambda: module(ids_gpu[s])  # noqa: E731
                to_host = lambda: module(ids_gpu[s]).cpu()  # noqa: E731
                cells.setdefault(("torch-fp16", s), []).append(
                    torch_timer(torch, forward, args.warmup, per_round))
                cells.setdefault(("torch-fp16+host", s), []).append(
                    torch_timer(torch, to_host, args.warmup, per_round))
                for mode in modes:
                    for graphs in (False, True):
                        b = llmopt_bench(args.llmopt, jobs[mode][1], [("input_ids", ids_path[s])],
                                         args.warmup, per_round, graphs=graphs)
                        name = f"llmopt-{mode}" + ("+graphs" if graphs else "")
                        cells.setdefault((name, s), []).append(b["median_ms"])
    table = {f"{k[0]}@{k[1]}": float(np.median(v)) for k, v in cells.items()}
    profiles = {}
    for s in seqs:
        for mode in modes:
            p = llmopt_bench(args.llmopt, jobs[mode][1], [("input_ids", ids_path[s])],
                             args.warmup, per_round, profile=True)["profile"]
            gpu_ms = sum(op["ms_per_run"] for op in p["ops"])
            profiles[f"llmopt-{mode}@{s}"] = {"gpu_ms": gpu_ms, "ops": len(p["ops"]),
                                              "top": top_kernels(p)}
    result["median_ms"], result["profile"] = table, profiles

    # 4. GEMV bandwidth.
    bandwidth = device_bandwidth(torch)
    x_path = work / "gemv_x.npy"
    np.save(x_path, rng.standard_normal((1, GEMV_DIM), dtype=np.float32))
    p = llmopt_bench(args.llmopt, jobs["gemv-int4"][1], [("x", x_path)], args.warmup,
                     args.iterations, profile=True)
    # --quant int4 keeps the last layer in int8 (as it keeps an lm_head): the int4 layers only,
    # their bytes those of the format (nibbles, fp16 scale and offset per group of 64 rows).
    weight_bytes = GEMV_DIM * GEMV_DIM // 2 + 2 * 2 * GEMV_DIM * (GEMV_DIM // 64)
    op_ms = sorted(op["ms_per_run"] for op in p["profile"]["ops"] if op["kernel"] == "linear_int4")
    median_op_ms = op_ms[len(op_ms) // 2]
    result["gemv"] = {"device_gbs": bandwidth / 1e9, "weight_bytes_per_layer": weight_bytes,
                      "int4_layers": len(op_ms), "ms_per_layer": op_ms,
                      "gbs": weight_bytes / (median_op_ms * 1e-3) / 1e9}
    result["gemv"]["fraction"] = result["gemv"]["gbs"] * 1e9 / bandwidth

    print_table(result, modes, seqs)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


def print_table(r, modes, seqs):
    t = r["median_ms"]
    print(f"\n{r['gpu']}, {r['layers']} layers, batch 1; median ms")
    print("| runner | " + " | ".join(f"seq {s}" for s in seqs) + " | rel err (seq %d) | top-1 |" % max(seqs))
    print("|---|" + "---|" * len(seqs) + "---|---|")
    runners = [f"llmopt-{m}{g}" for m in modes for g in ("", "+graphs")]
    for name in ["torch-fp16", "torch-fp16+host"] + runners:
        acc = r["accuracy"].get(name.replace("+host", "").replace("+graphs", ""), {})
        cells = " | ".join(f"{t[f'{name}@{s}']:.3f}" for s in seqs)
        print(f"| {name} | {cells} | {acc.get('rel_err', float('nan')):.2e} | {acc.get('top1', float('nan')):.3f} |")
    for s in seqs:
        for m in runners:
            print(f"seq {s}: PyTorch fp16 / {m} = {t[f'torch-fp16@{s}'] / t[f'{m}@{s}']:.2f}x "
                  f"(with logits to the host on both sides: "
                  f"{t[f'torch-fp16+host@{s}'] / t[f'{m}@{s}']:.2f}x)")
    for key, p in r["profile"].items():
        top = ", ".join(f"{k} x{n} {ms:.3f}" for k, n, ms in p["top"])
        print(f"{key}: kernels {p['gpu_ms']:.3f} ms GPU over {p['ops']} ops; top: {top}")
    g = r["gemv"]
    print(f"int4 GEMV {GEMV_DIM}x{GEMV_DIM}: {g['weight_bytes_per_layer'] / 1e6:.2f} MB per layer, "
          f"{g['gbs']:.0f} GB/s = {100 * g['fraction']:.1f}% of the measured {g['device_gbs']:.0f} GB/s")


if __name__ == "__main__":
    sys.exit(main())
