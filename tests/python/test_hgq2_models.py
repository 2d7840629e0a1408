"""HGQ2 models (../shared/models/hgq2/jsc_openml, the HGQ/alkaid papers' five jet
taggers, per-element bit widths, 83-99% of the weights pruned): nanogate's
fixed-point emulation equals HGQ2's own quantized forward bit for bit, and the
Verilog (Verilator) and the Vitis HLS C-simulation equal the emulation.

Exactness argument: HGQ2 evaluates in float32. Its quantizers scale by powers of
two and floor, which float32 does exactly while |x * 2^f| < 2^23; its dense sums
are exact while every partial sum fits 24 significant bits. The test inputs keep
both true (standardized features, |x| < 2^7, and products of <= 13-bit inputs by
<= 8-bit weights over <= 64 terms), so equality is asserted exactly — a single
differing bit anywhere fails the test."""
import os

os.environ["KERAS_BACKEND"] = "torch"  # before keras is imported anywhere

import hgq  # noqa: F401  (registers the HGQ2 layers with keras)
import keras
import numpy as np
import pytest

import nanogate
from conftest import MODELS, emulate, run_cli

HGQ = MODELS / "hgq2/jsc_openml"
NAMES = [f"jsc_openml_ebops{e}.keras" for e in (530, 1572, 2571, 7229, 13285)]


def jet_inputs(n, seed):
    """Standardized-feature-like inputs: half N(0,1), half N(0,4) (so the input
    quantizers' WRAP really wraps for some features)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (n, 16))
    x[n // 2:] *= 4.0
    return x.astype(np.float32)


def hgq_forward(path, x):
    model = keras.models.load_model(path, compile=False)
    return keras.ops.convert_to_numpy(model(x, training=False)).astype(np.float64), model


@pytest.mark.parametrize("name", NAMES)
def test_emulation_equals_hgq2_forward_bit_for_bit(name, tmp_path):
    """10,000 events, all ten outputs: exact equality with HGQ2's forward."""
    x = jet_inputs(10_000, 1)
    want, _ = hgq_forward(HGQ / name, x)
    got = emulate(HGQ / name, x, tmp_path)
    assert got.shape == want.shape == (10_000, 10)
    bad = np.flatnonzero((got != want).any(axis=1))
    assert bad.size == 0, f"{bad.size} events differ, first {bad[0]}: {got[bad[0]]} vs {want[bad[0]]}"


def test_in_memory_hgq2_model_predicts_what_hgq2_computes():
    """nanogate.convert(keras_model) on a loaded HGQ2 model: predict == model(x)."""
    x = jet_inputs(2000, 5)
    want, model = hgq_forward(HGQ / NAMES[1], x)
    assert np.array_equal(nanogate.convert(model).predict(x), want)


@pytest.mark.parametrize("name", [NAMES[0], NAMES[2]])
def test_verilog_is_bit_exact(name, tmp_path):
    """Pipelined Verilog at 5 ns: verify 1,000 vectors (extremes + uniform codes
    over the input port types) RTL == netlist emulator == layer emulator."""
    prj = tmp_path / "rtl"
    run_cli("convert", HGQ / name, "-o", prj, "--clock-period", "5")
    p = run_cli("verify", prj, "--vectors", "1000")
    assert "1000/1000 bit-exact" in p.stdout, p.stdout


def test_vitis_csim_is_bit_exact(tmp_path):
    """The Vitis HLS project of the smallest model: g++ csim == emulator on 2,000
    vectors (casts whose rounding bit lies above the source's MSB go through a
    widened type, which ap_private requires)."""
    prj = tmp_path / "hls"
    run_cli("convert", HGQ / NAMES[0], "-o", prj, "--backend", "vitis")
    p = run_cli("csim", prj)
    assert "2000 events x 10 outputs bit-exact" in p.stdout, p.stdout


def test_hgq2_model_trained_here_round_trips_exactly():
    """An HGQ2 model built and trained here (QEinsumDenseBatchnorm + QDense with
    HGQ2's default per-element quantizers, 2 epochs, seed 1): nanogate.convert(model)
    predicts exactly what the model computes on 3,000 inputs."""
    from hgq.layers import QDense, QEinsumDenseBatchnorm

    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 1.0, (512, 8)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    inp = keras.Input((8,))
    h = QEinsumDenseBatchnorm("bc,cC->bC", output_shape=(16,), bias_axes="C", activation="relu", name="h")(inp)
    h = QDense(12, activation="relu", name="h2")(h)
    model = keras.Model(inp, QDense(2, name="out")(h))
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=2, batch_size=64, verbose=0)
    xt = rng.normal(0.0, 1.0, (3000, 8)).astype(np.float32)
    want = keras.ops.convert_to_numpy(model(xt, training=False)).astype(np.float64)
    got = nanogate.convert(model).predict(xt)
    assert got.shape == (3000, 2)
    assert np.array_equal(got, want)


def test_kbi_quantizers_with_sat_sym_everywhere(tmp_path):
    """HGQ2 models built under QuantizerConfigScope(default_q_type='kbi', overflow_mode='SAT_SYM') store the
    bias quantizer's variables as b, i, k (the jet taggers' as b, k, i): the uint8 k is recognised by its type,
    and the model equals HGQ2's forward bit for bit."""
    from hgq.config import QuantizerConfigScope
    from hgq.layers import QDense

    keras.utils.set_random_seed(2)
    with QuantizerConfigScope(place="all", default_q_type="kbi", overflow_mode="SAT_SYM"):
        inp = keras.Input((16,), name="x")
        h = QDense(6, activation="relu", name="d1")(inp)
        model = keras.Model(inp, QDense(3, name="d2")(h))
    rng = np.random.default_rng(3)
    for v in model.weights:
        if "vars" not in v.path and v.path.endswith(("kernel", "bias")):
            v.assign(rng.normal(size=v.shape).astype(np.float32))
    path = tmp_path / "kbi.keras"
    model.save(path)
    x = jet_inputs(2000, 4)
    want, _ = hgq_forward(path, x)
    assert np.array_equal(emulate(path, x.astype(np.float64), tmp_path), want)


def test_hgq2_cnn_with_pooling_equals_hgq2(tmp_path):
    """QConv2D → QMaxPool2D → QConv2D → QAveragePooling2D (2x2: a power-of-two divisor) →
    Flatten and QGlobalMaxPooling2D → Concatenate → QDense, each pooling layer with its own per-element input
    quantizer: equals HGQ2's forward bit for bit, and the Verilog verifies."""
    from hgq.layers import QAveragePooling2D, QConv2D, QDense, QGlobalMaxPooling2D, QMaxPool2D

    keras.utils.set_random_seed(5)
    inp = keras.Input((12, 10, 2), name="x")
    h = QConv2D(3, 3, padding="same", activation="relu", name="c1")(inp)
    h = QMaxPool2D(2, name="p1")(h)
    h = QConv2D(4, 2, activation="relu", name="c2")(h)
    a = QAveragePooling2D(2, name="p2")(h)
    g = QGlobalMaxPooling2D(name="g")(h)
    flat = keras.layers.Flatten(name="f")(a)
    out = QDense(2, name="d")(keras.layers.Concatenate(name="cat")([flat, g]))
    model = keras.Model(inp, out)
    path = tmp_path / "cnn.keras"
    model.save(path)
    # inside the input quantizer's range (the host refuses values outside the port type, never wraps them)
    x = np.clip(np.random.default_rng(6).normal(size=(2000, 12, 10, 2)), -3.5, 3.5).astype(np.float32)
    want, _ = hgq_forward(path, x)
    got = emulate(path, x.reshape(2000, -1).astype(np.float64), tmp_path)
    assert np.array_equal(got, want)
    assert np.unique(got).size > 100
    run_cli("convert", path, "-o", tmp_path / "rtl", "--clock-period", 5)
    assert "500/500 bit-exact" in run_cli("verify", tmp_path / "rtl", "--vectors", 500).stdout
