"""Convolutions, pooling, padding and resizing (issue 13): single-op ONNX graphs for every
padding / stride / dilation / group case, compared with onnxruntime (the float model,
`--float`, 1e-5) and, quantized with QONNX Quant nodes (power-of-two scales), with qonnx's
own execution bit for bit; small quantized CNNs through both backends (Verilator verify,
g++ csim), bit-exact."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import emulate, qonnx_execute, run_cli

QDOMAIN = "qonnx.custom_op.general"


def save(path, nodes, x_shape, y_name, inits, opset=13):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *x_shape])],
                          [helper.make_tensor_value_info(y_name, TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.asarray(v, dtype=np.float32) if v.dtype != np.int64 else v, k)
                           for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid(QDOMAIN, 1)])
    m.ir_version = 8
    onnx.save(m, path)
    return path


def ort_run(path, x, x_shape):
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path))
    xs = x.reshape(len(x), *x_shape).astype(np.float32)
    return np.concatenate([sess.run(None, {"x": xs[i:i + 1]})[0].reshape(1, -1) for i in range(len(xs))])


def check_float(tmp_path, path, x_shape, n=64, seed=0):
    x = np.random.default_rng(seed).normal(size=(n, int(np.prod(x_shape))))
    ref = ort_run(path, x, x_shape)
    got = emulate(path, x, tmp_path, float_mode=True)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


rng = np.random.default_rng(42)

# (name, x_shape, weight shape, attrs, bias)
CONV_CASES = [
    ("2d_valid", (3, 7, 6), (4, 3, 3, 3), {}, True),
    ("2d_pads", (3, 7, 6), (4, 3, 3, 3), {"pads": [1, 1, 1, 1]}, False),
    ("2d_asym_pads_stride", (2, 9, 8), (3, 2, 3, 2), {"pads": [1, 0, 2, 1], "strides": [2, 3]}, True),
    ("2d_dilation", (2, 9, 9), (3, 2, 3, 3), {"dilations": [2, 1], "pads": [2, 1, 2, 1]}, True),
    ("2d_same_upper", (2, 7, 8), (2, 2, 4, 3), {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, True),
    ("2d_same_lower", (2, 7, 8), (2, 2, 4, 3), {"auto_pad": "SAME_LOWER", "strides": [2, 1]}, False),
    ("2d_auto_valid", (2, 7, 8), (2, 2, 3, 3), {"auto_pad": "VALID", "strides": [2, 2]}, True),
    ("2d_groups", (4, 6, 6), (6, 2, 3, 3), {"group": 2, "pads": [1, 1, 1, 1]}, True),
    ("2d_depthwise", (4, 6, 5), (4, 1, 3, 3), {"group": 4, "pads": [1, 1, 1, 1]}, True),
    ("2d_depthwise_multiplier", (3, 6, 5), (6, 1, 2, 2), {"group": 3, "strides": [2, 2]}, False),
    ("2d_pointwise", (5, 4, 4), (3, 5, 1, 1), {}, True),
    ("1d", (3, 12), (4, 3, 3), {"pads": [2, 1], "strides": [2]}, True),
    ("1d_dilated_depthwise", (4, 12), (4, 1, 3), {"group": 4, "dilations": [3]}, True),
    ("3d", (2, 4, 5, 4), (2, 2, 2, 3, 2), {"pads": [1, 0, 1, 0, 1, 1]}, True),
]


@pytest.mark.parametrize("name,x_shape,w_shape,attrs,bias", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv_float_equals_onnxruntime(tmp_path, name, x_shape, w_shape, attrs, bias):
    inits = {"w": rng.normal(size=w_shape)}
    ins = ["x", "w"]
    if bias:
        inits["b"] = rng.normal(size=(w_shape[0],))
        ins.append("b")
    path = save(tmp_path / "m.onnx", [helper.make_node("Conv", ins, ["y"], name="conv", **attrs)], x_shape, "y", inits)
    check_float(tmp_path, path, x_shape)


POOL_CASES = [
    ("max_2x2", "MaxPool", (3, 8, 8), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ("max_3x3_pads", "MaxPool", (2, 7, 7), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ("max_ceil", "MaxPool", (2, 7, 8), {"kernel_shape": [2, 3], "strides": [2, 2], "ceil_mode": 1}),
    ("max_dilated", "MaxPool", (2, 9, 9), {"kernel_shape": [2, 2], "dilations": [2, 2]}),
    ("max_same", "MaxPool", (2, 7, 7), {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ("max_1d", "MaxPool", (3, 11), {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}),
    ("avg_2x2", "AveragePool", (3, 8, 8), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ("avg_3x3_exclude_pad", "AveragePool", (2, 7, 7), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    ("avg_3x3_include_pad", "AveragePool", (2, 7, 7), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1],
                                                       "count_include_pad": 1}),
    ("avg_asym_stride", "AveragePool", (2, 9, 8), {"kernel_shape": [3, 2], "strides": [3, 2], "pads": [0, 1, 2, 0]}),
    ("avg_1d", "AveragePool", (3, 10), {"kernel_shape": [4], "strides": [2]}),
    ("global_avg", "GlobalAveragePool", (3, 5, 6), {}),
    ("global_max", "GlobalMaxPool", (3, 5, 6), {}),
    ("global_avg_1d", "GlobalAveragePool", (4, 7), {}),
]


@pytest.mark.parametrize("name,op,x_shape,attrs", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pool_float_equals_onnxruntime(tmp_path, name, op, x_shape, attrs):
    path = save(tmp_path / "m.onnx", [helper.make_node(op, ["x"], ["y"], name="pool", **attrs)], x_shape, "y", {})
    check_float(tmp_path, path, x_shape)


MOVE_CASES = [
    ("pad_constant", "Pad", (2, 4, 5), {"pads": np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)}, {"mode": "constant"}),
    ("pad_reflect", "Pad", (2, 4, 5), {"pads": np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)}, {"mode": "reflect"}),
    ("pad_edge", "Pad", (2, 4, 5), {"pads": np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)}, {"mode": "edge"}),
    ("pad_crop", "Pad", (2, 6, 5), {"pads": np.array([0, 0, -1, 0, 0, 0, -2, -1], np.int64)}, {}),
    ("resize_nearest_2x", "Resize", (2, 3, 4), {"roi": np.zeros(0), "scales": np.array([1., 1, 2, 2])}, {"mode": "nearest"}),
    ("resize_nearest_asym", "Resize", (2, 3, 4), {"roi": np.zeros(0), "scales": np.array([1., 1, 3, 2])},
     {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}),
    ("resize_nearest_sizes", "Resize", (2, 3, 4),
     {"roi": np.zeros(0), "scales": np.zeros(0), "sizes": np.array([1, 2, 7, 5], np.int64)}, {"mode": "nearest"}),
    ("resize_align_corners", "Resize", (1, 4, 4), {"roi": np.zeros(0), "scales": np.array([1, 1, 2, 1.5])},
     {"mode": "nearest", "coordinate_transformation_mode": "align_corners", "nearest_mode": "round_prefer_ceil"}),
]


@pytest.mark.parametrize("name,op,x_shape,params,attrs", MOVE_CASES, ids=[c[0] for c in MOVE_CASES])
def test_pad_resize_float_equals_onnxruntime(tmp_path, name, op, x_shape, params, attrs):
    ins = ["x"] + list(params)
    if op == "Resize" and "sizes" in params:
        ins = ["x", "roi", "", "sizes"]
        params = {"roi": params["roi"], "sizes": params["sizes"]}
    path = save(tmp_path / "m.onnx", [helper.make_node(op, ins, ["y"], name="op", **attrs)], x_shape, "y", params)
    check_float(tmp_path, path, x_shape)


def test_upsample_opset9_and_reducemax(tmp_path):
    up = save(tmp_path / "up.onnx", [helper.make_node("Upsample", ["x", "s"], ["y"], name="up", mode="nearest")],
              (2, 3, 3), "y", {"s": np.array([1., 1, 2, 3])}, opset=9)
    check_float(tmp_path, up, (2, 3, 3))
    rm = save(tmp_path / "rm.onnx", [helper.make_node("ReduceMax", ["x"], ["y"], name="rm", axes=[2], keepdims=0)],
              (3, 4, 5), "y", {})
    check_float(tmp_path, rm, (3, 4, 5))


def test_keras_style_transposes_around_a_conv_do_not_change_results(tmp_path):
    """A channels-last graph (NHWC input, Transpose to NCHW, Conv, Transpose back, Flatten) equals
    onnxruntime and, per element, the NCHW graph's outputs transposed."""
    w = rng.normal(size=(4, 3, 3, 3))
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2], name="to_nchw"),
             helper.make_node("Conv", ["t", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Transpose", ["c"], ["ct"], perm=[0, 2, 3, 1], name="to_nhwc"),
             helper.make_node("Flatten", ["ct"], ["y"], name="flat")]
    nhwc = save(tmp_path / "nhwc.onnx", nodes, (6, 5, 3), "y", {"w": w})
    check_float(tmp_path, nhwc, (6, 5, 3))
    nchw = save(tmp_path / "nchw.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])],
                (3, 6, 5), "y", {"w": w})
    x = np.random.default_rng(5).integers(-8, 8, size=(50, 6, 5, 3)) / 4.0
    a = emulate(nhwc, x.reshape(50, -1), tmp_path)
    b = emulate(nchw, x.transpose(0, 3, 1, 2).reshape(50, -1), tmp_path)
    assert np.array_equal(a, b.reshape(50, 4, 6, 5).transpose(0, 2, 3, 1).reshape(50, -1))


# ---- quantized (QONNX, power-of-two scales): exact against qonnx execution ----

def quant(name, x, y, bits, scale, signed=1, narrow=0):
    """A Quant node and its constant inputs (scale may be per channel, shaped to broadcast)."""
    inits = {f"{name}_s": np.asarray(scale, np.float64), f"{name}_z": np.zeros(()), f"{name}_b": np.array(float(bits))}
    return (helper.make_node("Quant", [x, f"{name}_s", f"{name}_z", f"{name}_b"], [y], name=name, domain=QDOMAIN,
                             signed=signed, narrow=narrow, rounding_mode="ROUND"), inits)


def qcnn(path, x_shape=(2, 10, 9), conv_attrs=None, pool="MaxPool", per_channel=False, seed=0):
    """x → Quant(8b) → Conv(Quant 5b weights, bias Quant 10b) → Relu → Quant(6b, unsigned) → pool → Flatten →
    MatMul(Quant 4b) → Quant(8b): every tensor on a power-of-two grid."""
    r = np.random.default_rng(seed)
    conv_attrs = conv_attrs or {"pads": [1, 1, 1, 1], "strides": [1, 1]}
    M, C = 4, x_shape[0]
    w = r.integers(-15, 16, size=(M, C // conv_attrs.get("group", 1), 3, 3)) / 16.0
    wscale = (2.0 ** -r.integers(3, 6, size=(M, 1, 1, 1))) if per_channel else 1 / 16
    nodes, inits = [], {"w": w, "bias": r.integers(-64, 64, size=(M,)) / 32.0}
    for q in [quant("qx", "x", "xq", 8, 1 / 32), quant("qw", "w", "wq", 5, wscale),
              quant("qb", "bias", "bq", 10, 1 / 32)]:
        nodes.append(q[0])
        inits.update(q[1])
    nodes.append(helper.make_node("Conv", ["xq", "wq", "bq"], ["c"], name="conv", **conv_attrs))
    nodes.append(helper.make_node("Relu", ["c"], ["cr"], name="relu"))
    n, i = quant("qa", "cr", "a", 6, 1 / 8, signed=0)
    nodes.append(n)
    inits.update(i)
    if pool == "MaxPool":
        nodes.append(helper.make_node("MaxPool", ["a"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]))
    else:
        nodes.append(helper.make_node("AveragePool", ["a"], ["p0"], name="pool", kernel_shape=[2, 2], strides=[2, 2]))
        n, i = quant("qp", "p0", "p", 8, 1 / 32, signed=0)
        nodes.append(n)
        inits.update(i)
    nodes.append(helper.make_node("Flatten", ["p"], ["f"], name="flat"))
    pads = conv_attrs.get("pads", [0, 0, 0, 0])
    st = conv_attrs.get("strides", [1, 1])
    oh = (x_shape[1] + pads[0] + pads[2] - 3) // st[0] + 1
    ow = (x_shape[2] + pads[1] + pads[3] - 3) // st[1] + 1
    inits["wd"] = r.integers(-7, 8, size=(M * (oh // 2) * (ow // 2), 3)) / 8.0
    n, i = quant("qd", "wd", "wdq", 4, 1 / 8)
    nodes += [n, helper.make_node("MatMul", ["f", "wdq"], ["d"], name="dense")]
    inits.update(i)
    n, i = quant("qy", "d", "y", 8, 1 / 4)
    nodes.append(n)
    inits.update(i)
    return save(path, nodes, x_shape, "y", inits)


QCNN_CASES = [
    ("pads_maxpool", {}, "MaxPool", False),
    ("stride2_per_channel", {"conv_attrs": {"strides": [2, 2], "pads": [1, 0, 1, 0]}}, "MaxPool", True),
    ("depthwise_avgpool", {"conv_attrs": {"group": 2, "pads": [1, 1, 1, 1]}, "x_shape": (4, 9, 8)}, "AveragePool",
     False),
]


@pytest.mark.parametrize("name,kw,pool,per_channel", QCNN_CASES, ids=[c[0] for c in QCNN_CASES])
def test_quantized_cnn_equals_qonnx_execution(tmp_path, name, kw, pool, per_channel):
    x_shape = kw.get("x_shape", (2, 10, 9))
    path = qcnn(tmp_path / "q.onnx", pool=pool, per_channel=per_channel, **kw)
    x = np.random.default_rng(7).normal(scale=2.0, size=(500, int(np.prod(x_shape))))
    ref = qonnx_execute(path, x, ["y"])["y"]
    got = emulate(path, x, tmp_path)
    assert np.array_equal(got, ref), np.abs(got - ref).max()


def test_quantized_cnn_verilog_and_hls_bit_exact(tmp_path):
    path = qcnn(tmp_path / "q.onnx", per_channel=True)
    run_cli("convert", path, "-o", tmp_path / "rtl", "--clock-period", 5)
    p = run_cli("verify", tmp_path / "rtl", "--vectors", 2000)
    assert "2000/2000 bit-exact" in p.stdout, p.stdout
    run_cli("convert", path, "-o", tmp_path / "hls", "--backend", "vitis")
    x = np.random.default_rng(3).normal(scale=2.0, size=(500, 180))
    np.save(tmp_path / "x.npy", x)
    p = run_cli("csim", tmp_path / "hls", "--input", tmp_path / "x.npy")
    assert "500 events x 3 outputs bit-exact" in p.stdout, p.stdout


def test_avgpool_cnn_verilog_and_hls_bit_exact(tmp_path):
    path = qcnn(tmp_path / "q.onnx", pool="AveragePool", conv_attrs={"group": 2, "pads": [1, 1, 1, 1]},
                x_shape=(4, 9, 8))
    run_cli("convert", path, "-o", tmp_path / "rtl", "--clock-period", 5)
    p = run_cli("verify", tmp_path / "rtl", "--vectors", 1000)
    assert "1000/1000 bit-exact" in p.stdout, p.stdout
    run_cli("convert", path, "-o", tmp_path / "hls", "--backend", "vitis")
    p = run_cli("csim", tmp_path / "hls")
    assert "bit-exact" in p.stdout and "differ" not in p.stdout, p.stdout


def test_quantized_avgpool_with_non_po2_divisor_is_exact(tmp_path):
    """A 3x3 AveragePool (divisor 9) between Quant nodes: the division joins the output quantizer's
    exact thresholds (absorb_scales), so every layer is exact and equals qonnx's execution (a tie
    round(sum/9) = n + 1/2 cannot occur for integer sums, so float32 rounding cannot flip one)."""
    nodes, inits = [], {}
    n, i = quant("qx", "x", "xq", 8, 1 / 32)
    nodes += [n, helper.make_node("AveragePool", ["xq"], ["p"], name="pool", kernel_shape=[3, 3],
                                  pads=[1, 1, 1, 1], count_include_pad=1)]
    inits.update(i)
    n, i = quant("qy", "p", "y", 8, 1 / 32)
    nodes.append(n)
    inits.update(i)
    path = save(tmp_path / "avg9.onnx", nodes, (2, 6, 6), "y", inits)
    p = run_cli("inspect", path)
    rows = [l.split() for l in p.stdout.splitlines()[2:] if l.startswith(("pool", "qy"))]
    assert rows and all(r[-1] == "exact" for r in rows), p.stdout
    x = np.random.default_rng(9).normal(scale=2.0, size=(2000, 72))
    assert np.array_equal(emulate(path, x, tmp_path), qonnx_execute(path, x, ["y"])["y"])


def test_float_scale_activations_through_maxpool_and_conv_are_exact(tmp_path):
    """FINN-CNV-style scales that are not powers of two: a Quant with scale 3/8 on the input, conv
    weights with per-channel scales 3/16 and 5/32, the ReLU quantizer's scale 3/4 before a MaxPool and
    a second Conv: the scales become Thresholds and per-column factors (absorb_scales), MaxPool passes
    them through, and the result equals qonnx's execution bit for bit (every scale product is exact in
    float32, so qonnx's float arithmetic has no near-ties here)."""
    r = np.random.default_rng(21)
    nodes, inits = [], {"w1": r.integers(-7, 8, size=(4, 2, 3, 3)) * np.array([3 / 16, 5 / 32, 3 / 16, 5 / 32]).reshape(4, 1, 1, 1),
                        "w2": r.integers(-3, 4, size=(3, 4, 2, 2)) * (3 / 8)}
    for q in [quant("qx", "x", "xq", 6, 3 / 8),
              quant("qw1", "w1", "w1q", 4, np.array([3 / 16, 5 / 32, 3 / 16, 5 / 32]).reshape(4, 1, 1, 1)),
              quant("qw2", "w2", "w2q", 3, 3 / 8)]:
        nodes.append(q[0])
        inits.update(q[1])
    nodes += [helper.make_node("Conv", ["xq", "w1q"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
              helper.make_node("Relu", ["c1"], ["r1"], name="relu1")]
    n, i = quant("qa", "r1", "a", 4, 3 / 4, signed=0)
    nodes += [n, helper.make_node("MaxPool", ["a"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
              helper.make_node("Conv", ["p", "w2q"], ["c2"], name="conv2")]
    inits.update(i)
    n, i = quant("qy", "c2", "y", 8, 3 / 2)
    nodes.append(n)
    inits.update(i)
    path = save(tmp_path / "cnv.onnx", nodes, (2, 8, 8), "y", inits)
    p = run_cli("inspect", path)
    assert "INEXACT" not in p.stdout and "Threshold" in p.stdout and "dequant_mul" not in p.stdout, p.stdout
    x = r.normal(scale=3.0, size=(1000, 128))
    assert np.array_equal(emulate(path, x, tmp_path), qonnx_execute(path, x, ["y"])["y"])
    run_cli("convert", path, "-o", tmp_path / "rtl", "--clock-period", 5)
    out = run_cli("verify", tmp_path / "rtl", "--vectors", 1000).stdout
    assert "1000/1000 bit-exact" in out, out


def residual_net(path, r):
    """x [2,6,5] -> Conv -> Relu -> Conv (same padding) + x (Add) -> Concat with x (channels) ->
    GlobalAveragePool -> Flatten; float weights from generator r."""
    w1, w2 = r.normal(scale=0.3, size=(2, 2, 3, 3)), r.normal(scale=0.3, size=(2, 2, 3, 3))
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], name="c1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="r1"),
             helper.make_node("Conv", ["r1", "w2"], ["c2"], name="c2", pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["c2", "x"], ["s"], name="skip"),
             helper.make_node("Concat", ["s", "x"], ["cat"], name="cat", axis=1),
             helper.make_node("GlobalAveragePool", ["cat"], ["g"], name="gap"),
             helper.make_node("Flatten", ["g"], ["y"], name="flat")]
    return save(path, nodes, (2, 6, 5), "y", {"w1": w1, "w2": w2})


def test_residual_add_and_concat_of_feature_maps(tmp_path):
    """Conv → Relu → Conv (same padding) + the block's input (Add), Concat with the input on the channel axis,
    GlobalAveragePool: the float run equals onnxruntime; the default fixed<16,6> run converts to Verilog and
    verifies bit-exact."""
    path = residual_net(tmp_path / "res.onnx", rng)
    check_float(tmp_path, path, (2, 6, 5))
    run_cli("convert", path, "-o", tmp_path / "rtl", "--clock-period", 5)
    assert "500/500 bit-exact" in run_cli("verify", tmp_path / "rtl", "--vectors", 500).stdout
