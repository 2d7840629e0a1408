"""Keras convolution, pooling, padding and resizing layers (channels_last, Keras 3 on the torch
backend): single-layer models for every padding / stride / dilation / group / depthwise case
equal keras' own forward (float, 1e-5); a Keras CNN and the same network written as an ONNX
graph (NCHW convolutions between Transposes, as tf2onnx writes it) give identical bits."""
import os

os.environ["KERAS_BACKEND"] = "torch"  # before keras is imported anywhere

import keras
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import emulate

L = keras.layers

CASES = [
    ("conv2d_valid", (7, 6, 3), lambda: L.Conv2D(4, 3)),
    ("conv2d_same_stride", (7, 8, 2), lambda: L.Conv2D(3, (3, 2), strides=(2, 3), padding="same")),
    ("conv2d_dilated", (9, 9, 2), lambda: L.Conv2D(3, 3, dilation_rate=(2, 1), use_bias=False)),
    ("conv2d_groups_relu", (6, 6, 4), lambda: L.Conv2D(6, 3, groups=2, padding="same", activation="relu")),
    ("conv1d_same", (12, 3), lambda: L.Conv1D(4, 3, strides=2, padding="same")),
    ("conv1d_causal_dilated", (12, 3), lambda: L.Conv1D(2, 3, padding="causal", dilation_rate=2)),
    ("depthwise2d", (6, 5, 3), lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")),
    ("depthwise2d_stride", (7, 7, 4), lambda: L.DepthwiseConv2D((2, 3), strides=2)),
    ("depthwise1d", (10, 3), lambda: L.DepthwiseConv1D(3, padding="same")),
    ("separable2d", (6, 6, 3), lambda: L.SeparableConv2D(4, 3, depth_multiplier=2, padding="same")),
    ("separable1d", (10, 2), lambda: L.SeparableConv1D(3, 3, strides=2)),
    ("maxpool2d", (8, 7, 3), lambda: L.MaxPooling2D(2)),
    ("maxpool2d_same", (7, 7, 2), lambda: L.MaxPooling2D(3, strides=2, padding="same")),
    ("avgpool2d_same", (7, 8, 2), lambda: L.AveragePooling2D((3, 2), strides=(2, 2), padding="same")),
    ("avgpool1d", (11, 3), lambda: L.AveragePooling1D(3, strides=2)),
    ("maxpool1d_same", (11, 3), lambda: L.MaxPooling1D(2, padding="same")),
    ("global_avg2d", (5, 6, 3), lambda: L.GlobalAveragePooling2D()),
    ("global_max2d_keepdims", (5, 6, 3), lambda: L.GlobalMaxPooling2D(keepdims=True)),
    ("global_avg1d", (7, 4), lambda: L.GlobalAveragePooling1D()),
    ("zeropad2d", (4, 5, 2), lambda: L.ZeroPadding2D(((1, 2), (0, 3)))),
    ("zeropad1d", (6, 2), lambda: L.ZeroPadding1D((2, 1))),
    ("cropping2d", (7, 6, 2), lambda: L.Cropping2D(((1, 2), (2, 0)))),
    ("cropping1d", (8, 3), lambda: L.Cropping1D((1, 3))),
    ("upsampling2d", (3, 4, 2), lambda: L.UpSampling2D((2, 3))),
    ("upsampling1d", (5, 2), lambda: L.UpSampling1D(3)),
]


@pytest.mark.parametrize("name,shape,layer", CASES, ids=[c[0] for c in CASES])
def test_layer_float_equals_keras(tmp_path, name, shape, layer):
    keras.utils.set_random_seed(1)
    inp = keras.Input(shape, name="x")
    model = keras.Model(inp, L.Flatten(name="flat")(layer()(inp)))
    for v in model.weights:  # non-trivial biases too
        v.assign(np.random.default_rng(2).normal(size=v.shape).astype(np.float32))
    path = tmp_path / "m.keras"
    model.save(path)
    x = np.random.default_rng(0).normal(size=(64, *shape)).astype(np.float32)
    want = model.predict(x, verbose=0)
    got = emulate(path, x.reshape(64, -1), tmp_path, float_mode=True)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_keras_and_onnx_sources_give_identical_bits(tmp_path):
    """Conv2D(same) → ReLU → MaxPooling2D → Conv2D(valid) → Flatten → Dense, float weights on the default
    fixed<16,6>: the .keras file and an ONNX graph of the same weights (Transpose to NCHW around each
    convolution and pool, as tf2onnx exports) emulate to the same bits, and the float runs agree."""
    keras.utils.set_random_seed(4)
    inp = keras.Input((8, 8, 2), name="x")
    h = L.Conv2D(3, 3, padding="same", activation="relu", name="c1")(inp)
    h = L.MaxPooling2D(2, name="p1")(h)
    h = L.Conv2D(4, 2, name="c2")(h)
    out = L.Dense(3, name="d")(L.Flatten(name="f")(h))
    model = keras.Model(inp, out)
    rng = np.random.default_rng(5)
    for v in model.weights:
        v.assign((rng.integers(-16, 16, size=v.shape) / 16).astype(np.float32))
    model.save(tmp_path / "m.keras")
    w = {v.path: np.asarray(v.numpy()) for v in model.weights}
    k1, b1, k2, b2 = w["c1/kernel"], w["c1/bias"], w["c2/kernel"], w["c2/bias"]
    init = {"k1": k1.transpose(3, 2, 0, 1), "b1": b1, "k2": k2.transpose(3, 2, 0, 1), "b2": b2,
            "wd": w["d/kernel"], "bd": w["d/bias"]}
    t = lambda i, o, p: helper.make_node("Transpose", [i], [o], perm=p)
    nodes = [t("x", "xt", [0, 3, 1, 2]),
             helper.make_node("Conv", ["xt", "k1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="c1"),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Conv", ["p1", "k2", "b2"], ["c2"], name="c2"),
             t("c2", "c2t", [0, 2, 3, 1]),
             helper.make_node("Flatten", ["c2t"], ["f"]),
             helper.make_node("MatMul", ["f", "wd"], ["m"], name="d"),
             helper.make_node("Add", ["m", "bd"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 8, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
                          [numpy_helper.from_array(v.astype(np.float32), k) for k, v in init.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, tmp_path / "m.onnx")
    x = (rng.integers(-32, 32, size=(500, 128)) / 8).astype(np.float64)
    a = emulate(tmp_path / "m.keras", x, tmp_path)
    b = emulate(tmp_path / "m.onnx", x, tmp_path)
    assert np.array_equal(a, b)
    fa = emulate(tmp_path / "m.keras", x, tmp_path, float_mode=True)
    want = model.predict(x.reshape(500, 8, 8, 2).astype(np.float32), verbose=0)
    np.testing.assert_allclose(fa, want, rtol=1e-5, atol=1e-4)


def qkeras_file(tmp_path, model, edits):
    """The .keras file of `model` with some layers turned into QKeras layers: edits = {layer name:
    (QKeras class, extra config)} (the variables keep their layout, so the weights file stays valid)."""
    import json
    import zipfile

    model.save(tmp_path / "plain.keras")
    with zipfile.ZipFile(tmp_path / "plain.keras") as z:
        files = {n: z.read(n) for n in z.namelist()}
    cfg = json.loads(files["config.json"])
    for layer in cfg["config"]["layers"]:
        if layer["config"]["name"] in edits:
            cls, extra = edits[layer["config"]["name"]]
            layer["class_name"] = cls
            layer["module"] = "qkeras"
            layer["config"].update(extra)
    files["config.json"] = json.dumps(cfg).encode()
    with zipfile.ZipFile(tmp_path / "q.keras", "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    return tmp_path / "q.keras"


def qb(bits, integer):
    return {"class_name": "quantized_bits", "config": {"bits": bits, "integer": integer, "alpha": 1,
                                                        "keep_negative": True, "symmetric": False}}


def quantized_bits(w, bits, integer):
    s = 2.0 ** (integer - bits + 1)
    return np.clip(np.round(w / s), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1) * s


def test_qkeras_qconv2d_and_qdepthwise_match_their_quantized_semantics(tmp_path):
    """QConv2D (kernel quantized_bits(4,0), bias quantized_bits(6,2), activation quantized_relu(4,2)) →
    QDepthwiseConv2D (depthwise quantized_bits(3,0), no bias) → Flatten: nanogate's emulation equals the
    float Keras network with QKeras' quantized weights and a round-half-even ReLU quantizer, bit for bit
    (inputs on the 1/16 grid; every sum is exact in float32)."""
    keras.utils.set_random_seed(6)
    inp = keras.Input((8, 7, 2), name="x")
    c = L.Conv2D(3, 3, padding="same", name="qc")(inp)
    d = L.DepthwiseConv2D(3, use_bias=False, name="qd")(c)
    model = keras.Model(inp, L.Flatten(name="f")(d))
    rng = np.random.default_rng(7)
    for v in model.weights:
        v.assign(rng.normal(scale=0.6, size=v.shape).astype(np.float32))
    path = qkeras_file(tmp_path, model, {
        "qc": ("QConv2D", {"kernel_quantizer": qb(4, 0), "bias_quantizer": qb(6, 2),
                           "activation": "quantized_relu(4,2)"}),
        "qd": ("QDepthwiseConv2D", {"depthwise_quantizer": qb(3, 0)})})
    # the reference: Keras' float layers with the quantized weights, the ReLU quantizer in numpy
    kc, bc = quantized_bits(model.get_layer("qc").kernel.numpy(), 4, 0), quantized_bits(model.get_layer("qc").bias.numpy(), 6, 2)
    kd = quantized_bits(model.get_layer("qd").kernel.numpy(), 3, 0)
    conv = keras.Sequential([keras.Input((8, 7, 2)), L.Conv2D(3, 3, padding="same")])
    conv.set_weights([kc, bc])
    dw = keras.Sequential([keras.Input((8, 7, 3)), L.DepthwiseConv2D(3, use_bias=False)])
    dw.set_weights([kd])
    x = (rng.integers(-48, 48, size=(400, 8, 7, 2)) / 16).astype(np.float32)
    h = conv.predict(x, verbose=0)
    h = np.clip(np.round(h / 0.25), 0, 15) * 0.25  # quantized_relu(4, 2)
    want = dw.predict(h.astype(np.float32), verbose=0).reshape(400, -1)
    got = emulate(path, x.reshape(400, -1).astype(np.float64), tmp_path)
    assert np.array_equal(got, want)
    assert np.unique(got).size > 50


def test_batchnorm_on_feature_maps_folds_into_its_conv(tmp_path):
    """Conv2D → BatchNormalization → ReLU → MaxPooling2D → BatchNormalization → Flatten → Dense: the float
    run equals Keras; the first BatchNormalization folds into the conv (the channels_last Transposes between
    them cancel), the second stays a per-channel BatchNorm layer; the Verilog verifies."""
    keras.utils.set_random_seed(8)
    inp = keras.Input((8, 8, 2), name="x")
    h = L.Conv2D(3, 3, padding="same", name="c1")(inp)
    h = L.BatchNormalization(name="bn1")(h)
    h = L.ReLU(name="r1")(h)
    h = L.MaxPooling2D(2, name="p1")(h)
    h = L.BatchNormalization(name="bn2")(h)
    model = keras.Model(inp, L.Dense(2, name="d")(L.Flatten(name="f")(h)))
    rng = np.random.default_rng(9)
    for v in model.weights:
        val = rng.normal(size=v.shape)
        if "variance" in v.path:
            val = np.abs(val) + 0.5
        v.assign(val.astype(np.float32))
    model.save(tmp_path / "m.keras")
    x = rng.normal(size=(200, 8, 8, 2)).astype(np.float32)
    got = emulate(tmp_path / "m.keras", x.reshape(200, -1), tmp_path, float_mode=True)
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    from conftest import run_cli

    layers = [l.split()[:2] for l in run_cli("inspect", tmp_path / "m.keras").stdout.splitlines()[2:] if l.strip()]
    ops = {name: op for name, op, *_ in [r + [""] for r in layers] if name}
    assert "bn1" not in ops and ops.get("bn2") == "BatchNorm", ops
    assert not any(n.endswith("_to_channels_first") and n.startswith("bn1") for n in ops)
    run_cli("convert", tmp_path / "m.keras", "-o", tmp_path / "rtl", "--clock-period", 5)
    assert "300/300 bit-exact" in run_cli("verify", tmp_path / "rtl", "--vectors", 300).stdout
