"""Emulator throughput on hls4ml's jet tagger vs onnxruntime, measured in one run.

    .venv/bin/python bench/run_emulator_bench.py [--events N]

Both sides run one thread on the same generated inputs (standard-normal features
on the fixed<16,6> grid). onnxruntime evaluates the float model
(jet/three_layer_keras.onnx) in one batched call; nanogate's bit-exact fixed-point
emulator (build/bench_emulator --threads 1, best of 5) runs the same float model
under the default fixed<16,6> and the QONNX 6-bit model (jet/qkeras_jettagging.onnx),
which onnxruntime cannot execute (QONNX Quant is a custom op), once per Dense
kernel path (NANOGATE_DENSE_KERNEL=f64|scalar|avx2|avx512|vnni, see
src/emulate/dense_int_kernels.hpp; a path this CPU lacks is listed as such) and
once with the default choice. A last row runs the QONNX model on every core
(--threads 0). Prints a table of events/s and the ratio nanogate / onnxruntime,
and the kernel each row's Dense layers ran.
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


def nanogate_run(model, npy, threads=1, kernel=None):
    """(events/s, {Dense layer: kernel path}) of build/bench_emulator; None when
    the forced Dense kernel path needs instructions this CPU lacks."""
    env = dict(os.environ)
    env.pop("NANOGATE_DENSE_KERNEL", None)
    if kernel:
        env["NANOGATE_DENSE_KERNEL"] = kernel
    p = subprocess.run([str(BUILD / "bench_emulator"), str(model), str(npy), "--threads", str(threads)],
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        if "lacks the instructions" in p.stderr:
            return None
        raise RuntimeError(p.stderr)
    out = json.loads(p.stdout)
    return out["events_per_s"], out.get("dense", {})


def paths_of(dense):
    """The distinct Dense kernel paths of one run, in layer order."""
    return ",".join(dict.fromkeys(dense.values()))


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
        qonnx = MODELS / "qkeras_jettagging.onnx"
        rows = [("onnxruntime float, three_layer_keras", (ort_rate, {"": "float32"}))]
        rows.append(("nanogate fixed<16,6>, three_layer_keras", nanogate_run(MODELS / "three_layer_keras.onnx", npy)))
        for k in ["f64", "scalar", "avx2", "avx512", "vnni"]:
            rows.append((f"nanogate QONNX 6-bit, qkeras_jettagging, {k}", nanogate_run(qonnx, npy, kernel=k)))
        rows.append(("nanogate QONNX 6-bit, qkeras_jettagging, auto", nanogate_run(qonnx, npy)))
        rows.append((f"nanogate QONNX 6-bit, auto, all {os.cpu_count()} threads", nanogate_run(qonnx, npy, threads=0)))
    print(f"{args.events} events, one thread each (last row: every core)")
    print(f"{'engine, model, Dense kernel':52s} {'events/s':>12s} {'ratio vs onnxruntime':>22s}  Dense layers ran")
    for name, run in rows:
        if run is None:
            print(f"{name:52s} {'-':>12s} {'-':>22s}  (this CPU lacks the instructions)")
            continue
        rate, dense = run
        print(f"{name:52s} {rate:12.0f} {rate / ort_rate:22.2f}  {paths_of(dense)}")


if __name__ == "__main__":
    main()
