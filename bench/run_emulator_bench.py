"""Emulator throughput on hls4ml's jet tagger vs onnxruntime, measured in one run.

    .venv/bin/python bench/run_emulator_bench.py [--events N]

Both sides run one thread on the same generated inputs (standard-normal features
on the fixed<16,6> grid). onnxruntime evaluates the float model
(jet/three_layer_keras.onnx) in one batched call; nanogate's bit-exact fixed-point
emulator (build/bench_emulator --threads 1, best of 5) runs the same float model
under the default fixed<16,6> and the QONNX 6-bit model (jet/qkeras_jettagging.onnx),
which onnxruntime cannot execute (QONNX Quant is a custom op). A last row runs the
QONNX model on every core (--threads 0). Prints a table of events/s and the ratio
nanogate / onnxruntime.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT.parent / "shared" / "models" / "jet"
BUILD = ROOT / os.environ.get("NANOGATE_BUILD_DIR", "build")


def ort_events_per_s(model, x, repeat=5):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    import onnx

    m = onnx.load(str(model))
    m.graph.input[0].type.tensor_type.shape.dim[0].Clear()
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    for o in m.graph.output:
        o.type.tensor_type.shape.dim[0].Clear()
        o.type.tensor_type.shape.dim[0].dim_param = "N"
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    xf = x.astype(np.float32)
    best = 1e300
    for _ in range(repeat):
        t = time.perf_counter()
        sess.run(None, {name: xf})
        best = min(best, time.perf_counter() - t)
    return len(x) / best


def nanogate_events_per_s(model, npy, threads=1):
    out = subprocess.run([str(BUILD / "bench_emulator"), str(model), str(npy), "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["events_per_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(0, 1, (args.events, 16)) * 1024) / 1024
    x = np.clip(x, -31, 31)
    with tempfile.TemporaryDirectory() as d:
        npy = Path(d) / "x.npy"
        np.save(npy, x)
        ort_rate = ort_events_per_s(MODELS / "three_layer_keras.onnx", x)
        rows = [
            ("onnxruntime float, three_layer_keras", ort_rate),
            ("nanogate fixed<16,6>, three_layer_keras", nanogate_events_per_s(MODELS / "three_layer_keras.onnx", npy)),
            ("nanogate QONNX 6-bit, qkeras_jettagging", nanogate_events_per_s(MODELS / "qkeras_jettagging.onnx", npy)),
            (f"nanogate QONNX 6-bit, all {os.cpu_count()} threads",
             nanogate_events_per_s(MODELS / "qkeras_jettagging.onnx", npy, threads=0)),
        ]
    print(f"{args.events} events, one thread each (last row: every core)")
    print(f"{'engine, model':45s} {'events/s':>12s} {'ratio vs onnxruntime':>22s}")
    for name, rate in rows:
        print(f"{name:45s} {rate:12.0f} {rate / ort_rate:22.2f}")


if __name__ == "__main__":
    main()
