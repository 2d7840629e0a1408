"""ONNX opsets older than 7 are lifted by onnx's own C++ version converter: an opset-6
MLP gives the same bits as its opset-13 conversion (made by onnx's Python converter) and
its float run equals onnxruntime's."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, version_converter

from conftest import emulate, run_cli


def opset6_mlp(path):
    rng = np.random.default_rng(3)  # initializers are graph inputs too, as IR version 3 requires
    w1, b1 = rng.normal(size=(8, 6)).astype(np.float32), rng.normal(size=(6,)).astype(np.float32)
    w2, b2 = rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=(3,)).astype(np.float32)
    init = [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))]
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", broadcast=1),
         helper.make_node("Relu", ["h"], ["hr"], name="relu1"),
         helper.make_node("Gemm", ["hr", "w2", "b2"], ["y"], name="fc2", broadcast=1)],
        "mlp6", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])]
        + [helper.make_tensor_value_info(t.name, TensorProto.FLOAT, list(t.dims)) for t in init],  # IR 3: listed
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], init)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 6)])
    m.ir_version = 3
    onnx.save(m, path)
    return m


def test_opset6_model_is_lifted_and_equals_its_conversion_and_onnxruntime(tmp_path):
    import onnxruntime as ort

    old = tmp_path / "mlp6.onnx"
    m = opset6_mlp(old)
    new = version_converter.convert_version(m, 13)
    new.ir_version = 8
    onnx.save(new, tmp_path / "mlp13.onnx")
    x = np.random.default_rng(0).uniform(-2, 2, size=(500, 8))
    a = emulate(old, x, tmp_path)
    b = emulate(tmp_path / "mlp13.onnx", x, tmp_path)
    assert np.array_equal(a, b)
    sess = ort.InferenceSession(str(tmp_path / "mlp13.onnx"))
    ref = np.concatenate([sess.run(None, {"x": r[None].astype(np.float32)})[0] for r in x])
    got = emulate(old, x, tmp_path, float_mode=True)
    assert np.max(np.abs(got - ref)) < 1e-4


def test_unconvertible_old_opset_is_one_clear_line(tmp_path):
    g = helper.make_graph([helper.make_node("Upsample", ["x"], ["y"], name="up", scales=[1.0, 2.0])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 1)])
    m.ir_version = 3
    onnx.save(m, tmp_path / "old.onnx")
    p = run_cli("inspect", tmp_path / "old.onnx", check=False)
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nanogate: error: {tmp_path / 'old.onnx'}:"), p.stderr
