#!/usr/bin/env python3
"""nanogate's Vitis HLS backend vs hls4ml 1.3.0 on the same model, one run.

Measures, on qkeras_jettagging.onnx (QONNX, 16-64-32-32-5):
  1. model file -> HLS project written: `nanogate convert --backend vitis` (process wall
     time, model load included) vs hls4ml (qonnx cleanup + config +
     convert_from_onnx_model + write());
  2. C-simulation build: nanogate csim's g++ build (two translation units in
     parallel, -O1) vs hls4ml compile() (its build_lib.sh, g++ -O3, after write);
  3. emulation throughput: `nanogate emulate` (one thread: NANOGATE_THREADS=1, events/s as it
     prints) vs hls4ml predict() (its compiled C++ via ctypes) on the same
     N events.
Ratios are hls4ml time / nanogate time (> 1: nanogate is faster), all measured
in this run on this machine. Usage: bench/hls_vs_hls4ml.py [--events N] [--build DIR]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT.parent / "shared" / "models" / "jet" / "qkeras_jettagging.onnx"


def wall(fn):
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--build", default=os.environ.get("NANOGATE_BUILD_DIR", "build"))
    a = ap.parse_args()
    cli = str(ROOT / a.build / "nanogate")
    tmp = Path(tempfile.mkdtemp(prefix="bench_hls_"))

    # ---- nanogate ----
    ng_dir = tmp / "nanogate_prj"
    t_ng_write, _ = wall(lambda: subprocess.run([cli, "convert", str(MODEL), "-o", str(ng_dir), "--backend", "vitis"], check=True,
                                                capture_output=True))
    p = subprocess.run([cli, "csim", str(ng_dir), "--rebuild", "-n", "100"], check=True, capture_output=True, text=True)
    t_ng_build = float(re.search(r"build ([0-9.]+) s", p.stdout).group(1))

    rng = np.random.default_rng(0)
    x = rng.integers(-(1 << 15), 1 << 15, size=(a.events, 16)) / 1024.0  # exact fixed<16,6> values
    np.save(tmp / "x.npy", x)
    p = subprocess.run([cli, "emulate", str(MODEL), "-i", str(tmp / "x.npy"), "-o", str(tmp / "y.npy"), "--force"],
                       env={**os.environ, "NANOGATE_THREADS": "1"},
                       check=True, capture_output=True, text=True)
    ng_eps = float(re.search(r"([0-9.]+) events/s", p.stderr).group(1))

    # ---- hls4ml ----
    import hls4ml
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.util.cleanup import cleanup_model

    h_dir = tmp / "hls4ml_prj"

    def h_convert():
        m = cleanup_model(ModelWrapper(str(MODEL)))
        m = m.transform(InferShapes()).transform(ConvertToChannelsLastAndClean()).transform(GemmToMatMul())
        m = cleanup_model(m)
        cfg = hls4ml.utils.config.config_from_onnx_model(m, granularity="name", backend="Vitis",
                                                         default_precision="fixed<16,6>")
        hm = hls4ml.converters.convert_from_onnx_model(m, output_dir=str(h_dir), io_type="io_parallel",
                                                       backend="Vitis", hls_config=cfg)
        return hm

    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        t_h_convert, hm = wall(h_convert)
        t_h_write, _ = wall(hm.write)
        t_h_compile, _ = wall(hm.compile)  # write + build
        t_h_rewrite, _ = wall(hm.write)
    t_h_build = max(t_h_compile - t_h_rewrite, 0.0)
    xf = x.astype(np.float32)
    t_h_pred, _ = wall(lambda: hm.predict(xf))
    h_eps = a.events / t_h_pred

    rows = [
        ("model file -> project written (s)", t_h_convert + t_h_write, t_ng_write),
        ("C-sim build (s)", t_h_build, t_ng_build),
        ("emulation throughput (events/s)", h_eps, ng_eps),
    ]
    print(f"qkeras_jettagging.onnx, {a.events} events, hls4ml {hls4ml.__version__}, one run on {os.uname().nodename}")
    print(f"| measure | hls4ml 1.3.0 | nanogate | ratio |")
    print(f"|---|---:|---:|---:|")
    for name, h, n in rows:
        ratio = n / h if "events/s" in name else h / n
        print(f"| {name} | {h:.3f} | {n:.3f} | {ratio:.1f}x |")
    print(f"(ratio: how many times faster nanogate is; hls4ml convert {t_h_convert:.3f} s + write {t_h_write:.3f} s)")


if __name__ == "__main__":
    sys.exit(main())
