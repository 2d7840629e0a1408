#!/usr/bin/env python3
"""Converting a large binary MLP to Verilog: time, peak memory and adders.

`examples/brevitas_mlps/b784.onnx` (784-64-64-64-10, BipolarQuant weights and
activations, BatchNorm between layers) is converted with `nanogate convert
--backend verilog --clock-period 5`: once with the default CMVM search budget
(the 784x64 first layer, 19.6 M two-term patterns, gets plain CSD adder trees)
and once with `--cse-budget -1` (the full common-subexpression search on every
layer). Wall time and peak resident memory come from GNU time (`/usr/bin/time
-v`); adders from report.json. Then `nanogate verify` on 10,000 vectors for the
default build.

    .venv/bin/python bench/binary_mlp_convert.py [--skip-full] [--verify N]
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "build" / "nanogate"
MODEL = ROOT / "examples" / "brevitas_mlps" / "b784.onnx"


def convert(out, extra):
    cmd = ["/usr/bin/time", "-v", str(CLI), "convert", str(MODEL), "-o", str(out), "--clock-period", "5", *extra]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"convert failed:\n{p.stderr}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", p.stderr)
    secs = float(wall.group(2)) * 60 + float(wall.group(3)) + (float(wall.group(1) or 0) * 3600)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    rep = json.loads((out / "report.json").read_text())
    return secs, rss, rep


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-full", action="store_true", help="skip the --cse-budget -1 run")
    ap.add_argument("--verify", type=int, default=10000, help="vectors for verify (0: skip)")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = [("default budget (2^22 patterns)", [])]
        if not a.skip_full:
            runs.append(("full CSE search (--cse-budget -1)", ["--cse-budget", "-1"]))
        for label, extra in runs:
            out = Path(tmp) / label.split()[0]
            secs, rss, rep = convert(out, extra)
            t = rep["totals"]
            rows.append((label, secs, rss, t["adders"], t["luts_est"], rep["latency"]["cycles"]))
            if label.startswith("default") and a.verify:
                v = subprocess.run([str(CLI), "verify", str(out), "--vectors", str(a.verify)], capture_output=True,
                                   text=True)
                print(v.stdout.strip() or v.stderr.strip())
    print(f"\n{MODEL.name}: nanogate convert --backend verilog --clock-period 5")
    print(f"{'run':38s} {'wall s':>8s} {'peak MB':>8s} {'adders':>8s} {'LUT est':>9s} {'cycles':>7s}")
    for r in rows:
        print(f"{r[0]:38s} {r[1]:8.1f} {r[2]:8.0f} {r[3]:8d} {r[4]:9d} {r[5]:7d}")
    if len(rows) == 2:
        print(f"default / full: time {rows[0][1] / rows[1][1]:.3f}x, memory {rows[0][2] / rows[1][2]:.3f}x, "
              f"adders {rows[0][3] / rows[1][3]:.3f}x")


if __name__ == "__main__":
    main()
