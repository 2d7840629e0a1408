#!/usr/bin/env python3
"""`nanogate verify` of the VHDL (GHDL, mcode backend) against the Verilog (Verilator)
on the same designs and the same generated vectors.

Every model is converted twice with the same options (`--backend vhdl` and
`--backend verilog`: one netlist, one printer, so one circuit) and verified on N
vectors (default 10,000: all-min, all-max, alternations, zero, uniform random);
both must print N/N bit-exact (simulation == netlist emulator == layer
emulator). Each simulator's start-up (GHDL: analysis + elaboration, on every
run; Verilator: the C++ build, once) is the time of a first 10-vector run; a
second 10-vector run is the per-run baseline taken out of the rate:
vectors/s = (N - 10) / (t(N) - t(10, second run)), "-" when that difference is
under 1 s (start-up noise dominates).

    .venv/bin/python bench/vhdl_verify.py [--vectors N] [--models digits,jet,...]
        [--cap MODEL=N,...] [--jobs J] [--cli PATH]

--cap verifies MODEL on N vectors instead (a design GHDL cannot simulate 10^4
times in the session; the table says so), --jobs runs J models at once (rows in
the order given), --cli uses another nanogate binary (default build/nanogate).
"""
import argparse
import concurrent.futures
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT.parent / "shared" / "models"


def axol1tl(version, tmp):
    out = tmp / f"axol1tl_v{version}"
    subprocess.run([sys.executable, str(ROOT / "examples" / "axol1tl" / "build_model.py"),
                    str(MODELS / "axol1tl" / f"axol1tl_v{version}.json"), str(out)], check=True, capture_output=True)
    return [str(out / "model.onnx"), "--config", str(out / "config.json"), "--clock-period", "25"]


def hgq2(ebops):
    return [str(MODELS / "hgq2" / "jsc_openml" / f"jsc_openml_ebops{ebops}.keras"), "--clock-period", "5"]


CASES = {
    "digits": lambda tmp: [str(ROOT / "examples" / "default" / "digits_qmlp.onnx"), "--clock-period", "5"],
    "jet": lambda tmp: [str(MODELS / "jet" / "qkeras_jettagging.onnx")],
    "axol1tl_v1": lambda tmp: axol1tl(1, tmp),
    "axol1tl_v4": lambda tmp: axol1tl(4, tmp),
    "hgq2_ebops530": lambda tmp: hgq2(530),
    "hgq2_ebops1572": lambda tmp: hgq2(1572),
    "hgq2_ebops2571": lambda tmp: hgq2(2571),
    "hgq2_ebops7229": lambda tmp: hgq2(7229),
    "hgq2_ebops13285": lambda tmp: hgq2(13285),
    "axol1tl_v3": lambda tmp: axol1tl(3, tmp),
    "axol1tl_v5": lambda tmp: axol1tl(5, tmp),
    # the QKeras JSON + HDF5 of the jet tagger (same weights as qkeras_jettagging.onnx)
    "jet_qkeras_json": lambda tmp: [str(MODELS / "jet" / "qkeras_3layer.json"), "--weights",
                                    str(MODELS / "jet" / "qkeras_3layer_weights.h5")],
    # the float jet tagger (ONNX and Keras 2 JSON + HDF5): converted at the default precision
    "jet_float_onnx": lambda tmp: [str(MODELS / "jet" / "three_layer_keras.onnx")],
    "jet_float_json": lambda tmp: [str(MODELS / "jet" / "KERAS_3layer.json"), "--weights",
                                   str(MODELS / "jet" / "KERAS_3layer_weights.h5")],
    "cicada": lambda tmp: [str(ROOT / "examples" / "cicada" / "cicada_v2_student.onnx"), "--clock-period", "6.25"],
    "tfc_2w2a": lambda tmp: [str(MODELS / "mnist" / "TFC_2W2A.onnx")],
}


def verify(cli, out, n):
    t0 = time.perf_counter()
    p = subprocess.run([cli, "verify", str(out), "--vectors", str(n)], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    m = re.search(r"(\d+)/(\d+) bit-exact", p.stdout)
    if p.returncode or not m or m.group(1) != m.group(2):
        sys.exit(f"verify {out} failed:\n{p.stdout}{p.stderr}")
    return int(m.group(1)), dt


def run_model(cli, name, n, tmp):
    """One table row: (model, exact, vectors, GHDL vec/s, GHDL start s, Verilator vec/s, Verilator start s)."""
    args = CASES[name](tmp)
    row = {}
    for hdl in ("vhdl", "verilog"):
        out = tmp / f"{name}_{hdl}"
        subprocess.run([cli, "convert", *args, "-o", str(out), "--backend", hdl], check=True, capture_output=True)
        _, start = verify(cli, out, 10)
        _, base = verify(cli, out, 10)
        exact, tn = verify(cli, out, n)
        # below 1 s of difference the run-to-run noise of the start-up dominates: no rate
        row[hdl] = (exact, (n - 10) / (tn - base) if tn - base >= 1.0 else None, start)
    (ev, rv, sv), (_, rl, sl) = row["vhdl"], row["verilog"]
    fmt = lambda r, w, d: f"{r:{w}.{d}f}" if r else f"{'-':>{w}s}"
    ratio = fmt(rv / rl if rv and rl else None, 8, 4)
    return f"{name:16s} {f'{ev}/{n}':>14s} {fmt(rv, 11, 1)} {sv:8.1f} {fmt(rl, 16, 0)} {sl:8.1f} {ratio}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", type=int, default=10000)
    ap.add_argument("--models", default=",".join(CASES))
    ap.add_argument("--cap", default="", help="MODEL=N,...: N vectors for MODEL instead of --vectors")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--cli", default=str(ROOT / "build" / "nanogate"))
    a = ap.parse_args()
    caps = {k: int(v) for k, v in (c.split("=") for c in a.cap.split(",") if c)}
    names = a.models.split(",")
    print(f"{a.vectors} vectors per model (--cap: {a.cap or 'none'}); rate = (N - 10) / (t(N) - t(10, second run)), "
          f"start-up = t(10, first run); {a.jobs} model(s) at a time")
    print(f"{'model':16s} {'exact (VHDL)':>14s} {'GHDL vec/s':>11s} {'start s':>8s} "
          f"{'Verilator vec/s':>16s} {'start s':>8s} {'ratio':>8s}", flush=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as td, concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        rows = [pool.submit(run_model, a.cli, name, caps.get(name, a.vectors), Path(td)) for name in names]
        for r in rows:
            print(r.result(), flush=True)
    print(f"total wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
