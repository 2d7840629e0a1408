#!/usr/bin/env bash
# nanogate — the main job on the built-in default model (examples/default/digits_qmlp.onnx,
# a 64-32-16-10 Brevitas QAT MLP on scikit-learn's digits): set up, inspect the typed
# layer graph, emulate the 450 test digits bit-exactly and report accuracy.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
BUILD="${NANOGATE_BUILD_DIR:-build}"
MODEL=examples/default/digits_qmlp.onnx
OUT="${NANOGATE_OUT:-out/default}"
mkdir -p "$OUT"
echo
"$BUILD/nanogate" inspect "$MODEL"
echo
"$BUILD/nanogate" emulate "$MODEL" --input examples/default/digits_test_inputs.npy \
  --output "$OUT/digits_test_outputs.npy" --force
.venv/bin/python - "$OUT/digits_test_outputs.npy" <<'PY'
import sys, numpy as np
y = np.load(sys.argv[1])
labels = np.load("examples/default/digits_test_labels.npy")
brevitas = np.load("examples/default/digits_test_brevitas.npy")
same = int((y == brevitas).all(axis=1).sum())
print(f"fixed-point emulation: accuracy {np.mean(y.argmax(1) == labels):.4f} on {len(labels)} test digits; "
      f"{same}/{len(labels)} events bit-exact with Brevitas' quantized forward")
sys.exit(0 if same == len(labels) else 1)
PY
