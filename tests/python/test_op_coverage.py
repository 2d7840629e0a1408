"""Every ONNX op the frontend accepts, in small synthetic graphs, against onnxruntime
(float) and qonnx (QONNX ops): --float must match to 1e-6; fixed point with a wide
Model precision (fixed<32,12>) to 1e-3."""
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import emulate, qonnx_execute


def make_model(nodes, inits, in_shape, out_name, opset=13, extra_opsets=()):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])
    y = helper.make_tensor_value_info(out_name, TensorProto.FLOAT, None)
    g = helper.make_graph(nodes, "g", [x], [y], initializer=[numpy_helper.from_array(np.asarray(v, np.float32) if v.dtype != np.int64 else v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset), *extra_opsets])
    m.ir_version = 8
    return m


def ort_run(m, x):
    import onnxruntime as ort

    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x.astype(np.float32)})[0].reshape(len(x), -1)


rng = np.random.default_rng(3)
W = rng.normal(0, 0.5, (6, 4))
B = rng.normal(0, 0.5, (4,))

CASES = {
    "gemm_transB_sigmoid": (
        [helper.make_node("Gemm", ["x", "Wt", "B"], ["h"], transB=1, alpha=1.0, beta=1.0),
         helper.make_node("Sigmoid", ["h"], ["y"])],
        {"Wt": W.T.copy(), "B": B}, [6]),
    "matmul_leakyrelu_softmax": (
        [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("LeakyRelu", ["h"], ["a"], alpha=0.125),
         helper.make_node("Softmax", ["a"], ["y"], axis=-1)],
        {"W": W}, [6]),
    "reshape_transpose_gather_concat": (
        [helper.make_node("Reshape", ["x", "shape"], ["r"]),
         helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 1]),
         helper.make_node("Gather", ["t", "idx"], ["gth"], axis=2),
         helper.make_node("Flatten", ["gth"], ["f"], axis=1),
         helper.make_node("Concat", ["f", "f"], ["y"], axis=1)],
        {"shape": np.array([-1, 2, 3], np.int64), "idx": np.array([1, 0], np.int64)}, [6]),
    "squeeze_unsqueeze_reducesum": (
        [helper.make_node("Unsqueeze", ["x", "ax1"], ["u"]), helper.make_node("ReduceSum", ["u", "ax2"], ["s"], keepdims=1),
         helper.make_node("Squeeze", ["s", "ax2"], ["y"])],
        {"ax1": np.array([1], np.int64), "ax2": np.array([2], np.int64)}, [6]),
    "div_pow_sub_add_mul": (
        [helper.make_node("Div", ["x", "d"], ["a"]), helper.make_node("Pow", ["a", "two"], ["p"]),
         helper.make_node("Sub", ["p", "x"], ["s"]), helper.make_node("Mul", ["s", "m"], ["mm"]),
         helper.make_node("Add", ["mm", "x"], ["y"])],
        {"d": np.array([4.0], np.float32), "two": np.array(2.0, np.float32), "m": rng.normal(0, 1, (6,))}, [6]),
    "batchnorm_affine": (
        [helper.make_node("BatchNormalization", ["x", "g", "b", "mu", "var"], ["y"], epsilon=1e-3)],
        {"g": rng.normal(1, 0.2, (6,)), "b": rng.normal(0, 0.2, (6,)), "mu": rng.normal(0, 0.2, (6,)),
         "var": rng.uniform(0.5, 2, (6,))}, [6]),
    "identity_dropout_relu": (
        [helper.make_node("Identity", ["x"], ["i"]), helper.make_node("Dropout", ["i"], ["d"]),
         helper.make_node("Relu", ["d"], ["y"])], {}, [6]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_against_onnxruntime(case, tmp_path):
    nodes, inits, shape = CASES[case]
    m = make_model(nodes, inits, shape, "y")
    path = tmp_path / f"{case}.onnx"
    onnx.save(m, path)
    x = np.round(rng.normal(0, 1, (200, *shape)) * 256) / 256
    want = ort_run(m, x)
    got_float = emulate(path, x.reshape(len(x), -1), tmp_path, float_mode=True)
    assert got_float.shape == want.shape
    assert np.max(np.abs(got_float - want)) < 1e-5
    cfg = tmp_path / "wide.json"
    cfg.write_text(json.dumps({"Model": {"Precision": "fixed<32,12>"}}))
    got_fixed = emulate(path, x.reshape(len(x), -1), tmp_path, config=cfg)
    assert np.max(np.abs(got_fixed - want)) < 1e-3


def test_opset9_squeeze_with_axes_attribute(tmp_path):
    nodes = [helper.make_node("Unsqueeze", ["x"], ["u"], axes=[1]), helper.make_node("Squeeze", ["u"], ["y"], axes=[1])]
    m = make_model(nodes, {}, [5], "y", opset=9)
    path = tmp_path / "sq9.onnx"
    onnx.save(m, path)
    x = np.round(rng.normal(0, 1, (50, 5)) * 64) / 64
    assert np.array_equal(emulate(path, x, tmp_path), x)


QONNX = helper.make_opsetid("qonnx.custom_op.general", 1)


def qonnx_model(nodes, inits, shape, tmp_path, name):
    m = make_model(nodes, inits, shape, "y", extra_opsets=[QONNX])
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, path)
    return path


@pytest.mark.parametrize("mode,narrow,signed", [("ROUND", 0, 1), ("FLOOR", 0, 1), ("DOWN", 0, 1), ("HALF_UP", 0, 1), ("HALF_DOWN", 0, 1),
                                                ("ROUND", 1, 1), ("ROUND", 0, 0)])
def test_quant_modes_equal_qonnx(tmp_path, mode, narrow, signed):
    nodes = [helper.make_node("Quant", ["x", "s", "z", "b"], ["y"], domain="qonnx.custom_op.general",
                              signed=signed, narrow=narrow, rounding_mode=mode)]
    path = qonnx_model(nodes, {"s": np.array(0.125, np.float32), "z": np.array(0.0, np.float32),
                               "b": np.array(4.0, np.float32)}, [8], tmp_path, "q")
    x = np.round(rng.normal(0, 1.5, (400, 8)) * 64) / 64  # includes ties and out-of-range values
    want = qonnx_execute(path, x, ["y"])["y"]
    assert np.array_equal(emulate(path, x, tmp_path), want)


def test_bipolar_quant_and_trunc_equal_qonnx(tmp_path):
    nodes = [helper.make_node("Quant", ["x", "s", "z", "b"], ["q"], domain="qonnx.custom_op.general",
                              signed=1, narrow=0, rounding_mode="ROUND"),
             helper.make_node("Trunc", ["q", "s", "z", "b", "ob"], ["t"], domain="qonnx.custom_op.general",
                              rounding_mode="FLOOR"),
             helper.make_node("BipolarQuant", ["t", "one"], ["bq"], domain="qonnx.custom_op.general"),
             helper.make_node("Concat", ["t", "bq"], ["y"], axis=1)]
    path = qonnx_model(nodes, {"s": np.array(0.125, np.float32), "z": np.array(0.0, np.float32),
                               "b": np.array(8.0, np.float32), "ob": np.array(5.0, np.float32),
                               "one": np.array(1.0, np.float32)}, [8], tmp_path, "bt")
    x = np.round(rng.normal(0, 4, (300, 8)) * 64) / 64
    want = qonnx_execute(path, x, ["y"])["y"]
    assert np.array_equal(emulate(path, x, tmp_path), want)
