"""Inputs that once crashed nanogate or ran away (issue 14's fuzzing findings): each is now
one line `nanogate: error: FILE: ...`, a non-zero exit, no crash, bounded time and memory."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import MODELS, ROOT, run_cli
from test_cli_errors import assert_one_line_error

JET = MODELS / "jet" / "qkeras_jettagging.onnx"


def save(path, nodes, inits=(), in_shape=(1, 4), out_shape=(1, 4), opset=13):
    """A one-input (x), one-output (y) float model; opset < 7 models get IR version 3."""
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out_shape))], list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8 if opset >= 7 else 3
    onnx.save(m, path)
    return path


@pytest.mark.parametrize("perm", [[0, 2, 1, 5], [0, 1, 1], [0, -3, 1]])
def test_transpose_with_a_bad_perm_on_an_activation(tmp_path, perm):
    path = save(tmp_path / "t.onnx", [helper.make_node("Reshape", ["x", "s"], ["r"], name="rs"),
                                      helper.make_node("Transpose", ["r"], ["y"], name="bad_perm", perm=perm)],
                [numpy_helper.from_array(np.array([1, 2, 2], np.int64), "s")], out_shape=(1, 2, 2))
    p = run_cli("inspect", path, check=False)
    assert_one_line_error(p, f"{path}: node 'bad_perm' (Transpose):", "perm")


def test_transpose_with_a_duplicate_perm_on_a_constant(tmp_path):
    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    path = save(tmp_path / "t.onnx", [helper.make_node("Transpose", ["w"], ["wt"], name="bad_perm", perm=[1, 1]),
                                      helper.make_node("MatMul", ["x", "wt"], ["y"], name="fc")], [w])
    assert_one_line_error(run_cli("inspect", path, check=False), "node 'bad_perm' (Transpose):", "not a permutation")


@pytest.mark.parametrize("shape,axis", [((), 1), ((2, 2), 5)])
def test_flatten_with_an_axis_beyond_the_rank_of_a_constant(tmp_path, shape, axis):
    c = numpy_helper.from_array(np.ones(shape, np.float32), "c")
    path = save(tmp_path / "f.onnx", [helper.make_node("Flatten", ["c"], ["cf"], name="bad_flatten", axis=axis),
                                      helper.make_node("Add", ["x", "cf"], ["y"], name="add")], [c])
    assert_one_line_error(run_cli("inspect", path, check=False), "node 'bad_flatten' (Flatten):", "outside the rank")


def test_initializer_whose_element_count_overflows(tmp_path):
    t = onnx.TensorProto()
    t.name, t.data_type = "huge", TensorProto.FLOAT
    t.dims.extend([2 ** 40, 2 ** 40])
    path = save(tmp_path / "h.onnx", [helper.make_node("Add", ["x", "huge"], ["y"], name="add")], [t])
    assert_one_line_error(run_cli("inspect", path, check=False), f"{path}: tensor 'huge'", "2^24")


def test_yaml_self_referential_alias_and_alias_bomb(tmp_path):
    selfref = tmp_path / "self.yaml"
    selfref.write_text("Model: &a\n  Precision: *a\n")
    assert_one_line_error(run_cli("inspect", JET, "-c", selfref, check=False), f"{selfref}:", "deeper than 64")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 12):
        bomb += f"b{i}: &b{i} [" + ", ".join([f"*{'a' if i == 1 else f'b{i - 1}'}"] * 10) + "]\n"
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb)
    assert_one_line_error(run_cli("inspect", JET, "-c", path, check=False), f"{path}:", "more than 100000 nodes")


@pytest.mark.parametrize("ty", ["fixed<64,2147483647>", "fixed<8,-2147483000>"])
def test_types_with_absurd_integer_bits(tmp_path, ty):
    cfg = tmp_path / "c.json"
    cfg.write_text('{"Model": {"Precision": "%s"}}' % ty)
    p = run_cli("inspect", MODELS / "jet" / "three_layer_keras.onnx", "-c", cfg, check=False)
    assert_one_line_error(p, "integer bits must be within -1100..1100")


def test_cli_usage_errors_are_one_line(tmp_path):
    assert_one_line_error(run_cli("convert", JET, check=False), "nanogate: error: --output is required")
    p = run_cli("convert", JET, "-o", tmp_path / "p", "--dc", 2147483647, check=False)
    assert_one_line_error(p, "--dc", "not in range -1 to 64")


def test_csv_with_a_nul_byte_is_not_read_as_a_header(tmp_path):
    inp = tmp_path / "x.csv"
    inp.write_bytes(b"\x00" + b",".join([b"1"] * 16) + b"\n" + b",".join([b"2"] * 16) + b"\n")
    p = run_cli("emulate", JET, "--input", inp, "--output", tmp_path / "y.npy", check=False)
    assert_one_line_error(p, f"{inp}:1: control character 0x00")


def test_part_cannot_inject_tcl(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text('{"Part": "xcvu9p\\"; exec rm -rf ~; \\""}')
    p = run_cli("convert", JET, "-o", tmp_path / "hls", "--backend", "vitis", "-c", cfg, check=False)
    assert_one_line_error(p, f"{cfg}: config Part: an FPGA part name has only letters")
    p = run_cli("convert", JET, "-o", tmp_path / "hls", "--backend", "vitis", "--part", "a[exec x]", check=False)
    assert_one_line_error(p, "FPGA part 'a[exec x]' has characters other than")
    assert not (tmp_path / "hls").exists()


def test_emulate_never_writes_over_its_own_input(tmp_path):
    inp = tmp_path / "x.npy"
    np.save(inp, np.zeros((2, 16)))
    before = inp.read_bytes()
    p = run_cli("emulate", JET, "--input", inp, "--output", inp, "--force", check=False)
    assert_one_line_error(p, f"{inp}: is also this command's input file")
    assert inp.read_bytes() == before


def test_verify_on_a_hand_edited_report_is_one_line(tmp_path):
    import json

    prj = tmp_path / "prj"
    run_cli("convert", ROOT / "examples" / "default" / "digits_qmlp.onnx", "-o", prj)
    rj = prj / "report.json"
    j = json.loads(rj.read_text())
    del j["options"]
    rj.write_text(json.dumps(j))
    p = run_cli("verify", prj, "--vectors", 10, check=False)
    assert_one_line_error(p, f"{rj}: a key is missing or mistyped:", "options")


W333 = np.zeros((4, 3, 3, 3), np.float32)
BAD_SPATIAL = [  # (name, node, x shape, initializers, text the one-line error must contain)
    ("group", helper.make_node("Conv", ["x", "w"], ["y"], name="n", group=2), (1, 3, 8, 8), {"w": W333}, "group 2"),
    ("kernel_larger", helper.make_node("Conv", ["x", "w"], ["y"], name="n"), (1, 3, 2, 2), {"w": W333}, "larger"),
    ("huge_pad", helper.make_node("Conv", ["x", "w"], ["y"], name="n", pads=[1 << 40, 0, 0, 0]), (1, 3, 8, 8),
     {"w": W333}, "out of range"),
    ("zero_stride", helper.make_node("Conv", ["x", "w"], ["y"], name="n", strides=[0, 1]), (1, 3, 8, 8), {"w": W333},
     "strides"),
    ("dilations_length", helper.make_node("Conv", ["x", "w"], ["y"], name="n", dilations=[1]), (1, 3, 8, 8),
     {"w": W333}, "dilations"),
    ("auto_pad", helper.make_node("Conv", ["x", "w"], ["y"], name="n", auto_pad="FOO"), (1, 3, 8, 8), {"w": W333},
     "auto_pad"),
    ("channels", helper.make_node("Conv", ["x", "w"], ["y"], name="n"), (1, 5, 8, 8), {"w": W333}, "channels"),
    ("weight_rank", helper.make_node("Conv", ["x", "w"], ["y"], name="n"), (1, 3, 8), {"w": W333}, "does not match"),
    ("activation_weight", helper.make_node("Conv", ["x", "x"], ["y"], name="n"), (1, 3, 8, 8), {}, "constant"),
    ("window_in_padding", helper.make_node("MaxPool", ["x"], ["y"], name="n", kernel_shape=[3, 3], pads=[5, 5, 5, 5]),
     (1, 2, 4, 4), {}, "padding"),
    ("no_kernel_shape", helper.make_node("MaxPool", ["x"], ["y"], name="n"), (1, 2, 4, 4), {}, "kernel_shape"),
    ("maxpool_indices", helper.make_node("MaxPool", ["x"], ["y", "i"], name="n", kernel_shape=[2, 2]), (1, 2, 4, 4),
     {}, "Indices"),
    ("reflect_too_wide", helper.make_node("Pad", ["x", "p"], ["y"], name="n", mode="reflect"), (1, 2, 4, 4),
     {"p": np.array([0, 0, 5, 0, 0, 0, 0, 0], np.int64)}, "reflect"),
    ("resize_linear", helper.make_node("Resize", ["x", "r", "s"], ["y"], name="n", mode="linear"), (1, 2, 4, 4),
     {"r": np.zeros(0, np.float32), "s": np.array([1, 1, 2, 2], np.float32)}, "nearest"),
    ("resize_huge", helper.make_node("Resize", ["x", "r", "s"], ["y"], name="n"), (1, 2, 4, 4),
     {"r": np.zeros(0, np.float32), "s": np.array([1, 1, 1e9, 2], np.float32)}, "out of range"),
]


@pytest.mark.parametrize("name,node,x_shape,inits,why", BAD_SPATIAL, ids=[c[0] for c in BAD_SPATIAL])
def test_bad_convolution_and_pooling_attributes(tmp_path, name, node, x_shape, inits, why):
    path = save(tmp_path / f"{name}.onnx", [node], [numpy_helper.from_array(v, k) for k, v in inits.items()],
                in_shape=x_shape, out_shape=())
    assert_one_line_error(run_cli("inspect", path, check=False), f"{path}: node 'n' ({node.op_type}):", why)


def test_an_attribute_of_the_wrong_kind_names_the_file(tmp_path):
    """Node::attr_int does not know its graph: the error used to name '<model>' (fuzz finding)."""
    node = helper.make_node("Flatten", ["x"], ["y"], name="flat")
    node.attribute.append(helper.make_attribute("axis", 1.5))
    path = save(tmp_path / "a.onnx", [node])
    assert_one_line_error(run_cli("inspect", path, check=False), f"{path}: node 'flat' (Flatten):", "axis")


def test_names_with_control_characters_stay_one_line(tmp_path):
    """A graph output named with a newline made a two-line error (fuzz finding): control characters are escaped."""
    path = save(tmp_path / "n.onnx", [helper.make_node("Relu", ["x"], ["a"], name="relu")])
    m = onnx.load(path)
    m.graph.output[0].name = "y\nnext line"
    onnx.save(m, path)
    assert_one_line_error(run_cli("inspect", path, check=False), f"{path}:", "y\\x0anext line")


def test_opset_6_model_with_an_undefined_input_is_refused_before_the_version_converter(tmp_path):
    """onnx's version converter dereferenced the undefined name (segfault in libonnx, fuzz finding)."""
    path = save(tmp_path / "old.onnx", [helper.make_node("Relu", ["nope"], ["y"], name="relu")], opset=6)
    assert_one_line_error(run_cli("inspect", path, check=False), f"{path}: node 'relu' (Relu):", "'nope' is not defined")


def test_non_finite_constants_before_a_float_scale_quantizer(tmp_path):
    """An infinite Mul constant between two float-scale Quants gave NaN thresholds (UB casting NaN, fuzz finding)."""
    q = lambda i, o, s, name: helper.make_node("Quant", [i, s, "z", "b"], [o], name=name, signed=1, narrow=0,
                                               rounding_mode="ROUND", domain="qonnx.custom_op.general")
    inits = [numpy_helper.from_array(np.array(v, np.float32), k)
             for k, v in {"s1": 0.3, "s2": 1.0, "z": 0.0, "b": 4.0, "c": np.inf}.items()]
    g = helper.make_graph([q("x", "xq", "s1", "q1"), helper.make_node("Mul", ["xq", "c"], ["m"], name="mul"),
                           q("m", "y", "s2", "q2")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("qonnx.custom_op.general", 1)])
    m.ir_version = 8
    path = tmp_path / "inf.onnx"
    onnx.save(m, path)
    assert_one_line_error(run_cli("inspect", path, check=False), f"{path}: node 'q2'", "non-finite")


def test_a_pad_of_millions_is_refused_not_computed(tmp_path):
    """pads [.., 3997697, ..] made a 48M-element tensor per event: minutes and ~1 GB (fuzz finding); limit 2^24."""
    node = helper.make_node("Pad", ["x", "p"], ["y"], name="pad", mode="constant")
    path = save(tmp_path / "p.onnx", [node], [numpy_helper.from_array(np.array([0, 0, 3997697, 1, 0, 0, 1, 1]), "p")],
                in_shape=(1, 2, 4, 4), out_shape=())
    assert_one_line_error(run_cli("inspect", path, check=False), f"{path}: node 'pad' (Pad):", "2^24")


def test_a_conv_on_a_2_to_the_minus_149_scale_emulates(tmp_path):
    """Quant scale 2^-149 (fixed<4,-145>) and no bias: the bias was shifted by 152 bits in the emulator and the
    lowering (UB, found by fuzz_onnx_structured; fails only under the sanitized CLI, scripts/sanitize.sh)."""
    q = lambda i, o, name: helper.make_node("Quant", [i, "s", "z", "b"], [o], name=name, signed=1, narrow=0,
                                            rounding_mode="ROUND", domain="qonnx.custom_op.general")
    inits = [numpy_helper.from_array(np.array(v, np.float32), k) for k, v in
             {"s": np.float32(2.0 ** -149), "z": 0.0, "b": 4.0, "w": np.full((2, 1, 2, 2), 0.5)}.items()]
    g = helper.make_graph([q("x", "xq", "qin"), helper.make_node("Conv", ["xq", "w"], ["c"], name="conv"),
                           q("c", "y", "qc")], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 3, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("qonnx.custom_op.general", 1)])
    m.ir_version = 8
    path = tmp_path / "tiny.onnx"
    onnx.save(m, path)
    inp, out = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(inp, np.zeros((2, 9)))
    run_cli("emulate", path, "--input", inp, "--output", out)
    assert np.load(out).shape == (2, 8)
    run_cli("convert", path, "-o", tmp_path / "prj")


def test_a_keras_tensor_without_keras_history_is_one_line(tmp_path):
    """A Keras 3 inbound node {"class_name": "__keras_tensor__"} whose config lacks keras_history raised
    nlohmann's out_of_range (an internal error; found by fuzz_keras once libhdf5 ran isolated)."""
    arch = tmp_path / "arch.json"
    arch.write_text('{"class_name": "Functional", "config": {"layers": [{"class_name": "Dense", "name": "d", '
                    '"config": {}, "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {}}]}]}], '
                    '"input_layers": [], "output_layers": []}}')
    assert_one_line_error(run_cli("inspect", arch, check=False), f"{arch}: malformed Keras model configuration",
                          "keras_history")


def test_a_tensor_computed_by_two_nodes_is_refused(tmp_path):
    """fuzz_onnx_structured (CI, 2026-12-03): two MaxPools writing one tensor name
    gave its readers two shapes, and the emulator read past a buffer (ASan)."""
    path = save(tmp_path / "ssa.onnx", [
        helper.make_node("Reshape", ["x", "s"], ["r"], name="rs"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool_a", kernel_shape=[2, 2]),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool_b", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["y"], name="flat", axis=1)],
        [numpy_helper.from_array(np.array([1, 1, 4, 4], np.int64), "s")], in_shape=(1, 16), out_shape=(1, 9))
    p = run_cli("inspect", path, check=False)
    assert_one_line_error(p, f"{path}: node 'pool_b' (MaxPool):", "output 'p' is computed by an earlier node too")
    path = save(tmp_path / "shadow.onnx", [helper.make_node("Relu", ["x"], ["x"], name="relu_x"),
                                           helper.make_node("Relu", ["x"], ["y"], name="relu_y")])
    assert_one_line_error(run_cli("inspect", path, check=False), "node 'relu_x' (Relu):", "also a graph input")


def test_opset_5_initializer_with_too_much_raw_data_is_refused_before_shape_inference(tmp_path):
    """One INT64 element with 12 bytes of raw_data: onnx's shape inference (run for the version
    converter) copied all 12 into an 8-byte buffer (heap overflow in libonnx, structured-fuzz
    finding; the sanitized CLI of CI's robustness stage reports it)."""
    shape = TensorProto(name="shape", data_type=TensorProto.INT64, raw_data=b"\x01" * 12)  # dims []: one element
    path = save(tmp_path / "old.onnx", [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")], [shape],
                opset=5)
    assert_one_line_error(run_cli("inspect", path, check=False), f"{path}:", "initializer 'shape': raw_data size 12")


def test_a_node_with_more_inputs_than_its_op_takes_is_refused(tmp_path):
    """A LeakyRelu with a second tensor (structured-fuzz input) ran as LeakyRelu(alpha=0.01),
    the extra input ignored; the frontend now checks every node against onnx's schema."""
    w = numpy_helper.from_array(np.full((1, 4), 0.25, np.float32), "w")
    path = save(tmp_path / "m.onnx", [helper.make_node("LeakyRelu", ["x", "w"], ["y"])], [w])
    assert_one_line_error(run_cli("inspect", path, check=False), f"{path}: node 'LeakyRelu_0' (LeakyRelu):",
                          "has 2 inputs; LeakyRelu (opset 13) takes 1")
