"""hls4ml's jet-substructure taggers (16→64→32→32→5) against onnxruntime and qonnx.

No real jet-feature data set can be fetched here, so inputs are generated: standard
normal features (the taggers were trained on standardized features), rounded to the
fixed<16,6> input grid (10 fractional bits) so that every input is exactly
representable in the default input type."""
import numpy as np

from conftest import emulate, qonnx_execute

N = 10_000


def gen_inputs(n, seed):
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0.0, 1.0, (n, 16)) * 1024) / 1024


def test_qkeras_jettagging_equals_qonnx_execution(models, tmp_path):
    """Every tensor qonnx computes exactly (the logits before Softmax, and each
    quantized hidden activation) equals the emulator bit for bit on 10,000 inputs.
    float32 is exact here: 16 inputs of ≤14 significant bits times 6-bit weights
    sum to < 2^24."""
    model = models / "jet" / "qkeras_jettagging.onnx"
    x = gen_inputs(N, 1)
    names = ["Quant_8_out0", "Quant_9_out0", "Quant_10_out0", "Add_3_out0"]
    ref = qonnx_execute(model, x, names + ["global_out"])
    got = emulate(model, x, tmp_path, tensors=names)
    want = np.concatenate([ref[n] for n in names], axis=1)
    assert got.shape == want.shape
    mismatches = np.argwhere(got != want)
    assert len(mismatches) == 0, f"{len(mismatches)} mismatches, first at {mismatches[0]}"
    # The Softmax output is cast to the default fixed<16,6> (TRN): within one LSB.
    soft = emulate(model, x, tmp_path)
    assert np.max(np.abs(soft - ref["global_out"])) <= 2.0**-10


def test_three_layer_keras_float_matches_onnxruntime(models, tmp_path):
    import onnxruntime as ort

    model = models / "jet" / "three_layer_keras.onnx"
    x = gen_inputs(2000, 2)
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    want = np.concatenate([sess.run(None, {name: x[i : i + 1].astype(np.float32)})[0] for i in range(len(x))])
    got = emulate(model, x, tmp_path, float_mode=True)
    assert np.max(np.abs(got - want)) < 1e-5


def test_three_layer_keras_default_fixed16_6_within_tolerance(models, tmp_path):
    """hls4ml's default ap_fixed<16,6> (TRN, WRAP) everywhere: weights lose up to
    2^-10 each and every product is truncated into the accumulator. Generated
    Gaussian features drive some pre-activations beyond ±32, where fixed<16,6>
    wraps, exactly as the hls4ml firmware would. Stated tolerance, on events whose
    float pre-activations all stay within ±31.5: softmax outputs within 0.05 of
    onnxruntime and the same top class on ≥ 99% of them; ≥ 95% of events qualify."""
    import onnxruntime as ort

    model = models / "jet" / "three_layer_keras.onnx"
    x = gen_inputs(2000, 3)
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    want = np.concatenate([sess.run(None, {name: x[i : i + 1].astype(np.float32)})[0] for i in range(len(x))])
    pre = ["biased_tensor_name", "biased_tensor_name1", "biased_tensor_name2", "biased_tensor_name3"]
    fl = emulate(model, x, tmp_path, float_mode=True, tensors=pre)
    in_range = np.all(np.abs(fl) < 31.5, axis=1)
    assert in_range.mean() >= 0.95
    got = emulate(model, x, tmp_path)
    assert np.max(np.abs(got - want)[in_range]) < 0.05
    assert np.mean((got.argmax(1) == want.argmax(1))[in_range]) >= 0.99
    # ... and the quantization does change the numbers (this is not the float path).
    assert np.any(got != want)
