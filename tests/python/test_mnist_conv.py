"""The ONNX CNN of ../shared/models/mnist (Conv 5x5 'same', MaxPool 2x2, Conv 5x5, MaxPool 3x3,
MatMul; 5,998 parameters, float): the float model reproduces the reference output file and
onnxruntime; the default fixed<16,6> firmware stays within a stated bound of it; the Vitis HLS
project's C-simulation equals the emulator bit for bit."""
import numpy as np
import onnx
from onnx import numpy_helper

from conftest import MODELS, emulate, run_cli

MODEL = MODELS / "mnist" / "mnist_conv.onnx"


def images(n, seed=0):
    """Sparse random 28x28 images with pixel values 0..255 (plus the four real digits of mnist4)."""
    r = np.random.default_rng(seed)
    x = np.round(r.uniform(0, 255, size=(n, 784)) * (r.uniform(size=(n, 784)) < 0.25))
    real = np.load(MODELS / "mnist" / "mnist4_images.npy").reshape(4, -1)
    return np.concatenate([real, x])


def test_float_reproduces_the_reference_output(tmp_path):
    x = numpy_helper.to_array(onnx.load_tensor(str(MODELS / "mnist" / "mnist_conv_input_0.pb")))
    y = numpy_helper.to_array(onnx.load_tensor(str(MODELS / "mnist" / "mnist_conv_output_0.pb")))
    got = emulate(MODEL, x.reshape(1, -1), tmp_path, float_mode=True)
    np.testing.assert_allclose(got, y.reshape(1, -1), rtol=1e-5)


def test_float_equals_onnxruntime_on_1000_images(tmp_path):
    import onnxruntime as ort

    x = images(1000)
    sess = ort.InferenceSession(str(MODEL))
    name = sess.get_inputs()[0].name
    ref = np.concatenate([sess.run(None, {name: r.reshape(1, 1, 28, 28).astype(np.float32)})[0] for r in x])
    got = emulate(MODEL, x, tmp_path, float_mode=True)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


def test_default_fixed_16_6_within_stated_bound(tmp_path):
    """fixed<16,6> holds |v| < 32 at 2^-10: the pixels are given as value/255 so that the input and every
    intermediate fit it. Every product is cast to the fixed<16,6> accumulator (hls4ml's dense_latency), so
    the logits (|y| up to ~30) differ from the float model by at most 1.5 (measured: 0.97), 0.2 on average."""
    x = images(300) / 255.0
    f = emulate(MODEL, x, tmp_path, float_mode=True)
    q = emulate(MODEL, x, tmp_path)
    d = np.abs(f - q)
    assert d.max() < 1.5 and d.mean() < 0.2, (d.max(), d.mean())
    assert np.mean(f.argmax(1) == q.argmax(1)) > 0.9


def test_vitis_csim_bit_exact(tmp_path):
    run_cli("convert", MODEL, "-o", tmp_path / "hls", "--backend", "vitis")
    np.save(tmp_path / "x.npy", images(200, seed=1) / 255.0)
    p = run_cli("csim", tmp_path / "hls", "--input", tmp_path / "x.npy")
    assert "204 events x 10 outputs bit-exact" in p.stdout, p.stdout


def test_vitis_io_stream_csim_bit_exact(tmp_path):
    """io_stream: 784 pixel tokens through line buffers of 117 (5x5 conv, same padding), 30 (2x2 pool),
    61 and 31 tokens; csim equals the emulator bit for bit."""
    import json

    run_cli("convert", MODEL, "-o", tmp_path / "hls", "--backend", "vitis", "--io-type", "io_stream")
    s = json.loads((tmp_path / "hls" / "nanogate_project.json").read_text())["stream"]
    assert [b["buffer_tokens"] for b in s["line_buffers"]][:4] == [117, 30, 61, 31]
    np.save(tmp_path / "x.npy", images(200, seed=2) / 255.0)
    p = run_cli("csim", tmp_path / "hls", "--input", tmp_path / "x.npy")
    assert "204 events x 10 outputs bit-exact" in p.stdout, p.stdout
