#!/usr/bin/env python3
"""Every input of the fuzz corpora through the CLI: each run either succeeds or
prints exactly one error line `nanogate: error: FILE: ...` (issue 14) — never a
crash, an internal error, a second line or a silent failure.

The fuzz targets call the library; this replays their inputs (the seeds, the
corpora that libFuzzer grew: corpus/ of the campaigns, ci-corpus/ of CI's
fixed-run stage; in the layout of fuzz/*.cpp) through the command
line a user runs:
  fuzz_onnx, fuzz_onnx_structured   nanogate inspect FILE.onnx
  fuzz_keras                        nanogate inspect FILE.keras | FILE.h5 (zip or not)
  fuzz_config                       nanogate inspect BASE --config FILE.yaml | .json
                                    (byte 0: bit 0 YAML, bit 1 the float jet model)
  fuzz_table                        nanogate emulate digits --input FILE.npy | .csv
                                    (byte 0: bit 0 .npy)
A success may print notes, warnings and timing, but no error line. Exit status 1 when any input breaks the rule (each one listed).

    .venv/bin/python fuzz/check_messages.py [--fuzz-build build-fuzz] [--cli build-fuzz/nanogate]
                                            [--max-per-target N] [--timeout S]
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "default" / "digits_qmlp.onnx"
JET = ROOT.parent / "shared" / "models" / "jet" / "three_layer_keras.onnx"
ERROR = re.compile(r"nanogate: error: \S[^\n]*: [^\n]+")


def command(target, data, tmp):
    """The CLI arguments replaying one fuzz input (files written into tmp)."""
    if target in ("fuzz_onnx", "fuzz_onnx_structured"):
        f = tmp / "model.onnx"
        f.write_bytes(data)
        return ["inspect", f]
    if target == "fuzz_keras":
        f = tmp / ("model.keras" if data[:2] == b"PK" else "model.h5")
        f.write_bytes(data)
        return ["inspect", f]
    if not data:
        return None
    if target == "fuzz_config":
        f = tmp / ("config.yaml" if data[0] & 1 else "config.json")
        f.write_bytes(data[1:])
        return ["inspect", JET if data[0] & 2 else DIGITS, "--config", f]
    if target == "fuzz_table":
        f = tmp / ("events.npy" if data[0] & 1 else "events.csv")
        f.write_bytes(data[1:])
        return ["emulate", DIGITS, "--input", f, "--output", tmp / "out.npy", "--force"]
    raise ValueError(target)


def verdict(p):
    """None when the run keeps the rule, else what is wrong."""
    lines = [l for l in p.stderr.splitlines() if l]
    if p.returncode < 0:
        return f"killed by signal {-p.returncode}"
    if p.returncode == 0:
        bad = [l for l in lines if "error" in l.lower()]  # a success may report timing, notes, warnings
        return f"exit 0 with error lines: {bad[:2]}" if bad else None
    if len(lines) != 1:
        return f"exit {p.returncode} with {len(lines)} stderr lines: {lines[:3]}"
    if not ERROR.fullmatch(lines[0]):
        return f"exit {p.returncode}, not a `nanogate: error: FILE: reason` line: {lines[0][:200]!r}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fuzz-build", default=str(ROOT / "build-fuzz"))
    ap.add_argument("--cli", default=None, help="the nanogate CLI (default: FUZZ_BUILD/nanogate)")
    ap.add_argument("--max-per-target", type=int, default=400, help="inputs per target (smallest first)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per run (a hang is a failure)")
    a = ap.parse_args()
    build = Path(a.fuzz_build)
    cli = a.cli or str(build / "nanogate")
    failures, runs = [], 0
    for target in ("fuzz_onnx", "fuzz_onnx_structured", "fuzz_keras", "fuzz_config", "fuzz_table"):
        files = [f for sub in ("seeds", "corpus", "ci-corpus") for f in sorted((build / sub / target).glob("*")) if f.is_file()]
        files = sorted(files, key=lambda f: f.stat().st_size)[: a.max_per_target]
        ok = 0
        for f in files:
            with tempfile.TemporaryDirectory() as t:
                args = command(target, f.read_bytes(), Path(t))
                if args is None:
                    continue
                runs += 1
                try:
                    p = subprocess.run([cli, *map(str, args)], capture_output=True, text=True, errors="replace",
                                       timeout=a.timeout)
                    why = verdict(p)
                except subprocess.TimeoutExpired:
                    why = f"no answer within {a.timeout:g} s"
            if why:
                failures.append(f"{target}/{f.name}: {why}")
            else:
                ok += 1
        print(f"check_messages: {target}: {ok}/{len(files)} inputs keep the one-line rule")
    for line in failures:
        print("check_messages: FAIL " + line)
    print(f"check_messages: {runs} runs, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
