"""The CICADA-class example (examples/cicada: the CICADA v2 student architecture, Brevitas QAT,
QONNX): the emulator equals qonnx's execution bit for bit; at the CTP7's 6.25 ns clock the
Verilog equals the emulators on 10,000 vectors (Verilator) and the Vitis HLS C-simulation
(io_parallel) equals the emulator on 10,000 calorimeter-like events; the latency in cycles
and ns is in report.json."""
import json
import re
import sys

import numpy as np

from conftest import ROOT, emulate, qonnx_execute, run_cli

MODEL = ROOT / "examples" / "cicada" / "cicada_v2_student.onnx"


def calorimeter_events(n, seed):
    sys.path.insert(0, str(ROOT / "examples" / "cicada"))
    sys.dont_write_bytecode = True
    from train import events  # the example's own documented generator (no training on import)

    x, _ = events(n, 0.3, seed)
    return x.reshape(n, -1).astype(np.float64)


def test_emulator_equals_qonnx_execution(tmp_path):
    x = calorimeter_events(2000, 11)
    ref = qonnx_execute(MODEL, x, ["global_out"])["global_out"]
    got = emulate(MODEL, x, tmp_path)
    assert np.array_equal(got, ref)
    assert np.unique(got).size > 50  # a real spread of scores, not a constant


def test_verilog_at_6p25ns_bit_exact_on_10000_vectors(tmp_path):
    run_cli("convert", MODEL, "-o", tmp_path / "rtl", "--clock-period", 6.25)
    rep = json.loads((tmp_path / "rtl" / "report.json").read_text())
    lat = rep["latency"]
    assert lat["met"] and lat["clock_period_ns"] == 6.25 and lat["initiation_interval"] == 1
    assert lat["ns"] == lat["cycles"] * 6.25 and lat["max_stage_delay_ns"] <= 6.25
    p = run_cli("verify", tmp_path / "rtl", "--vectors", 10000)
    m = re.search(r"(\d+)/(\d+) bit-exact", p.stdout)
    assert m and m.group(1) == m.group(2) == "10000", p.stdout


def test_hls_csim_bit_exact_on_10000_events(tmp_path):
    run_cli("convert", MODEL, "-o", tmp_path / "hls", "--backend", "vitis", "--clock-period", 6.25)
    np.save(tmp_path / "x.npy", calorimeter_events(10000, 12))
    p = run_cli("csim", tmp_path / "hls", "--input", tmp_path / "x.npy")
    assert "10000 events x 1 outputs bit-exact" in p.stdout, p.stdout


def test_hgq2_version_equals_hgq2_forward_and_verifies(tmp_path):
    """The HGQ2 version (examples/cicada/train_hgq2.py: QConv2D + QDense with learned per-element bit
    widths, channels_last) equals HGQ2's own forward bit for bit on 10,000 events, and its Verilog at
    6.25 ns verifies."""
    import os

    os.environ["KERAS_BACKEND"] = "torch"
    import hgq  # noqa: F401  (registers the layers)
    import keras

    model = ROOT / "examples" / "cicada" / "cicada_v2_hgq2.keras"
    x = calorimeter_events(10000, 13).reshape(10000, 1, 18, 14).transpose(0, 2, 3, 1)
    want = keras.models.load_model(model).predict(x.astype(np.float32), batch_size=10000, verbose=0)
    got = emulate(model, x.reshape(10000, -1), tmp_path)
    assert np.array_equal(got, want)
    assert np.unique(got).size > 100
    run_cli("convert", model, "-o", tmp_path / "rtl", "--clock-period", 6.25)
    p = run_cli("verify", tmp_path / "rtl", "--vectors", 2000)
    assert "2000/2000 bit-exact" in p.stdout, p.stdout
