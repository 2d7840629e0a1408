"""The Keras frontend (Keras 2 JSON + weights HDF5, Keras 2 full-model HDF5, Keras 3
.keras zip and Keras 3 HDF5) against references it does not compute itself: the
ONNX exports of the same networks through nanogate's ONNX frontend (which
test_jet_models.py checks against onnxruntime and qonnx), Keras 3's own forward
(torch backend), and the MLPerf Tiny anomaly score shipped with the ToyCar model.

Keras 3 cannot read the Keras 2 JSON files (`model_from_json` fails with "Could not
locate class 'Model'"), so the float reference for them is rebuilt by hand in
Keras 3 from the JSON (Dense units/activation) with the weights read by h5py.
Keras 3 does load the Keras 2 full-model ad01.h5 (`load_model(..., compile=False)`).
Jet inputs are generated as in test_jet_models.py (no jet data set can be fetched)."""
import json
import os
import re
import shutil
import zipfile

os.environ["KERAS_BACKEND"] = "torch"  # before keras is imported anywhere

import h5py
import keras
import numpy as np
import pytest

from conftest import MODELS, emulate, run_cli

# Keras' torch backend calls np.array(tensor) in a way numpy 2 deprecates; harmless.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")

N = 10_000
JET = MODELS / "jet"
TOYCAR = MODELS / "toycar_ad"
K2_JSON = JET / "KERAS_3layer.json"
K2_WEIGHTS = JET / "KERAS_3layer_weights.h5"
K2_ONNX = JET / "three_layer_keras.onnx"
QK_JSON = JET / "qkeras_3layer.json"
QK_WEIGHTS = JET / "qkeras_3layer_weights.h5"
QK_ONNX = JET / "qkeras_jettagging.onnx"


def gen_inputs(n, seed):
    """Standard normal jet features on the fixed<16,6> input grid (as test_jet_models)."""
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0.0, 1.0, (n, 16)) * 1024) / 1024


def assert_bit_exact(got, want):
    assert got.shape == want.shape, (got.shape, want.shape)
    bad = np.argwhere(got != want)
    assert len(bad) == 0, f"{len(bad)} mismatches, first at {bad[0]}: {got[tuple(bad[0])]} vs {want[tuple(bad[0])]}"


def assert_error(p, *fragments):
    """One stderr line `nanogate: error: ...` containing every fragment; non-zero exit."""
    assert p.returncode != 0, p.stdout
    lines = [l for l in p.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("nanogate: error: "), lines[0]
    assert "internal error" not in lines[0], lines[0]
    for f in fragments:
        assert str(f) in lines[0], f"{f!r} not in {lines[0]!r}"
    return lines[0]


def keras2_json_reference(json_path, weights_path):
    """The Keras 2 Functional MLP of KERAS_3layer.json rebuilt in Keras 3 (a chain of
    Dense layers), weights from `f[layer][layer]['kernel:0'/'bias:0']`."""
    layers = json.loads(json_path.read_text())["config"]["layers"]
    assert layers[0]["class_name"] == "InputLayer"
    inp = keras.Input(shape=tuple(layers[0]["config"]["batch_input_shape"][1:]))
    x, dense, prev = inp, [], layers[0]["name"]
    for l in layers[1:]:
        assert l["class_name"] == "Dense" and l["inbound_nodes"][0][0][0] == prev, l["name"]
        d = keras.layers.Dense(l["config"]["units"], activation=l["config"]["activation"], name=l["name"])
        x, prev = d(x), l["name"]
        dense.append(d)
    model = keras.Model(inp, x)
    with h5py.File(weights_path, "r") as f:
        for d in dense:
            g = f[d.name][d.name]
            d.set_weights([g["kernel:0"][()], g["bias:0"][()]])
    return model


# --- 1. Keras 2 JSON + weights HDF5 (float MLP, hls4ml default precision) ----------

def test_keras2_json_default_equals_onnx_emulation(tmp_path):
    """KERAS_3layer.json (weights found as KERAS_3layer_weights.h5 beside it) under
    the default precision equals the emulation of the same network's ONNX export
    (three_layer_keras.onnx, same weights) bit for bit on 10,000 inputs: both
    frontends must produce the same typed graph, so no tolerance."""
    x = gen_inputs(N, 101)
    want = emulate(K2_ONNX, x, tmp_path)
    got = emulate(K2_JSON, x, tmp_path)
    assert want.shape == (N, 5)
    assert_bit_exact(got, want)


def test_keras2_json_explicit_weights_flag(tmp_path):
    """`--weights` names the HDF5 when it is not <stem>_weights.h5 beside the JSON
    (here a copy arch.json with nothing beside it): same bits as the ONNX export's
    emulation on 1,000 inputs."""
    arch = tmp_path / "arch.json"
    shutil.copy(K2_JSON, arch)
    x = gen_inputs(1000, 102)
    want = emulate(K2_ONNX, x, tmp_path)
    inp, out = tmp_path / "w_in.npy", tmp_path / "w_out.npy"
    np.save(inp, x)
    run_cli("emulate", arch, "--weights", K2_WEIGHTS, "--input", inp, "--output", out)
    assert_bit_exact(np.load(out), want)


def test_keras2_json_float_equals_keras_forward(tmp_path):
    """`--float` equals Keras 3's forward of the same network (rebuilt from the JSON,
    weights via h5py) on all 5 softmax outputs, 10,000 inputs, to 1e-5 abs + rel:
    Keras computes in float32 (≈1e-7 relative per op over ≤64-term sums; measured
    ≈1e-6 against a float64 forward). The hand-built reference is itself checked
    against onnxruntime on the ONNX export (same weights) to 1e-5."""
    import onnxruntime as ort

    x = gen_inputs(N, 103)
    ref = keras2_json_reference(K2_JSON, K2_WEIGHTS)
    want = ref.predict(x.astype(np.float32), batch_size=N, verbose=0)
    sess = ort.InferenceSession(str(K2_ONNX), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name  # batch dimension fixed to 1 in this export
    ort_out = np.concatenate([sess.run(None, {name: x[i : i + 1].astype(np.float32)})[0] for i in range(1000)])
    np.testing.assert_allclose(want[:1000], ort_out, rtol=1e-5, atol=1e-5)
    got = emulate(K2_JSON, x, tmp_path, float_mode=True)
    assert got.shape == (N, 5)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# --- 2. QKeras JSON + weights HDF5 (6-bit QDense/QActivation) -----------------------

QK_TENSORS = ["relu1", "relu2", "relu3", "output"]  # QActivation ×3, logits (QDense)
ONNX_TENSORS = ["Quant_8_out0", "Quant_9_out0", "Quant_10_out0", "Add_3_out0"]  # Add_3 feeds Softmax_0


def test_qkeras_json_equals_qonnx_export_emulation(tmp_path):
    """qkeras_3layer.json's quantized activations (relu1..3, quantized_relu(6,0)) and
    logits (QDense `output`, before the final Softmax) equal the QONNX export's
    (qkeras_jettagging.onnx, same weights) Quant_8/9/10 and Add_3 tensors bit for bit
    on 10,000 inputs: same quantizers, so no tolerance. The ONNX graph output is
    Softmax_0's (global_out); the Keras output is its `softmax` Activation: within
    one LSB (2^-10, fixed<16,6> TRN) of a float64 softmax of those exact logits."""
    x = gen_inputs(N, 104)
    want = emulate(QK_ONNX, x, tmp_path, tensors=ONNX_TENSORS)
    got = emulate(QK_JSON, x, tmp_path, tensors=QK_TENSORS)
    assert want.shape == (N, 64 + 32 + 32 + 5)
    assert_bit_exact(got, want)
    logits = want[:, -5:]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    soft = emulate(QK_JSON, x, tmp_path)
    assert soft.shape == (N, 5)
    assert np.max(np.abs(soft - e / e.sum(axis=1, keepdims=True))) <= 2.0**-10


# --- 3. Keras 2 full-model HDF5: MLPerf Tiny ToyCar autoencoder ---------------------

def toycar_windows():
    """The model input: 196 windows of 5 consecutive log-mel frames, frame-major
    (window i = frames i..i+4 concatenated, 5×128 = 640). This is exactly the
    DCASE/MLPerf Tiny `file_to_vector_array`: vector[:, 128t:128(t+1)] =
    logmel[:, t:t+196].T with logmel = the (200, 128) .bin transposed to (128, 200).
    Checked in the test through Keras itself; a (128, 200) reading of the .bin or
    mel-major windows give scores of ≈158 and ≈110 instead of 9.49."""
    frames = np.fromfile(TOYCAR / "normal_id_01_00000000_hist_librosa.bin", dtype="<f4").reshape(200, 128)
    return np.stack([frames[i : i + 5].reshape(-1) for i in range(200 - 5 + 1)])


def test_toycar_float_anomaly_score(tmp_path):
    """ad01.h5 (Dense+BatchNorm+ReLU autoencoder) with `--float`: the anomaly score,
    the mean over windows and elements of (output - input)^2, equals MLPerf Tiny's
    9.4912904 (first row of anomaly_score_ToyCar_id_01.csv) to 1e-5 relative, a
    float32-vs-float64 margin (Keras 3's float32 forward of ad01.h5 on the same
    windows agrees to ≈2e-7, which confirms the window construction)."""
    name, score = (TOYCAR / "anomaly_score_ToyCar_id_01.csv").read_text().splitlines()[0].split(",")
    assert name == "normal_id_01_00000000.wav"
    score = float(score)
    assert abs(score - 9.4912904) < 1e-6
    w = toycar_windows()
    assert w.shape == (196, 640)
    ref = keras.models.load_model(TOYCAR / "ad01.h5", compile=False)  # Keras 3 reads this Keras 2.4 HDF5
    k = ref.predict(w, batch_size=len(w), verbose=0).astype(np.float64)
    assert np.mean((k - w) ** 2) == pytest.approx(score, rel=1e-5)
    got = emulate(TOYCAR / "ad01.h5", w, tmp_path, float_mode=True)
    assert got.shape == (196, 640)
    assert np.mean((got - w) ** 2) == pytest.approx(score, rel=1e-5)


# --- 4. Keras 3 model trained here, saved as .keras and as Keras 3 HDF5 -------------

@pytest.fixture(scope="module")
def keras3_model(tmp_path_factory):
    """Dense(16)-BatchNormalization-ReLU-Dense(3)-Softmax trained 2 epochs (seed 7) on
    400 samples with offset, unequally scaled features (so BatchNorm's moving
    statistics leave 0/1); saved as model.keras and model.h5. Returns the directory,
    test inputs and Keras' predictions on them."""
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    scale = np.linspace(0.5, 3.0, 12)
    x = (rng.normal(0.0, 1.0, (400, 12)) * scale + 1.5).astype(np.float32)
    y = (x[:, :4].sum(axis=1) > 6).astype(int) + (x[:, 4] > 2.5)
    model = keras.Sequential([
        keras.Input((12,)),
        keras.layers.Dense(16, name="d1"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.ReLU(name="relu"),
        keras.layers.Dense(3, name="d2"),
        keras.layers.Softmax(name="sm"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    bn = model.get_layer("bn")
    assert np.max(np.abs(keras.ops.convert_to_numpy(bn.moving_variance) - 1.0)) > 0.05
    assert np.max(np.abs(keras.ops.convert_to_numpy(bn.moving_mean))) > 0.05
    d = tmp_path_factory.mktemp("keras3")
    model.save(d / "model.keras")
    model.save(d / "model.h5")  # Keras 3 writes its legacy HDF5 (with a warning)
    xt = (rng.normal(0.0, 1.0, (2000, 12)) * scale + 1.5).astype(np.float32)
    return d, xt, model.predict(xt, batch_size=len(xt), verbose=0)


@pytest.mark.parametrize("filename", ["model.keras", "model.h5"])
def test_keras3_trained_model_float_equals_predict(keras3_model, filename, tmp_path):
    """A Keras 3 model trained in the test, read from its .keras zip and from its
    Keras 3 HDF5: `--float` equals model.predict on 2,000 inputs to 1e-5 abs + rel
    (Keras' float32 forward; ≤16-term sums and a softmax, errors ≈1e-7)."""
    d, xt, want = keras3_model
    got = emulate(d / filename, xt, tmp_path, float_mode=True)
    assert got.shape == want.shape == (2000, 3)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# --- 5. Errors: one line, naming the file and the reason ----------------------------

def test_error_unsupported_layer_class(tmp_path):
    """A Keras JSON whose layer fc2_relu is a GRU (weights copied beside it under the
    matching stem): the error names the file, the layer and the class."""
    cfg = json.loads(K2_JSON.read_text())
    (layer,) = [l for l in cfg["config"]["layers"] if l["name"] == "fc2_relu"]
    layer["class_name"] = "GRU"
    arch = tmp_path / "gru.json"
    arch.write_text(json.dumps(cfg))
    shutil.copy(K2_WEIGHTS, tmp_path / "gru_weights.h5")
    assert_error(run_cli("inspect", arch, check=False), arch, "fc2_relu", "GRU")


def test_error_truncated_hdf5(tmp_path):
    """The first 1000 bytes of ad01.h5 (a valid HDF5 signature, nothing else): the
    error names the file."""
    f = tmp_path / "trunc.h5"
    f.write_bytes((TOYCAR / "ad01.h5").read_bytes()[:1000])
    assert_error(run_cli("inspect", f, check=False), f)


def test_error_keras_zip_without_config(tmp_path):
    """A zip holding only metadata.json: the error names the file and config.json."""
    f = tmp_path / "model.keras"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
    assert_error(run_cli("inspect", f, check=False), f, "config.json")


def test_error_missing_weights_file(tmp_path):
    """A JSON with no <stem>_weights.h5 beside it, and `--weights` naming a missing
    file (inspect and emulate): the error names the weights path looked for."""
    arch = tmp_path / "lonely.json"
    shutil.copy(K2_JSON, arch)
    assert_error(run_cli("inspect", arch, check=False), tmp_path / "lonely_weights.h5")
    missing = tmp_path / "nope.h5"
    assert_error(run_cli("inspect", arch, "--weights", missing, check=False), missing)
    inp = tmp_path / "in.npy"
    np.save(inp, gen_inputs(4, 0))
    p = run_cli("emulate", arch, "--weights", missing, "--input", inp, "--output", tmp_path / "o.npy", check=False)
    assert_error(p, missing)
    assert not (tmp_path / "o.npy").exists()


def test_error_weights_of_another_architecture(tmp_path):
    """KERAS_3layer.json with the QKeras model's weights beside it under the default
    name (layers fc1..output instead of fc1_relu..output_softmax): the error names the
    file and a layer."""
    arch = tmp_path / "mism.json"
    shutil.copy(K2_JSON, arch)
    shutil.copy(QK_WEIGHTS, tmp_path / "mism_weights.h5")
    line = assert_error(run_cli("inspect", arch, check=False))
    assert str(arch) in line or str(tmp_path / "mism_weights.h5") in line, line
    names = ["fc1_relu", "fc2_relu", "fc3_relu", "output_softmax", "fc1", "fc2", "fc3"]  # not bare "output"
    assert any(re.search(rf"\b{n}\b", line) for n in names), line
