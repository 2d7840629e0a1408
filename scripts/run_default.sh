#!/usr/bin/env bash
# nanogate — the main job on the built-in default model (examples/default/digits_qmlp.onnx,
# a 64-32-16-10 Brevitas QAT MLP on scikit-learn's digits): set up, then
#   inspect → emulate the 450 test digits (accuracy, bit-exact with Brevitas)
#   → convert to pipelined Verilog → verify with Verilator (10,000 vectors)
#   → synthesize with Yosys for xc7 → a one-screen summary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
BUILD="${NANOGATE_BUILD_DIR:-build}"
NG="$BUILD/nanogate"
MODEL=examples/default/digits_qmlp.onnx
OUT="${NANOGATE_OUT:-out/default}"
mkdir -p "$OUT"
echo
"$NG" inspect "$MODEL"
echo
"$NG" emulate "$MODEL" --input examples/default/digits_test_inputs.npy --output "$OUT/digits_test_outputs.npy" --force
"$NG" convert "$MODEL" -o "$OUT/rtl" --backend verilog --clock-period 5 --family xc7 --force
"$NG" verify "$OUT/rtl" --vectors 10000 | tee "$OUT/verify.txt"
"$NG" synth "$OUT/rtl" --family xc7
.venv/bin/python - "$OUT" <<'PY'
import json, sys
from pathlib import Path
import numpy as np
out = Path(sys.argv[1])
y = np.load(out / "digits_test_outputs.npy")
labels = np.load("examples/default/digits_test_labels.npy")
brevitas = np.load("examples/default/digits_test_brevitas.npy")
same = int((y == brevitas).all(axis=1).sum())
rep = json.loads((out / "rtl" / "report.json").read_text())
lat, tot, syn = rep["latency"], rep["totals"], rep["synth"]["xc7"]
verify = (out / "verify.txt").read_text().strip().splitlines()[-1]
print()
print("=" * 72)
print(f"nanogate main job: examples/default/digits_qmlp.onnx (digits MLP, 2,778 parameters)")
print(f"  emulator accuracy   {np.mean(y.argmax(1) == labels):.4f} on {len(labels)} test digits; "
      f"{same}/{len(labels)} bit-exact with Brevitas")
print(f"  RTL                 {rep['verilog']}: {tot['adders']} adders ({tot['adder_bits']} adder bits), no multipliers")
print(f"  latency             {lat['cycles']} cycles = {lat['ns']:.1f} ns at {lat['clock_period_ns']} ns "
      f"({lat['delay_model']} delay model), II = 1")
print(f"  Yosys xc7           {syn['luts']} LUTs, {syn['ffs']} FFs, {syn['dsps']} DSPs, {syn['carries']} CARRY4")
print(f"  verification        {verify}")
print("=" * 72)
sys.exit(0 if same == len(labels) and "bit-exact" in verify else 1)
PY
