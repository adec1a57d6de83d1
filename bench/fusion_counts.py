#!/usr/bin/env python3
"""Fusion: op counts of ONNX Runtime's transformer optimizer against llmopt's, side by side.

    .venv/bin/python bench/fusion_counts.py               # plain table
    .venv/bin/python bench/fusion_counts.py --markdown    # the same as a Markdown table

For the tiny GPT-2, BERT and Llama fixtures (tests/fixtures/transformers/) and charlm-gpt
(../shared/eval/charlm-gpt, skipped when absent):

1. ONNX: the model's nodes by op type.
2. ORT optimized: onnxruntime.transformers.optimizer.optimize_model(model, model_type, num_heads,
   hidden_size) with the model type's default opt_level: 'gpt2' for GPT-2 and charlm-gpt, 'bert'
   for BERT, and for Llama 'qwen3', ORT's decoder with RoPE, GQA and RMSNorm (ORT 1.31 has no
   'llama' type; 'gpt_neox' is its BERT optimizer, 'phi' matches only dynamo-exported Phi
   functions). num_heads and hidden_size are read from the model (the embedding table's width,
   the [.., .., heads, head_dim] reshapes). optimize_model's onnxruntime pass (opt_level >= 1)
   imports torch only to choose a GPU provider; this script runs that same pass itself (CPU EP,
   ConstantSharing disabled, as optimize_model does) and then calls optimize_model(opt_level=0),
   so torch is not needed. The fusions run symbolic shape inference, which needs sympy.
3. llmopt imported / llmopt fused: `llmopt compile MODEL --report R.json` (fp32, default pipeline)
   and the report's "op_counts" (after import, after the pipeline); llmopt kernels: the ops the
   artifact runs (`llmopt inspect`: weight transposes are packed at compile time, not run).

Counts leave constants out on both sides (ONNX Constant nodes; llmopt.constant): they are
weights, not work. "Fused kinds" are the kinds an optimizer added, those absent from its input,
with their counts. The script reports whatever the compiler does today; it checks nothing.
"""
import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "transformers"
# (label, model path, ORT model_type)
MODELS = [
    ("gpt2", FIXTURES / "gpt2" / "model.onnx", "gpt2"),
    ("bert", FIXTURES / "bert" / "model.onnx", "bert"),
    ("llama", FIXTURES / "llama" / "model.onnx", "qwen3"),
    ("charlm-gpt", REPO.parent / "shared" / "eval" / "charlm-gpt" / "model.onnx", "gpt2"),
]


def count_nodes(graph) -> Counter:
    """Op types of a graph's nodes, Constant nodes left out."""
    return Counter(n.op_type for n in graph.node if n.op_type != "Constant")


def heads_and_hidden(model) -> tuple[int, int]:
    """(num_heads, hidden_size): the token embedding's width, and the heads of the reshapes
    that split it into [batch, seq, heads, head_dim] (heads * head_dim == hidden); 0 when unknown,
    which lets ORT detect them itself."""
    graph = model.graph
    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    values[n.output[0]] = numpy_helper.to_array(a.t)
    producer = {o: n for n in graph.node for o in n.output}

    def value(name):
        """A constant, also through Unsqueeze(constant) as exporters write shape parts."""
        if name in values:
            return values[name]
        node = producer.get(name)
        if node is not None and node.op_type == "Unsqueeze" and node.input[0] in values:
            return np.atleast_1d(values[node.input[0]])
        return None

    hidden = 0
    for n in graph.node:
        table = values.get(n.input[0]) if n.op_type == "Gather" else None
        if table is not None and table.ndim == 2 and table.dtype == np.float32:
            hidden = int(table.shape[1])
            break
    heads = Counter()
    for n in graph.node:
        if n.op_type != "Reshape":
            continue
        shape = value(n.input[1])
        concat = producer.get(n.input[1])
        if shape is None and concat is not None and concat.op_type == "Concat" and len(concat.input) == 4:
            parts = [value(i) for i in concat.input[2:]]
            if all(p is not None and p.size == 1 for p in parts):
                shape = [0, 0] + [int(p.ravel()[0]) for p in parts]
        if shape is not None and len(shape) == 4:
            h, d = int(shape[2]), int(shape[3])
            if h > 0 and d > 0 and h * d == hidden:
                heads[h] += 1
    return (heads.most_common(1)[0][0] if heads else 0), hidden


def ort_optimize(path: Path, model_type: str, num_heads: int, hidden_size: int, work: Path):
    """optimize_model's result (an OnnxModel) and the opt_level used; see the module docstring."""
    import onnxruntime as ort
    from onnxruntime.transformers.optimizer import MODEL_TYPES, optimize_model

    opt_level = MODEL_TYPES[model_type][2]
    source = str(path)
    if opt_level > 0:
        levels = {1: ort.GraphOptimizationLevel.ORT_ENABLE_BASIC, 2: ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                  99: ort.GraphOptimizationLevel.ORT_ENABLE_ALL}
        options = ort.SessionOptions()
        options.graph_optimization_level = levels[opt_level]
        options.optimized_model_filepath = source = str(work / f"{path.parent.name}_o{opt_level}.onnx")
        ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                             disabled_optimizers=["ConstantSharing"])
    optimized = optimize_model(source, model_type=model_type, num_heads=num_heads, hidden_size=hidden_size,
                               opt_level=0)
    return optimized, opt_level


def run(argv: list[str]) -> str:
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return done.stdout


def llmopt_counts(llmopt: str, path: Path, work: Path) -> tuple[Counter, Counter, int]:
    """llmopt's op counts after import and after the pipeline, short names ("attention"), and
    the number of ops the artifact runs."""
    report, artifact = work / f"{path.parent.name}.report.json", work / f"{path.parent.name}.llmo"
    run([llmopt, "compile", str(path), "-o", str(artifact), "--report", str(report)])
    counts = json.loads(report.read_text())["op_counts"]
    kernels = next(int(line.split()[1]) for line in run([llmopt, "inspect", str(artifact)]).splitlines()
                   if line.startswith("ops:"))

    def short(c):
        return Counter({k.removeprefix("llmopt."): v for k, v in c.items()})

    return short(counts["before"]), short(counts["after"]), kernels


def added_kinds(before: Counter, after: Counter) -> str:
    """The kinds `after` has and `before` has not, with counts: "Attention 2, FastGelu 2"."""
    return ", ".join(f"{k} {after[k]}" for k in sorted(after, key=str.lower) if k not in before) or "-"


COLUMNS = ["model", "ORT type", "ONNX", "ORT optimized", "llmopt imported", "llmopt fused",
           "llmopt kernels", "ORT fused kinds", "llmopt fused kinds"]
NUMERIC = range(2, 7)


def print_table(rows: list[list[str]], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + "|".join("---:" if i in NUMERIC else "---" for i in range(len(COLUMNS))) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(r[i]) for r in [COLUMNS] + rows) for i in range(len(COLUMNS))]
    for row in [COLUMNS] + rows:
        print("  ".join(c.rjust(w) if i in NUMERIC else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--llmopt", default=os.environ.get("LLMOPT", str(REPO / "build/tools/llmopt/llmopt")),
                        help="the llmopt binary (default: $LLMOPT or build/tools/llmopt/llmopt)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--verbose", action="store_true", help="also print every model's counts by kind")
    args = parser.parse_args()
    if not Path(args.llmopt).exists():
        sys.exit(f"error: no llmopt binary at {args.llmopt} (build it: scripts/build.sh llmopt, or give --llmopt)")
    try:
        import sympy  # noqa: F401  (ORT's fusions run symbolic shape inference)
    except ImportError:
        sys.exit("error: ONNX Runtime's transformer optimizer needs sympy: .venv/bin/pip install sympy")
    logging.disable(logging.WARNING)  # the optimizer logs every fusion it tries

    rows, notes, failed = [], [], False
    with tempfile.TemporaryDirectory(prefix="llmopt-fusion-counts-") as tmp:
        work = Path(tmp)
        for label, path, model_type in MODELS:
            if not path.is_file():
                notes.append(f"{label}: skipped, no {path}")
                continue
            model = onnx.load(str(path))
            onnx_counts = count_nodes(model.graph)
            heads, hidden = heads_and_hidden(model)
            try:
                optimized, opt_level = ort_optimize(path, model_type, heads, hidden, work)
                ort_counts = count_nodes(optimized.model.graph)
                ort_total, ort_fused = str(sum(ort_counts.values())), added_kinds(onnx_counts, ort_counts)
            except Exception as e:  # report it and go on with llmopt's half
                ort_counts, opt_level, failed = Counter(), "?", True
                ort_total, ort_fused = "failed", f"{type(e).__name__}: {e}"[:120]
            try:
                before, after, kernels = llmopt_counts(args.llmopt, path, work)
                imported, fused, kernels = str(sum(before.values())), str(sum(after.values())), str(kernels)
                llmopt_fused = added_kinds(before, after)
            except RuntimeError as e:
                before, after, failed = Counter(), Counter(), True
                imported = fused = kernels = "failed"
                llmopt_fused = str(e)[:120]
            rows.append([label, model_type, str(sum(onnx_counts.values())), ort_total, imported, fused, kernels,
                         ort_fused, llmopt_fused])
            notes.append(f"{label}: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}; ORT "
                         f"model_type '{model_type}', opt_level {opt_level}, num_heads {heads}, hidden_size {hidden}")
            if args.verbose:
                for name, counts in [("ONNX", onnx_counts), ("ORT", ort_counts), ("llmopt imported", before),
                                     ("llmopt fused", after)]:
                    notes.append(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))

    import onnxruntime
    print_table(rows, args.markdown)
    print()
    print(f"onnxruntime {onnxruntime.__version__}, onnx {onnx.__version__}; counts without constants")
    for note in notes:
        print(note)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
