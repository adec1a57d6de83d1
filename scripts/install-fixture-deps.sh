#!/usr/bin/env bash
# Tools to *regenerate* the transformer fixtures (tests/fixtures/transformers): Debian's CPU
# PyTorch 1.13 (its TorchScript exporter writes opset <= 17, which llmopt imports) and a
# transformers release that still supports it. Tests and CI do not need any of this: the
# exported models and their ONNX Runtime references are committed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
$sudo_cmd apt-get install -y --no-install-recommends python3-torch python3-venv
venv="$root/.venv-fixtures"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
# transformers 4.38.2 works with torch 1.13 (checked); its own dependencies and protobuf are pinned
# to the versions the committed fixtures were generated with. numpy comes from Debian (1.24).
"$venv/bin/pip" install --quiet "transformers==4.38.2" "numpy<2" onnx==1.16.2 onnxruntime==1.18.1 \
  protobuf==7.36.2 huggingface_hub==0.36.2 tokenizers==0.15.2 safetensors==0.8.0
echo "fixture tools ready in $venv"
