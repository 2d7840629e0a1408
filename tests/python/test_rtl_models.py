"""The Verilog backend on every real model: `nanogate convert` → zero
`verilator --lint-only -Wall` warnings → `nanogate verify` N/N bit-exact
(RTL == netlist emulator == layer emulator; N = 1,000 here, 100,000 in the
benchmark), and AXOL1TL v4 within 2 cycles at a 25 ns clock."""
import json
import re
import subprocess

import pytest

from conftest import MODELS, ROOT, run_cli
from test_axol1tl import build as build_axol1tl

N = 1000


def convert_verify(model, out, *extra, vectors=N):
    run_cli("convert", model, "-o", out, "--backend", "verilog", *map(str, extra))
    rep = json.loads((out / "report.json").read_text())
    lint = subprocess.run(["verilator", "--lint-only", "-Wall", str(out / rep["verilog"])], capture_output=True,
                          text=True)
    assert lint.returncode == 0 and "%Warning" not in lint.stderr, lint.stderr
    p = run_cli("verify", out, "--vectors", vectors)
    m = re.search(r"(\d+)/(\d+) bit-exact", p.stdout)
    assert m and m.group(1) == m.group(2) and int(m.group(2)) >= vectors, p.stdout
    return rep


def test_qkeras_jettagging(tmp_path):
    rep = convert_verify(MODELS / "jet" / "qkeras_jettagging.onnx", tmp_path / "jet")
    assert rep["stripped_softmax"]  # the final Softmax is dropped (argmax-preserving); the logits are verified


def test_default_model(tmp_path):
    convert_verify(ROOT / "examples" / "default" / "digits_qmlp.onnx", tmp_path / "digits")


@pytest.mark.parametrize("version", [1, 4])
def test_axol1tl(models, tmp_path, version):
    model, config = build_axol1tl(models, version, tmp_path / f"v{version}")
    rep = convert_verify(model, tmp_path / f"rtl{version}", "--config", config, "--clock-period", 25)
    assert rep["latency"]["met"] and not rep["options"]["expand_products"]  # the score's squares stay Mul ops
    if version == 4:
        assert rep["latency"]["cycles"] <= 2
        assert rep["latency"]["ns"] <= 50.0


def test_axol1tl_products_become_rows_when_one_misses_the_period(models, tmp_path):
    """At 5 ns one 10x10-bit Mul of the score (6.75 ns in the xc7 model) cannot meet the period, so
    convert lowers the products to shift-and-add rows that the pipeliner can cut."""
    model, config = build_axol1tl(models, 1, tmp_path / "v1")
    rep = convert_verify(model, tmp_path / "rtl", "--config", config, "--clock-period", 5)
    assert rep["options"]["expand_products"]
    assert rep["latency"]["met"] and rep["latency"]["max_stage_delay_ns"] <= 5.0


def test_tfc_2w2a(tmp_path):
    """The largest model (59k weights, 2-bit): Threshold layers in hardware."""
    convert_verify(MODELS / "mnist" / "TFC_2W2A.onnx", tmp_path / "tfc")
