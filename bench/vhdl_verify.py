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
vectors/s = (N - 10) / (t(N) - t(10, second run)).

    .venv/bin/python bench/vhdl_verify.py [--vectors N] [--models digits,jet,...]
"""
import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "build" / "nanogate"
MODELS = ROOT.parent / "shared" / "models"


def axol1tl(version, tmp):
    out = tmp / f"axol1tl_v{version}"
    subprocess.run([sys.executable, str(ROOT / "examples" / "axol1tl" / "build_model.py"),
                    str(MODELS / "axol1tl" / f"axol1tl_v{version}.json"), str(out)], check=True, capture_output=True)
    return [str(out / "model.onnx"), "--config", str(out / "config.json"), "--clock-period", "25"]


CASES = {
    "digits": lambda tmp: [str(ROOT / "examples" / "default" / "digits_qmlp.onnx"), "--clock-period", "5"],
    "jet": lambda tmp: [str(MODELS / "jet" / "qkeras_jettagging.onnx")],
    "axol1tl_v1": lambda tmp: axol1tl(1, tmp),
    "axol1tl_v4": lambda tmp: axol1tl(4, tmp),
    "hgq2_ebops530": lambda tmp: [str(MODELS / "hgq2" / "jsc_openml" / "jsc_openml_ebops530.keras"), "--clock-period", "5"],
    "hgq2_ebops2571": lambda tmp: [str(MODELS / "hgq2" / "jsc_openml" / "jsc_openml_ebops2571.keras"), "--clock-period", "5"],
    "cicada": lambda tmp: [str(ROOT / "examples" / "cicada" / "cicada_v2_student.onnx"), "--clock-period", "6.25"],
    "tfc_2w2a": lambda tmp: [str(MODELS / "mnist" / "TFC_2W2A.onnx")],
}


def verify(out, n):
    t0 = time.perf_counter()
    p = subprocess.run([str(CLI), "verify", str(out), "--vectors", str(n)], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    m = re.search(r"(\d+)/(\d+) bit-exact", p.stdout)
    if p.returncode or not m or m.group(1) != m.group(2):
        sys.exit(f"verify {out} failed:\n{p.stdout}{p.stderr}")
    return int(m.group(1)), dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", type=int, default=10000)
    ap.add_argument("--models", default=",".join(CASES))
    a = ap.parse_args()
    print(f"{a.vectors} vectors per model; rate = (N - 10) / (t(N) - t(10, second run)), start-up = t(10, first run)")
    print(f"{'model':16s} {'exact (VHDL)':>14s} {'GHDL vec/s':>11s} {'start s':>8s} "
          f"{'Verilator vec/s':>16s} {'start s':>8s} {'ratio':>8s}")
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        for name in a.models.split(","):
            args = CASES[name](tmp)
            row = {}
            for hdl in ("vhdl", "verilog"):
                out = tmp / f"{name}_{hdl}"
                subprocess.run([str(CLI), "convert", *args, "-o", str(out), "--backend", hdl], check=True,
                               capture_output=True)
                _, start = verify(out, 10)
                _, base = verify(out, 10)
                exact, tn = verify(out, a.vectors)
                row[hdl] = (exact, (a.vectors - 10) / max(tn - base, 1e-9), start)
            (ev, rv, sv), (_, rl, sl) = row["vhdl"], row["verilog"]
            print(f"{name:16s} {f'{ev}/{a.vectors}':>14s} {rv:11.0f} {sv:8.1f} {rl:16.0f} {sl:8.1f} {rv / rl:8.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
