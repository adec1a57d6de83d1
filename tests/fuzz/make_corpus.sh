#!/usr/bin/env bash
# Regenerates the seed corpora of the fuzz targets in tests/fuzz/corpus/<target>/ (small,
# deterministic files; commit them):
#   fuzz_onnx_import    the fixture models, and the lit importer tests (ONNX text) as binary .onnx
#   fuzz_pipeline_yaml  examples/pipelines/*.yaml and the lit pipeline inputs
#   fuzz_artifact_load  artifacts compiled by `llmopt compile` from the models above
#   fuzz_npy            .npy files of each dtype and of several ranks and format versions
# Needs a built llmopt (LLMOPT, default build/tools/llmopt/llmopt) and the test virtual
# environment (PYTHON, default .venv/bin/python, with numpy and onnx).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
llmopt=${LLMOPT:-$root/build/tools/llmopt/llmopt}
python=${PYTHON:-$root/.venv/bin/python}
corpus=$root/tests/fuzz/corpus
[[ -x $llmopt ]] || { echo "make_corpus.sh: no llmopt at $llmopt (build first, or set LLMOPT)" >&2; exit 1; }

rm -rf "$corpus"
mkdir -p "$corpus"/{fuzz_onnx_import,fuzz_pipeline_yaml,fuzz_artifact_load,fuzz_npy}

# --- ONNX ----------------------------------------------------------------------------------
for model in tests/fixtures/*/model.onnx; do
  cp "$model" "$corpus/fuzz_onnx_import/fixture-$(basename "$(dirname "$model")").onnx"
done
# ONNX text → binary (protobuf serialization of these models is deterministic).
"$python" - "$corpus/fuzz_onnx_import" tests/lit/frontends/onnx/*.onnxtxt <<'PY'
import os, sys
import onnx.parser
out = sys.argv[1]
for path in sys.argv[2:]:
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        model = onnx.parser.parse_model(open(path).read())
    except Exception:  # the lit tests of malformed text
        continue
    with open(os.path.join(out, "lit-" + name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())
PY

# --- YAML ----------------------------------------------------------------------------------
for file in examples/pipelines/*.yaml; do
  cp "$file" "$corpus/fuzz_pipeline_yaml/example-$(basename "$file")"
done
for file in tests/lit/passes/pipeline/Inputs/*.yaml; do
  cp "$file" "$corpus/fuzz_pipeline_yaml/lit-$(basename "$file")"
done

# --- artifacts -------------------------------------------------------------------------------
# Every seed model the compiler accepts (the others are refused: nothing to add).
for model in "$corpus"/fuzz_onnx_import/*.onnx; do
  name=$(basename "$model" .onnx)
  "$llmopt" compile "$model" -o "$corpus/fuzz_artifact_load/$name.llmo" 2>/dev/null || true
done

# --- .npy ----------------------------------------------------------------------------------
"$python" - "$corpus/fuzz_npy" <<'PY'
import os, sys
import numpy as np
out = sys.argv[1]
def save(name, array, version=None):
    with open(os.path.join(out, name + ".npy"), "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)
save("f32-scalar", np.array(1.5, dtype=np.float32))
save("f32-1d", np.arange(5, dtype=np.float32))
save("f32-3d", np.arange(24, dtype=np.float32).reshape(2, 3, 4))
save("f32-empty", np.zeros((0, 3), dtype=np.float32))
save("f16-2d", np.arange(6, dtype=np.float16).reshape(2, 3))
save("i8-1d", np.arange(-3, 3, dtype=np.int8))
save("u8-3d", np.arange(8, dtype=np.uint8).reshape(2, 2, 2))
save("i32-scalar", np.array(-7, dtype=np.int32))
save("i64-2d", np.arange(6, dtype=np.int64).reshape(3, 2))
save("bool-1d", np.array([True, False, True]))
save("f32-rank8", np.zeros((1, 2, 1, 2, 1, 2, 1, 2), dtype=np.float32))
save("f32-v2", np.arange(3, dtype=np.float32), version=(2, 0))
save("f32-v3", np.arange(3, dtype=np.float32), version=(3, 0))
# Refused: Fortran order, big-endian, float64.
save("f32-fortran", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save("f32-big-endian", np.arange(3, dtype=">f4"))
save("f64-1d", np.arange(3, dtype=np.float64))
PY

du -sh "$corpus"/* | sed 's|'"$root"'/||'
