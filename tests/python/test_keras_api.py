"""Keras models through the Python API and the firmware backends: an in-memory
keras.Model (saved to a temporary .keras, read by the C++ reader), a Keras JSON
path to verified Verilog and a bit-exact HLS C-simulation, and hls4ml's
command-line YAML as the configuration."""
import os

os.environ["KERAS_BACKEND"] = "torch"  # before keras is imported anywhere

import keras
import numpy as np

import nanogate
from conftest import MODELS, run_cli

QK_JSON = MODELS / "jet/qkeras_3layer.json"


def test_in_memory_keras_model_predicts_what_keras_predicts():
    """A Functional Keras 3 model built and trained here (Dense, BatchNormalization,
    ReLU, a skip Add, Concatenate, Softmax): nanogate.convert(model) in float mode
    equals model.predict to 1e-5 (float32 forward vs nanogate's double)."""
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 1.0, (300, 8)).astype(np.float32) * 2 + 0.5
    y = (x[:, 0] + x[:, 1] > 1).astype(int)
    inp = keras.Input((8,), name="x")
    h = keras.layers.Dense(8, name="d1")(inp)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.ReLU(name="r")(h)
    s = keras.layers.Add(name="skip")([h, inp])
    c = keras.layers.Concatenate(name="cat")([s, h])
    out = keras.layers.Dense(2, activation="softmax", name="out")(c)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    xt = rng.normal(0.0, 1.0, (1000, 8)).astype(np.float32)
    fw = nanogate.convert(model)
    got = fw.predict(xt, float_mode=True)
    want = model.predict(xt, batch_size=1000, verbose=0)
    assert got.shape == (1000, 2)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_qkeras_json_path_to_verified_verilog_and_csim(tmp_path):
    """The QKeras JSON (+ weights beside it) through nanogate.convert: the Verilog
    design (the weights copied into the project) is bit-exact under Verilator on
    300 vectors, and the Vitis project's g++ C-simulation is bit-exact too."""
    fw = nanogate.convert(str(QK_JSON), backend="verilog", output_dir=tmp_path / "rtl")
    fw.write()
    r = fw.verify(n=300)
    assert r["bit_exact"] and r["exact"] == r["vectors"] == 300, r
    hls = nanogate.convert(str(QK_JSON), backend="vitis", output_dir=tmp_path / "hls")
    hls.write()
    c = hls.csim(n=300)
    assert c["bit_exact"], c


def test_hls4ml_yaml_config_is_accepted(tmp_path):
    """hls4ml's command-line YAML: KerasJson/KerasH5 (the weights under another
    name), HLSConfig.Model.Precision, ProjectName (the HLS top) and XilinxPart."""
    w = tmp_path / "renamed.h5"
    w.write_bytes((MODELS / "jet/qkeras_3layer_weights.h5").read_bytes())
    cfg = tmp_path / "hls4ml_config.yml"
    cfg.write_text(f"KerasJson: {QK_JSON}\nKerasH5: {w}\nOutputDir: my-hls-test\nProjectName: jettagger\n"
                   "XilinxPart: xcu250-figd2104-2L-e\nBackend: Vitis\n"
                   "HLSConfig:\n  Model:\n    Precision: fixed<18,8>\n    ReuseFactor: 1\n")
    arch = tmp_path / "arch.json"  # no arch_weights.h5 beside it: the YAML's KerasH5 is used
    arch.write_text(QK_JSON.read_text())
    p = run_cli("inspect", arch, "--config", cfg)
    assert "fixed<18,8>" in p.stdout  # the input, typed by the Model precision
    prj = tmp_path / "prj"
    run_cli("convert", arch, "--config", cfg, "-o", prj, "--backend", "vitis")
    assert (prj / "firmware/jettagger.cpp").exists()
    assert "xcu250-figd2104-2L-e" in (prj / "build_prj.tcl").read_text()
