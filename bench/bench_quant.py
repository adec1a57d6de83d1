#!/usr/bin/env python3
"""charlm-gpt quantized: accuracy (bits per byte), size and latency of every --quant mode, with
ONNX Runtime fp32 and ONNX Runtime's quantize_dynamic side by side.

    .venv/bin/python bench/bench_quant.py                          # full run (see bench/README.md)
    .venv/bin/python bench/bench_quant.py --max-windows 64 --iterations 5   # a quick check
    .venv/bin/python bench/bench_quant.py --json-out quant.json

On ../shared/eval/charlm-gpt (--model-dir; the model, eval.txt, calib.txt, results.json):

1. Compiles model.onnx with `llmopt compile` once per row of MODES (fp32, int8-weight, int8,
   int8 + SmoothQuant, int4 group 64, fp16, bf16) and records each artifact's size and its share
   of the fp32 artifact's. A row whose compile fails because llmopt does not know one of its
   NEW_OPTIONS (--calib, --smooth: SmoothQuant, newer than the other modes) is "not available",
   not a failure; any other compile error is.
2. Quantizes model.onnx with ONNX Runtime's own tool, exactly
       onnxruntime.quantization.quantize_dynamic(model.onnx, ort_int8.onnx,
                                                 per_channel=True, weight_type=QuantType.QInt8)
   (default op types: every MatMul with a constant weight becomes DynamicQuantizeLinear +
   MatMulInteger, the embedding Gathers read int8 tables; no quant_pre_process); if that call
   raises, per_channel=False (the JSON and the printout say which was used).
3. Bits per byte by the charlm protocol on eval.txt (all 781 windows unless --max-windows):
   `llmopt eval --json` for every artifact; tests/e2e/eval_reference.py (the same protocol in
   numpy with ONNX Runtime, default session options) for model.onnx and the quantize_dynamic
   model. results.json's ONNX Runtime numbers are shown as the published reference.
4. Latency, for each --threads and batch 1 x each of --seqs (256 and 1): ONNX Runtime fp32 and
   quantize_dynamic (bench_fp32.py's session and IOBinding timing helpers: CPU EP, all graph
   optimizations, intra_op threads, one inter-op thread, sequential) and `llmopt bench` of every
   artifact, one after the other, same --warmup and --iterations; median ms.
5. Checks the bars (relative bpb change against the llmopt fp32 artifact's bpb on the same
   windows, and size against the fp32 artifact) and "ours at least as accurate as ORT
   quantize_dynamic and faster" (llmopt int8 against ORT's int8: bpb <=, median ms < at every
   shape), prints Markdown tables.
6. Also compiles ORT's quantize_dynamic model itself with llmopt (an already-quantized import:
   row "on ORT's int8 model", evaluated and timed like the others, no bar).

Exit status: 0 when every bar holds, 1 otherwise (a bar missed, or a command that failed).
"""
import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import bench_fp32  # noqa: E402  (ort_session, time_ort, time_llmopt, machine, int_list)

CALIB = "{calib}"  # replaced by MODEL_DIR/calib.txt

# One row per compile mode: (label, extra `llmopt compile` flags, bpb bar: largest allowed
# relative increase against the fp32 artifact in %, size bar: largest allowed share of the fp32
# artifact in %). The fp32 row (no flags) is the baseline. Keep in step with
# tests/e2e/charlm_quant.py.
MODES = [
    ("fp32", [], None, None),
    ("int8-weight", ["--quant", "int8-weight"], 0.1, 27),
    ("int8", ["--quant", "int8"], 1.0, 27),
    ("int8 + smooth", ["--quant", "int8", "--calib", CALIB, "--smooth", "0.5"], 0.5, 27),
    ("int4 (group 64)", ["--quant", "int4", "--group-size", "64"], 3.0, 16),
    ("fp16", ["--quant", "fp16"], 0.05, 51),
    ("bf16", ["--quant", "bf16"], 0.05, 51),
]
OURS_VS_ORT = "int8"  # the row compared with ORT's quantize_dynamic
ORT_MODEL_ROW = "on ORT's int8 model"  # llmopt compiling ORT's quantize_dynamic output

# Options that the llmopt under test may not have yet: a row whose compile fails because llmopt
# does not know one of these is reported as not available (skipped), not as a failure.
NEW_OPTIONS = ("--calib", "--smooth")
UNKNOWN_OPTION_WORDS = ("not expected", "unknown", "unrecognized", "not recognized", "no such option")


def unknown_options(stderr, flags):
    """The NEW_OPTIONS of a row that a failed compile's message names as unknown (empty: any
    other error, which is a failure)."""
    if not any(word in stderr.lower() for word in UNKNOWN_OPTION_WORDS):
        return []
    return [f for f in flags if f in NEW_OPTIONS and f in stderr]


def last_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


def run(argv, timeout=3600):
    try:
        proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, errors="replace",
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {timeout} s"
    except OSError as e:
        return None, "", f"cannot run {argv[0]}: {e.strerror}"
    return proc.returncode, proc.stdout, proc.stderr


def quantize_with_ort(model: Path, out: Path):
    """ORT's quantize_dynamic, per-channel first; returns (call text, per_channel, error)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quiet the "consider pre-processing" warning
    first_error = None
    try:
        for per_channel in (True, False):
            call = (f"quantize_dynamic('{model.name}', '{out.name}', per_channel={per_channel}, "
                    f"weight_type=QuantType.QInt8)")
            try:
                quantize_dynamic(str(model), str(out), per_channel=per_channel, weight_type=QuantType.QInt8)
                return call, per_channel, None if first_error is None else f"per_channel=True failed: {first_error}"
            except Exception as e:  # noqa: BLE001 - any failure: try the other setting
                first_error = first_error or f"{type(e).__name__}: {e}"
                print(f"  {call} failed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return None, None, first_error
    finally:
        root.setLevel(level)


def llmopt_eval(llmopt, artifact, eval_txt, max_windows, threads):
    argv = [llmopt, "eval", artifact, "--bytes", eval_txt, "--json", "--threads", threads]
    if max_windows:
        argv += ["--max-windows", max_windows]
    status, out, err = run(argv)
    if status != 0:
        return None, f"exit {status}: {last_line(err)}"
    return json.loads(out), None


def ort_eval(model, eval_txt, max_windows, threads):
    argv = [sys.executable, REPO / "tests" / "e2e" / "eval_reference.py", model, eval_txt, "--json",
            "--threads", threads]
    if max_windows:
        argv += ["--max-windows", max_windows]
    status, out, err = run(argv)
    if status != 0:
        return None, f"exit {status}: {last_line(err)}"
    return json.loads(out), None


def shape_text(key):
    """'b1_s256_t1' -> 'batch 1 seq 256 threads 1'."""
    b, s, t = key.split("_")
    return f"batch {b[1:]} seq {s[1:]} threads {t[1:]}"


def pct(x, digits=4):
    return f"{x:+.{digits}f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--model-dir", default=str(REPO.parent / "shared" / "eval" / "charlm-gpt"))
    parser.add_argument("--max-windows", type=int, default=0, help="evaluate the first K windows (default: all)")
    parser.add_argument("--eval-threads", type=int, default=0,
                        help="threads for the evals (default 0: llmopt's and ORT's default, every core)")
    parser.add_argument("--seqs", type=bench_fp32.int_list, default=[256, 1], help="default 256,1")
    parser.add_argument("--threads", type=bench_fp32.int_list, default=[1], help="latency threads (default 1)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--llmopt", default=os.environ.get("LLMOPT", str(REPO / "build/tools/llmopt/llmopt")),
                        help="the llmopt binary (default: $LLMOPT or build/tools/llmopt/llmopt)")
    parser.add_argument("--work", help="keep the artifacts and the ORT int8 model here (default: a temp folder)")
    parser.add_argument("--json-out", help="also write every number to this JSON file")
    args = parser.parse_args()
    if args.max_windows < 0 or args.batch < 1 or args.iterations < 1 or args.warmup < 0:
        parser.error("--max-windows >= 0, --batch >= 1, --iterations >= 1, --warmup >= 0")
    if max(args.seqs) > 256:
        parser.error("--seqs: charlm-gpt has 256 positions")

    import onnxruntime as ort
    model_dir = Path(args.model_dir).resolve()
    onnx_path, eval_txt = model_dir / "model.onnx", model_dir / "eval.txt"
    for f in (onnx_path, eval_txt):
        if not f.is_file():
            sys.exit(f"error: no {f} (see --model-dir)")
    published = json.loads((model_dir / "results.json").read_text()) if (model_dir / "results.json").is_file() else {}
    llmopt = Path(args.llmopt)
    if not llmopt.exists():
        sys.exit(f"error: no llmopt binary at {llmopt} (build it: scripts/build.sh llmopt, or give --llmopt)")

    problems = []  # every failed bar or command, one line each
    tmp = tempfile.TemporaryDirectory(prefix="llmopt-bench-quant-")
    work = Path(args.work).resolve() if args.work else Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)

    # 1. Compile every mode.
    rows = []
    for i, (label, flags, bar, size_bar) in enumerate(MODES):
        flags = [str(model_dir / "calib.txt") if f == CALIB else f for f in flags]
        row = {"label": label, "flags": flags, "bpb_bar_pct": bar, "size_bar_pct": size_bar, "available": True,
               "artifact": None, "size": None, "error": None, "eval": None, "latency": {}}
        rows.append(row)
        artifact = work / f"charlm-{i}-{''.join(c if c.isalnum() else '_' for c in label)}.llmo"
        t0 = time.perf_counter()
        status, _, err = run([llmopt, "compile", onnx_path, *flags, "-o", artifact], timeout=600)
        row["compile_s"] = time.perf_counter() - t0
        if status != 0:
            unknown = unknown_options(err, flags)
            if unknown:
                row["available"] = False
                row["error"] = f"llmopt compile does not know {', '.join(unknown)}: {last_line(err)}"
                print(f"compile {label}: not available ({row['error']})", flush=True)
            else:
                row["error"] = f"compile: exit {status}: {last_line(err)}"
                row["verdict"] = "FAIL (compile)"
                problems.append(f"{label}: {row['error']}")
                print(f"compile {label}: FAILED ({row['error']})", flush=True)
            continue
        row["artifact"], row["size"] = str(artifact), artifact.stat().st_size
        print(f"compile {label}: {row['size']:,} bytes ({row['compile_s']:.1f} s)", flush=True)
    base = rows[0]
    if base["size"] is None:
        print(f"error: the fp32 compile failed: {base['error']}", file=sys.stderr)
        return 1
    for row in rows:
        row["size_ratio_pct"] = None if row["size"] is None else 100.0 * row["size"] / base["size"]

    # 2. ONNX Runtime's quantize_dynamic.
    ort_int8_path = work / "ort_int8.onnx"
    t0 = time.perf_counter()
    call, per_channel, ort_quant_error = quantize_with_ort(onnx_path, ort_int8_path)
    ort_int8 = {"call": call, "per_channel": per_channel, "error": ort_quant_error, "size": None, "eval": None,
                "quantize_s": time.perf_counter() - t0, "latency": {}}
    if call is None:
        problems.append(f"ORT quantize_dynamic failed: {ort_quant_error}")
        print(f"ORT quantize_dynamic: FAILED ({ort_quant_error})", flush=True)
    else:
        ort_int8["size"] = ort_int8_path.stat().st_size
        print(f"ORT {call}: {ort_int8['size']:,} bytes ({ort_int8['quantize_s']:.1f} s)", flush=True)
    ort_fp32 = {"size": onnx_path.stat().st_size, "eval": None, "latency": {}}

    # 2b. llmopt compiling ORT's quantize_dynamic model itself (an already-quantized import; no
    # bar: it shows what llmopt makes of a model a user quantized elsewhere).
    if call is not None:
        row = {"label": ORT_MODEL_ROW, "flags": [], "bpb_bar_pct": None, "size_bar_pct": None,
               "available": True, "artifact": None, "size": None, "error": None, "eval": None,
               "latency": {}, "source": str(ort_int8_path)}
        artifact = work / "charlm-ort-int8.llmo"
        status, _, err = run([llmopt, "compile", ort_int8_path, "-o", artifact], timeout=600)
        if status != 0:
            row["error"] = f"compile: exit {status}: {last_line(err)}"
            row["verdict"] = "FAIL (compile)"
            problems.append(f"{ORT_MODEL_ROW}: {row['error']}")
        else:
            row["artifact"], row["size"] = str(artifact), artifact.stat().st_size
            row["size_ratio_pct"] = 100.0 * row["size"] / base["size"]
            print(f"compile {ORT_MODEL_ROW}: {row['size']:,} bytes", flush=True)
        rows.append(row)

    # 3. Bits per byte.
    for row in rows:
        if row["artifact"] is None:
            continue
        t0 = time.perf_counter()
        row["eval"], error = llmopt_eval(llmopt, row["artifact"], eval_txt, args.max_windows, args.eval_threads)
        if error:
            row["error"] = f"eval: {error}"
            problems.append(f"{row['label']}: {row['error']}")
            print(f"eval {row['label']}: FAILED ({error})", flush=True)
        else:
            print(f"eval {row['label']}: bpb {row['eval']['bpb']:.6f} on {row['eval']['windows']} windows "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    for name, entry, path in (("ORT fp32", ort_fp32, onnx_path), ("ORT int8", ort_int8, ort_int8_path)):
        if entry is ort_int8 and call is None:
            continue
        entry["eval"], error = ort_eval(path, eval_txt, args.max_windows, args.eval_threads)
        if error:
            entry["eval_error"] = error
            problems.append(f"{name} eval: {error}")
            print(f"eval {name}: FAILED ({error})", flush=True)
        else:
            print(f"eval {name}: bpb {entry['eval']['bpb']:.6f} on {entry['eval']['windows']} windows", flush=True)
    if base["eval"] is None:
        print("error: the fp32 artifact's eval failed; no bar can be checked", file=sys.stderr)
        return 1
    base_bpb = base["eval"]["bpb"]

    # 4. Latency.
    shapes = [(threads, seq) for threads in args.threads for seq in args.seqs]
    for threads in args.threads:
        sessions = {"ORT fp32": (ort_fp32, bench_fp32.ort_session(onnx_path, threads))}
        if call is not None:
            sessions["ORT int8"] = (ort_int8, bench_fp32.ort_session(ort_int8_path, threads))
        for seq in args.seqs:
            key = f"b{args.batch}_s{seq}_t{threads}"
            for name, (entry, session) in sessions.items():
                entry["latency"][key] = bench_fp32.time_ort(session, args.batch, seq, 256, args.warmup,
                                                            args.iterations)
            for row in rows:
                if row["artifact"] is None:
                    continue
                result, error = bench_fp32.time_llmopt(llmopt, row["artifact"], args.batch, seq, threads,
                                                       args.warmup, args.iterations)
                row["latency"][key] = result
                if error:
                    problems.append(f"{row['label']} bench ({key}): {error}")
                    print(f"bench {row['label']} {key}: FAILED ({error})", flush=True)
            line = " ".join(f"{n} {e['latency'][key]['median_ms']:.2f}" for n, (e, _) in sessions.items())
            line += " " + " ".join(f"{r['label']} {r['latency'][key]['median_ms']:.2f}" for r in rows
                                   if r["latency"].get(key))
            print(f"latency batch {args.batch} seq {seq} threads {threads} (median ms): {line}", flush=True)
        del sessions

    # 5. Bars.
    for row in rows:
        checks = []
        if row is base or not row["available"]:
            row["verdict"] = "baseline" if row is base else "not available"
            continue
        if row["eval"] is None:
            row["verdict"] = row.get("verdict") or "FAIL (eval)"
            continue
        row["bpb_delta_pct"] = 100.0 * (row["eval"]["bpb"] - base_bpb) / base_bpb
        if row["bpb_bar_pct"] is None:
            row["verdict"] = "no bar"
            continue
        if row["bpb_delta_pct"] > row["bpb_bar_pct"]:
            checks.append("bpb")
            problems.append(f"{row['label']}: bpb {pct(row['bpb_delta_pct'])} vs fp32, bar +{row['bpb_bar_pct']}%")
        if row["size_ratio_pct"] > row["size_bar_pct"]:
            checks.append("size")
            problems.append(f"{row['label']}: size {row['size_ratio_pct']:.1f}% of fp32, bar {row['size_bar_pct']}%")
        row["verdict"] = "PASS" if not checks else "FAIL (" + ", ".join(checks) + ")"

    ours = next((r for r in rows if r["label"] == OURS_VS_ORT), None)
    versus = {"ours": OURS_VS_ORT, "accuracy": None, "latency": {}, "verdict": None}
    if ours and ours["eval"] and ort_int8["eval"]:
        versus["accuracy"] = {"ours_bpb": ours["eval"]["bpb"], "ort_bpb": ort_int8["eval"]["bpb"],
                              "ok": ours["eval"]["bpb"] <= ort_int8["eval"]["bpb"]}
    for threads, seq in shapes:
        key = f"b{args.batch}_s{seq}_t{threads}"
        a = ours["latency"].get(key) if ours else None
        b = ort_int8["latency"].get(key)
        if a and b:
            versus["latency"][key] = {"ours_ms": a["median_ms"], "ort_ms": b["median_ms"],
                                      "ratio": a["median_ms"] / b["median_ms"], "ok": a["median_ms"] < b["median_ms"]}
    complete = versus["accuracy"] is not None and len(versus["latency"]) == len(shapes)
    versus["verdict"] = complete and versus["accuracy"]["ok"] and all(v["ok"] for v in versus["latency"].values())
    if not complete:
        problems.append(f"llmopt {OURS_VS_ORT} against ORT quantize_dynamic: numbers missing")
    else:
        if not versus["accuracy"]["ok"]:
            problems.append(f"llmopt {OURS_VS_ORT} is less accurate than ORT quantize_dynamic")
        slower = [k for k, v in versus["latency"].items() if not v["ok"]]
        if slower:
            problems.append(f"llmopt {OURS_VS_ORT} is not faster than ORT quantize_dynamic at "
                            + ", ".join(shape_text(k) for k in slower))

    # Report.
    info = bench_fp32.machine()
    version = run([llmopt, "--version"])[1].strip() or "llmopt n/a"
    windows = base["eval"]["windows"]
    print()
    print(f"model: {onnx_path} (charlm-gpt: 4 layers, d_model 256, vocab 256, 3.36 M parameters)")
    print(f"machine: {info['cpu']}, {info['cores']} cores; onnxruntime {ort.__version__}; {version}")
    print(f"eval: {eval_txt.name}, {windows} windows x 256 = {windows * 256} predictions "
          f"({'all' if windows == 781 else 'a subset: not comparable with results.json'}); "
          f"eval threads {args.eval_threads or 'default'}")
    print(f"ORT int8: onnxruntime.quantization.{call}" if call else "ORT int8: n/a")
    print()
    print("| mode | bpb | Δ vs fp32 | bar | size | size ratio | size bar | verdict |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        bpb = f"{row['eval']['bpb']:.6f}" if row["eval"] else "n/a"
        delta = pct(row["bpb_delta_pct"]) if "bpb_delta_pct" in row else ("" if row is base else "n/a")
        bar = f"+{row['bpb_bar_pct']}%" if row["bpb_bar_pct"] is not None else ""
        size = f"{row['size']:,}" if row["size"] else "n/a"
        ratio = f"{row['size_ratio_pct']:.1f}%" if row["size"] else "n/a"
        size_bar = f"{row['size_bar_pct']}%" if row["size_bar_pct"] is not None else ""
        print(f"| llmopt {row['label']} | {bpb} | {delta} | {bar} | {size} | {ratio} | {size_bar} | {row['verdict']} |")
    for name, entry, what in (("ORT fp32", ort_fp32, "reference"),
                              ("ORT quantize_dynamic int8" + (" per-channel" if per_channel else
                                                              " per-tensor" if per_channel is False else ""),
                               ort_int8, "peer")):
        if entry["eval"]:
            entry["bpb_delta_pct"] = 100.0 * (entry["eval"]["bpb"] - base_bpb) / base_bpb
            bpb, delta = f"{entry['eval']['bpb']:.6f}", pct(entry["bpb_delta_pct"])
        else:
            bpb, delta = "n/a", "n/a"
        size = f"{entry['size']:,}" if entry["size"] else "n/a"
        ratio = f"{100.0 * entry['size'] / base['size']:.1f}%" if entry["size"] else "n/a"
        print(f"| {name} | {bpb} | {delta} | | {size} | {ratio} | | {what} |")
    refs = [(k, published[k]) for k in ("ort_fp32", "ort_int8_dynamic_per_channel", "ort_int8_dynamic")
            if k in published]
    if refs:
        print()
        print("results.json (all 781 windows, " + (published["ort_fp32"].get("runtime", "ORT") if "ort_fp32" in published
                                                else "ORT") + "): "
              + "; ".join(f"{k} bpb {v['bpb']:.6f}" for k, v in refs))
    print()
    print(f"Latency: batch {args.batch}, {args.warmup} warmup + {args.iterations} timed runs, median ms; "
          "ratio = ms / ORT fp32's ms and ms / llmopt fp32's ms (below 1: faster)")
    for threads in args.threads:
        keys = [f"b{args.batch}_s{seq}_t{threads}" for seq in args.seqs]
        print()
        print(f"threads {threads}:")
        print()
        print("| runtime | " + " | ".join(f"seq {seq} ms | ÷ ORT fp32 | ÷ llmopt fp32" for seq in args.seqs) + " |")
        print("|---|" + "---:|---:|---:|" * len(args.seqs))
        lines = [("ORT fp32", ort_fp32["latency"]), ("ORT quantize_dynamic int8", ort_int8["latency"])]
        lines += [(f"llmopt {r['label']}", r["latency"]) for r in rows if r["artifact"]]
        for name, latency in lines:
            cells = []
            for key in keys:
                ms = latency.get(key)
                ref_ort = ort_fp32["latency"].get(key)
                ref_ours = base["latency"].get(key)
                if not ms:
                    cells.append("n/a | | ")
                    continue
                ms = ms["median_ms"]
                cells.append(f"{ms:.2f} | " + (f"{ms / ref_ort['median_ms']:.2f}" if ref_ort else "n/a") + " | "
                             + (f"{ms / ref_ours['median_ms']:.2f}" if ref_ours else "n/a"))
            print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    acc = versus["accuracy"]
    parts = []
    if acc:
        parts.append(f"bpb {acc['ours_bpb']:.6f} vs {acc['ort_bpb']:.6f} "
                     f"({'at least as accurate' if acc['ok'] else 'LESS accurate'})")
    for key, v in versus["latency"].items():
        parts.append(f"{shape_text(key)}: {v['ours_ms']:.2f} vs {v['ort_ms']:.2f} ms "
                     f"({v['ratio']:.2f}x, "
                     f"{'faster' if v['ok'] else 'NOT faster'})")
    print(f"llmopt {OURS_VS_ORT} vs ORT quantize_dynamic int8: " + "; ".join(parts or ["n/a"])
          + f" -> {'PASS' if versus['verdict'] else 'FAIL'}")
    print()
    if problems:
        print("Bars missed or commands failed:")
        for p in problems:
            print(f"- {p}")
    else:
        print("All bars hold.")

    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"model_dir": str(model_dir), "machine": info, "onnxruntime": ort.__version__,
                       "llmopt": version, "args": vars(args), "modes": rows,
                       "ort_fp32": ort_fp32, "ort_int8": ort_int8, "ours_vs_ort_int8": versus,
                       "published": {k: v for k, v in refs}, "problems": problems,
                       "all_bars_hold": not problems}, f, indent=2)
    tmp.cleanup()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
