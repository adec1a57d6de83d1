#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine: install the dependencies, build llmopt, then compile
# the shipped example model, show what is inside the artifact, run it and print its outputs;
# then, where ../shared/eval/charlm-gpt is present, generate text with its KV cache.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --no-python
scripts/build.sh llmopt
llmopt=build/tools/llmopt/llmopt
set -x
$llmopt compile examples/mlp/model.onnx --quant int8 -o build/mlp.llmo
$llmopt inspect build/mlp.llmo
$llmopt run build/mlp.llmo --input x=examples/mlp/x.npy
# Generation with the KV cache, on the trained byte-level GPT of ../shared when it is there.
charlm=../shared/eval/charlm-gpt/model.onnx
if [ -f "$charlm" ]; then
  $llmopt compile "$charlm" --quant int8 -o build/charlm.llmo
  $llmopt generate build/charlm.llmo --prompt "class Server(object):" --max-new-tokens 120
fi
