#!/usr/bin/env python3
"""Bit-exact emulation throughput on the HGQ2 jet taggers: nanogate's layer emulator
(build/bench_emulator --threads 1 --repeat 10, best of 10) and its netlist emulator (the compiled adder
graph, `--netlist`, after checking its outputs equal the layer emulator's; from the float
events, `NetlistEmulator::run_values`, which casts them to the input port type as alkaid's
`predict` does, and from the firmware input codes) against alkaid 0.8.2's C++ interpreter of the same model
(`trace_model` + `trace` -> CombLogic, `predict(x, n_threads=1)`, best of 10), one thread
each, the same events; the outputs are first checked equal event for event (nanogate
`emulate` against alkaid's `predict`). Issue 16's target: >= 3x alkaid on every model.

Regenerate (from the repository root, after `bash scripts/test.sh`; alkaid in its own venv,
the project's keras/hgq2/torch borrowed through PYTHONPATH):

    python3 -m venv /tmp/alk-venv && /tmp/alk-venv/bin/pip install alkaid==0.8.2
    PYTHONPATH=$PWD/.venv/lib/python3.11/site-packages KERAS_BACKEND=torch \\
        /tmp/alk-venv/bin/python bench/emulator_vs_alkaid.py --events 100000

Inputs: 16 features, half N(0,1), half N(0,4), float32, seed 0 (as bench/keras_vs_alkaid.py).
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.dont_write_bytecode = True
from hgq2_vs_alkaid import jsc_events, jsc_models, run  # noqa: E402  (the same models, events, helper)

BUILD = ROOT / os.environ.get("NANOGATE_BUILD_DIR", "build")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100000)
    a = ap.parse_args()
    import hgq  # noqa: F401
    import keras
    from alkaid.converter import trace_model
    from alkaid.trace import trace

    x = jsc_events(a.events)
    x64 = x.astype(np.float64)
    print(f"{a.events} events, one thread each; events/s best of 10 each")
    print(f"{'model':12s} {'same outputs':>14s} {'layer ev/s':>11s} {'netlist ev/s':>13s} {'(codes in)':>11s} "
          f"{'values':>7s} {'alkaid ev/s':>12s} {'layer':>6s} {'netlist':>8s}  nanogate Dense kernels")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        np.save(d / "x.npy", x64)
        for path in jsc_models():
            model = keras.models.load_model(path, compile=False)
            inp, out = trace_model(model)
            comb = trace(inp, out)
            best = 0.0
            for _ in range(10):
                t = time.perf_counter()
                y_alk = np.asarray(comb.predict(x64, n_threads=1)).reshape(a.events, -1)
                best = max(best, a.events / (time.perf_counter() - t))
            run(BUILD / "nanogate", "emulate", path, "-i", d / "x.npy", "-o", d / "y.npy", "--force")
            y_ng = np.load(d / "y.npy").reshape(y_alk.shape)
            same = int((y_ng == y_alk).all(axis=1).sum())
            ng = json.loads(run(BUILD / "bench_emulator", path, d / "x.npy", "--threads", 1, "--repeat", 10, "--netlist")
                            .strip().splitlines()[-1])
            rate, net, codes = ng["events_per_s"], ng["netlist_with_input_cast_events_per_s"], ng["netlist_events_per_s"]
            kernels = " ".join(f"{layer}:{k}" for layer, k in ng.get("dense", {}).items())
            print(f"{path.stem.replace('jsc_openml_', ''):12s} {f'{same}/{a.events}':>14s} {rate:11.0f} {net:13.0f} "
                  f"{codes:11.0f} {ng['netlist_values']:7d} {best:12.0f} {rate / best:6.2f} {net / best:8.2f}  {kernels}",
                  flush=True)


if __name__ == "__main__":
    main()
