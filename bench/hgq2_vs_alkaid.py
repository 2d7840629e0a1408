#!/usr/bin/env python3
"""nanogate on the five HGQ2 jet taggers (../shared/models/hgq2/jsc_openml): the
emulation against HGQ2's own forward and against alkaid 0.8.2's traced model,
bit for bit; then each model's Verilog verified under Verilator and its Vitis
project C-simulated, on N vectors.

Regenerate (from the repository root, after `bash scripts/test.sh` built
build/ and .venv with keras + hgq2; alkaid goes into its own venv, the
project's packages are borrowed through PYTHONPATH):

    python3 -m venv /tmp/alk-venv && /tmp/alk-venv/bin/pip install alkaid==0.8.2
    PYTHONPATH=$PWD/.venv/lib/python3.11/site-packages /tmp/alk-venv/bin/python bench/hgq2_vs_alkaid.py \\
        --events 10000 --vectors 10000 | tee /tmp/hgq2_vs_alkaid.txt

Inputs: half N(0,1), half N(0,4) per feature (the input quantizers' WRAP then
wraps for some features), float32, seed 0.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT.parent / "shared/models/hgq2/jsc_openml"
NG = ROOT / "build/nanogate"


def jsc_models():
    """The five HGQ2 jet taggers' .keras paths, by EBOPs."""
    return sorted(MODELS.glob("*.keras"), key=lambda p: int(p.stem.split("ebops")[1]))


def jsc_events(n):
    """n events of the 16 jet features: half N(0,1), half N(0,4), float32, seed 0."""
    x = np.random.default_rng(0).normal(0.0, 1.0, (n, 16)).astype(np.float32)
    x[n // 2:] *= 4
    return x


def run(*args):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{p.stderr}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--vectors", type=int, default=10000)
    a = ap.parse_args()
    import hgq  # noqa: F401
    import keras
    from alkaid.converter import trace_model
    from alkaid.trace import trace

    x = jsc_events(a.events)
    print(f"{'model':28s} {'==HGQ2':>12s} {'==alkaid':>12s} {'verify':>14s} {'csim':>12s} {'cycles@5ns':>10s} {'adders':>7s} {'LUT est':>8s}")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        np.save(d / "x.npy", x)
        for path in jsc_models():
            model = keras.models.load_model(path, compile=False)
            hgq_y = keras.ops.convert_to_numpy(model(x, training=False)).astype(np.float64)
            inp, out = trace_model(model)
            alk_y = np.asarray(trace(inp, out).predict(x.astype(np.float64))).reshape(hgq_y.shape)
            run(NG, "emulate", path, "-i", d / "x.npy", "-o", d / "y.npy", "--force")
            y = np.load(d / "y.npy")
            eq_h = int((y == hgq_y).all(axis=1).sum())
            eq_a = int((y == alk_y).all(axis=1).sum())
            rtl, hls = d / (path.stem + "_rtl"), d / (path.stem + "_hls")
            conv = run(NG, "convert", path, "-o", rtl, "--clock-period", "5")
            ver = run(NG, "verify", rtl, "--vectors", a.vectors).strip().splitlines()[-1].split()[0]
            run(NG, "convert", path, "-o", hls, "--backend", "vitis")
            cs = run(NG, "csim", hls).strip().splitlines()[-1]
            cs = cs.split()[1] + "/" + cs.split()[1] if "bit-exact" in cs else "MISMATCH"
            cyc = conv.split("latency ")[1].split()[0]
            adders = conv.split("\n")[1].split()[0]
            luts = conv.split("~")[1].split()[0]
            print(f"{path.name:28s} {eq_h:>5d}/{a.events:<6d} {eq_a:>5d}/{a.events:<6d} {ver:>14s} {cs:>12s} {cyc:>10s} {adders:>7s} {luts:>8s}",
                  flush=True)


if __name__ == "__main__":
    main()
