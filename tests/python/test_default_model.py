"""The built-in default model (examples/default/digits_qmlp.onnx, Brevitas QAT on
scikit-learn's digits): the emulator equals Brevitas' own quantized forward exactly
(examples/default/digits_test_brevitas.npy, written by examples/train_default.py
from Brevitas, not by nanogate) and qonnx's execution."""
import numpy as np

from conftest import ROOT, emulate, qonnx_execute

DEFAULT = ROOT / "examples" / "default"


def test_default_model_equals_brevitas(tmp_path):
    x = np.load(DEFAULT / "digits_test_inputs.npy")
    want = np.load(DEFAULT / "digits_test_brevitas.npy")
    got = emulate(DEFAULT / "digits_qmlp.onnx", x, tmp_path)
    assert got.shape == want.shape
    assert np.array_equal(got, want)
    labels = np.load(DEFAULT / "digits_test_labels.npy")
    assert np.mean(got.argmax(1) == labels) > 0.9


def test_default_model_equals_qonnx_on_random_inputs(tmp_path):
    """Beyond the test digits: random pixel values 0..16 (and some off-grid values
    the input quantizer must round)."""
    model = DEFAULT / "digits_qmlp.onnx"
    rng = np.random.default_rng(11)
    x = rng.integers(0, 17, (2000, 64)).astype(np.float64)
    x[:200] += rng.choice([-0.5, 0.25, 0.5, 0.75], (200, 64))
    import onnx

    out_name = onnx.load(str(model)).graph.output[0].name
    ref = qonnx_execute(model, x, [out_name])[out_name]
    got = emulate(model, x, tmp_path)
    assert np.array_equal(got, ref)
