"""Bad input gets a clear one-line error naming the file, the node and the reason,
with a non-zero exit status; never a crash, a hang or a silently wrong result."""
import json

import numpy as np
import pytest
import onnx
from onnx import TensorProto, helper

from conftest import MODELS, run_cli

JET = MODELS / "jet" / "qkeras_jettagging.onnx"


def assert_one_line_error(p, *fragments):
    assert p.returncode != 0
    lines = [l for l in p.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1, p.stderr
    for f in fragments:
        assert str(f) in lines[0], f"{f!r} not in {lines[0]!r}"
    assert "internal error" not in lines[0]


def test_empty_file(tmp_path):
    f = tmp_path / "empty.onnx"
    f.write_bytes(b"")
    assert_one_line_error(run_cli("inspect", f, check=False), f, "empty")


def test_truncated_onnx(tmp_path):
    f = tmp_path / "trunc.onnx"
    f.write_bytes(JET.read_bytes()[:1000])
    assert_one_line_error(run_cli("inspect", f, check=False), f, "not a valid ONNX model")


def test_text_file(tmp_path):
    f = tmp_path / "notes.onnx"
    f.write_text("this is a text file, not a model\n" * 20)
    assert_one_line_error(run_cli("inspect", f, check=False), f, "ONNX")


def test_missing_file(tmp_path):
    assert_one_line_error(run_cli("inspect", tmp_path / "nope.onnx", check=False), "nope.onnx", "cannot open")


def test_unsupported_op(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    g = helper.make_graph([helper.make_node("Erf", ["x"], ["y"], name="my_erf")], "g", [x], [y])
    f = tmp_path / "erf.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f)
    assert_one_line_error(run_cli("inspect", f, check=False), f, "my_erf", "Erf", "unsupported op")


def test_quant_with_non_constant_scale(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    s = helper.make_tensor_value_info("s", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    inits = [helper.make_tensor("z", TensorProto.FLOAT, [], [0.0]), helper.make_tensor("b", TensorProto.FLOAT, [], [4.0])]
    q = helper.make_node("Quant", ["x", "s", "z", "b"], ["y"], name="q_dyn", domain="qonnx.custom_op.general",
                         signed=1, narrow=0, rounding_mode="ROUND")
    g = helper.make_graph([q], "g", [x, s], [y], initializer=inits)
    f = tmp_path / "dynquant.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                                  helper.make_opsetid("qonnx.custom_op.general", 1)]), f)
    assert_one_line_error(run_cli("inspect", f, check=False), f, "q_dyn", "Quant", "non-constant scale")


def test_config_missing_layer(tmp_path):
    c = tmp_path / "cfg.json"
    c.write_text(json.dumps({"LayerName": {"no_such_layer": {"Precision": "fixed<8,3>"}}}))
    assert_one_line_error(run_cli("inspect", JET, "--config", c, check=False), c, "no_such_layer", "no layer")


def test_config_unparsable_type(tmp_path):
    c = tmp_path / "cfg.json"
    c.write_text(json.dumps({"LayerName": {"MatMul_0": {"Precision": {"accum": "fixed<8"}}}}))
    assert_one_line_error(run_cli("inspect", JET, "--config", c, check=False), c, "LayerName.MatMul_0.Precision.accum",
                          "fixed<8")


def test_config_unknown_key(tmp_path):
    c = tmp_path / "cfg.yaml"
    c.write_text("Model:\n  Precision: fixed<16,6>\n  ReuseFactr: 2\n")
    assert_one_line_error(run_cli("inspect", JET, "--config", c, check=False), c, "ReuseFactr", "unknown key")


def test_input_out_of_range_is_an_error(tmp_path):
    x = np.zeros((3, 16))
    x[2, 5] = 1000.0  # beyond fixed<16,6> (max ~32)
    inp = tmp_path / "x.npy"
    np.save(inp, x)
    p = run_cli("emulate", JET, "--input", inp, "--output", tmp_path / "y.npy", check=False)
    assert_one_line_error(p, "input 'global_in'", "event 2", "value 5", "fixed<16,6>",
                          "LayerName.global_in.Precision.result")


def test_wrong_input_width(tmp_path):
    inp = tmp_path / "x.csv"
    inp.write_text("1,2,3\n4,5,6\n")
    p = run_cli("emulate", JET, "--input", inp, "--output", tmp_path / "y.csv", check=False)
    assert_one_line_error(p, inp, "3 values per event", "16")


def test_output_not_overwritten_without_force(tmp_path):
    inp = tmp_path / "x.npy"
    np.save(inp, np.zeros((2, 16)))
    out = tmp_path / "y.npy"
    out.write_bytes(b"precious")
    p = run_cli("emulate", JET, "--input", inp, "--output", out, check=False)
    assert_one_line_error(p, out, "--force")
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize("scale,bits,why", [(0.5, 0.0, "bit width 0.000000 is not an integer in 1..64"),
                                            (0.5, 100.0, "bit width 100.000000 is not an integer in 1..64"),
                                            (float("nan"), 4.0, "scale nan is not positive and finite"),
                                            (-1.0, 4.0, "scale -1.000000 is not positive and finite")])
def test_quant_on_weights_with_invalid_parameters_is_refused(tmp_path, scale, bits, why):
    """Once accepted silently (every weight became 0)."""
    from onnx import numpy_helper

    one = lambda n, v: numpy_helper.from_array(np.array(v, dtype=np.float32), n)
    g = helper.make_graph(
        [helper.make_node("Quant", ["w", "s", "z", "b"], ["wq"], domain="qonnx.custom_op.general", name="wquant"),
         helper.make_node("MatMul", ["x", "wq"], ["y"], name="fc")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        [numpy_helper.from_array(np.ones((2, 2), np.float32), "w"), one("s", scale), one("z", 0.0), one("b", bits)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                            helper.make_opsetid("qonnx.custom_op.general", 1)])
    m.ir_version = 8
    path = tmp_path / "bad_quant.onnx"
    onnx.save(m, path)
    p = run_cli("inspect", path, check=False)
    assert_one_line_error(p, f"{path}: node 'wquant' (Quant): Quant {why}")
