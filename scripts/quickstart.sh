#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine: install the dependencies, build llmopt, then compile
# the shipped example model, show what is inside the artifact, run it and print its outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --no-python
scripts/build.sh llmopt
llmopt=build/tools/llmopt/llmopt
set -x
$llmopt compile examples/mlp/model.onnx --quant int8 -o build/mlp.llmo
$llmopt inspect build/mlp.llmo
$llmopt run build/mlp.llmo --input x=examples/mlp/x.npy
