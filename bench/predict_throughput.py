#!/usr/bin/env python3
"""Firmware.predict throughput vs hls4ml 1.3.0 predict and onnxruntime, one run.

    .venv/bin/python bench/predict_throughput.py [--events N] [--hls4ml-events M]

Inputs: N events (default 1,000,000) of qkeras_jettagging's 16 features,
standard-normal values rounded to the fixed<16,6> grid (the same generator as
bench/run_emulator_bench.py). Measured, each on the same machine in this run:
  * nanogate: `nanogate.convert(qkeras_jettagging.onnx).predict(x)` (the Python
    API, bit-exact fixed-point emulation) on all N events, with every core
    (the default) and with one thread (NANOGATE_THREADS=1); best of 3; the two
    runs' outputs are checked to be identical;
  * hls4ml 1.3.0: compile() + predict() of the same QONNX model (qonnx cleanup,
    channels-last, GemmToMatMul, Vitis backend, io_parallel) with nanogate's
    per-layer Dense accumulator/result types (as in
    tests/python/test_hls_hls4ml.py); predict is timed once on the first M
    events (default: all N; hls4ml's predict runs about 10^4 events/s here, so
    a smaller M shortens the run without changing events/s much);
  * onnxruntime: the float jet tagger (jet/three_layer_keras.onnx, same
    architecture, float32) on all N events in one batched call, intra-op
    threads = 1 and = all cores; best of 3.
Prints a Markdown table of events/s and ratios to hls4ml predict.
"""
import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT.parent / "shared" / "models" / "jet"
QONNX = MODELS / "qkeras_jettagging.onnx"
FLOAT = MODELS / "three_layer_keras.onnx"


def best_of(fn, repeat=3):
    best, out = 1e300, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def nanogate_rates(x):
    import nanogate

    fw = nanogate.convert(str(QONNX))
    fw.predict(x[:1000])  # builds the emulator once
    old = os.environ.get("NANOGATE_THREADS")
    try:
        os.environ.pop("NANOGATE_THREADS", None)
        t_all, y_all = best_of(lambda: fw.predict(x, raw=True))
        os.environ["NANOGATE_THREADS"] = "1"
        t_one, y_one = best_of(lambda: fw.predict(x, raw=True))
    finally:
        if old is None:
            os.environ.pop("NANOGATE_THREADS", None)
        else:
            os.environ["NANOGATE_THREADS"] = old
    assert np.array_equal(y_all, y_one), "multi-threaded predict differs from one thread"
    return len(x) / t_all, len(x) / t_one


def nanogate_types(model):
    """{layer: inspect row (weight, bias, accum, result, ...)} from the Python API."""
    import nanogate

    return {l["name"]: l for l in nanogate.convert(str(model)).report()["layers"]}


def hls4ml_rate(x):
    import hls4ml
    from hls4ml.backends.fpga.fpga_backend import FPGABackend
    from hls4ml.backends.fpga.fpga_types import APTypeConverter
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.util.cleanup import cleanup_model

    ng = nanogate_types(QONNX)
    m = cleanup_model(ModelWrapper(str(QONNX)))
    m = m.transform(InferShapes()).transform(ConvertToChannelsLastAndClean()).transform(GemmToMatMul())
    m = cleanup_model(m)
    out_dir = tempfile.mkdtemp(prefix="bench_predict_hls4ml_")
    with contextlib.redirect_stdout(io.StringIO()):
        cfg = hls4ml.utils.config.config_from_onnx_model(m, granularity="name", backend="Vitis",
                                                         default_precision="fixed<16,6>")
        hm = hls4ml.converters.convert_from_onnx_model(m, output_dir=out_dir, io_type="io_parallel",
                                                       backend="Vitis", hls_config=cfg)

        def conv(text):
            return APTypeConverter().convert(FPGABackend.convert_precision_string(text))

        for layer in hm.get_layers():
            if layer.class_name == "Dense":
                src = layer.name.removeprefix("Dense_")
                layer.get_attr("accum_t").precision = conv(ng[src]["accum"])
                layer.get_output_variable().type.precision = conv(ng[src]["result"])
        hm.compile()
        xf = x.astype(np.float32)
        hm.predict(xf[:100])  # loads the library
        t = time.perf_counter()
        hm.predict(xf)
        dt = time.perf_counter() - t
    return len(x) / dt, hls4ml.__version__


def ort_rate(x, threads):
    import onnx
    import onnxruntime as ort

    m = onnx.load(str(FLOAT))
    for v in [m.graph.input[0], *m.graph.output]:
        v.type.tensor_type.shape.dim[0].Clear()
        v.type.tensor_type.shape.dim[0].dim_param = "N"
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3  # the model's fixed batch of 1 in value_info only warns
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    xf = x.astype(np.float32)
    dt, _ = best_of(lambda: sess.run(None, {name: xf}))
    return len(x) / dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--hls4ml-events", type=int, default=None, help="events timed for hls4ml (default: all)")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    x = np.clip(np.round(rng.normal(0, 1, (a.events, 16)) * 1024) / 1024, -31, 31)
    cores = os.cpu_count()
    if a.hls4ml_events is None:
        a.hls4ml_events = a.events

    ng_all, ng_one = nanogate_rates(x)
    h_rate, h_ver = hls4ml_rate(x[: a.hls4ml_events])
    ort_one = ort_rate(x, 1)
    ort_all = ort_rate(x, cores)

    rows = [
        (f"hls4ml {h_ver} predict (compiled C++ via ctypes; {a.hls4ml_events:,} events)", "qkeras_jettagging", h_rate),
        (f"nanogate Firmware.predict, all threads ({cores})", "qkeras_jettagging", ng_all),
        ("nanogate Firmware.predict, one thread (NANOGATE_THREADS=1)", "qkeras_jettagging", ng_one),
        ("onnxruntime float32, one thread", "three_layer_keras", ort_one),
        (f"onnxruntime float32, all threads ({cores})", "three_layer_keras", ort_all),
    ]
    print(f"{a.events:,} events (Gaussian features on the fixed<16,6> grid), {cores} cores, one run on "
          f"{os.uname().nodename}")
    print("| engine | model | events/s | vs hls4ml predict |")
    print("|---|---|---:|---:|")
    for name, model, rate in rows:
        print(f"| {name} | {model} | {rate:,.0f} | {rate / h_rate:,.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
