"""Cross-check of nanogate's fixed-point semantics against hls4ml 1.3.0.

hls4ml converts the QONNX model (qonnx cleanup + channels-last + GemmToMatMul,
then convert_from_onnx_model, Vitis backend, io_parallel); every Dense layer
is given nanogate's accumulator and result types (hls4ml infers wider ones),
the other types already agree and are asserted. hls4ml's compile()/predict()
(its own C++ built with g++ against the same ap_types) and nanogate's emulator
then see the same 10,000 inputs (random raw codes of the input type, every
value exact in float32).

Differences found (each pinned by a test below):
1. Softmax: hls4ml evaluates exp and 1/sum with lookup tables (exp_table_t,
   inv_table_t = fixed<18,8,RND,SAT>, 1024 entries); nanogate's Softmax is the
   exact function of the input computed in double, then cast (emulator.hpp).
   The logits (the Softmax input) are bit-exact; the probabilities differ.
   -> test_qkeras_jettagging_logits_bit_exact, test_qkeras_jettagging_softmax_differs
2. AXOL1TL v1 cannot be converted by hls4ml 1.3.0's ONNX frontend: ReduceSum
   and Identity have no ONNX handler (get_supported_onnx_layers()), so the
   parser fails on the tensor after Identity ("Could not find the shape for
   input ..."). -> test_axol1tl_not_convertible_by_hls4ml
3. The CICADA-class quantized Conv2D model (examples/cicada) converts through
   hls4ml's ONNX frontend (qonnx channels-last, Conv2D io_parallel) with
   nanogate's Conv/Dense accumulator and result types (hls4ml's are wider; both
   exact) and an input type that holds the 10-bit energies: identical outputs
   on 10,000 calorimeter-like events. -> test_cicada_conv2d_bit_exact
"""
import subprocess

import numpy as np
import pytest

from conftest import MODELS, ROOT, emulate

hls4ml = pytest.importorskip("hls4ml")

N_EVENTS = 10_000
JET = MODELS / "jet" / "qkeras_jettagging.onnx"


def qonnx_clean(path):
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.util.cleanup import cleanup_model

    m = cleanup_model(ModelWrapper(str(path)))
    m = m.transform(InferShapes())
    try:
        m = m.transform(ConvertToChannelsLastAndClean())
    except AssertionError:  # AXOL1TL: qonnx cannot infer every shape (ReduceSum); 1-D model, nothing to convert
        pass
    m = m.transform(GemmToMatMul())
    return cleanup_model(m)


def nanogate_types(model):
    """{layer: inspect row (op, weight, bias, accum, result, ...)} from the Python API."""
    import nanogate

    return {l["name"]: l for l in nanogate.convert(str(model)).report()["layers"]}


def hls4ml_model(model_path, out_dir, ng):
    """hls4ml model of model_path with nanogate's Dense accum/result types; compiled."""
    from hls4ml.backends.fpga.fpga_backend import FPGABackend
    from hls4ml.backends.fpga.fpga_types import APTypeConverter

    m = qonnx_clean(model_path)
    cfg = hls4ml.utils.config.config_from_onnx_model(m, granularity="name", backend="Vitis",
                                                     default_precision="fixed<16,6>")
    hm = hls4ml.converters.convert_from_onnx_model(m, output_dir=str(out_dir), io_type="io_parallel",
                                                   backend="Vitis", hls_config=cfg)
    def conv(text):  # nanogate type -> hls4ml's ap_fixed precision object
        return APTypeConverter().convert(FPGABackend.convert_precision_string(text))

    for layer in hm.get_layers():
        if layer.class_name == "Dense":
            src = layer.name.removeprefix("Dense_")  # hls4ml's merged MatMul+Add keeps the MatMul's name
            acc = conv(ng[src]["accum"])
            res = conv(ng[src]["result"])
            layer.get_attr("accum_t").precision = acc
            layer.get_output_variable().type.precision = res
            assert str(layer.get_attr("weight_t").precision).startswith(ng[src]["weight"].rstrip(">"))
    hm.compile()
    return hm


def input_codes(n, seed=0):
    """n events of 16 raw fixed<16,6> codes over the full range, as exact floats."""
    raw = np.random.default_rng(seed).integers(-(1 << 15), 1 << 15, size=(n, 16))
    return raw / 1024.0


def without_softmax(src, dst):
    import onnx

    m = onnx.load(str(src))
    sm = [n for n in m.graph.node if n.op_type == "Softmax"][0]
    m.graph.node.remove(sm)
    out = m.graph.output[0]
    out.name = sm.input[0]
    for vi in [v for v in m.graph.value_info if v.name == sm.input[0]]:
        m.graph.value_info.remove(vi)
    onnx.save(m, str(dst))
    return dst


@pytest.fixture(scope="module")
def jet_logits(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hls4ml_jet_logits")
    model = without_softmax(JET, tmp / "jet_logits.onnx")
    ng = nanogate_types(model)
    hm = hls4ml_model(model, tmp / "hls4ml", ng)
    return model, hm, tmp


def test_qkeras_jettagging_logits_bit_exact(jet_logits):
    model, hm, tmp = jet_logits
    x = input_codes(N_EVENTS)
    y_h = np.asarray(hm.predict(x.astype(np.float32)), dtype=np.float64).reshape(N_EVENTS, -1)
    y_n = emulate(model, x, tmp)
    assert y_n.shape == y_h.shape == (N_EVENTS, 5)
    diff = np.flatnonzero((y_n != y_h).any(axis=1))
    assert diff.size == 0, f"{diff.size} of {N_EVENTS} events differ, first {diff[:5]}: {y_n[diff[:1]]} vs {y_h[diff[:1]]}"
    assert np.unique(y_n).size > 100  # a real comparison, not constant outputs


def test_qkeras_jettagging_softmax_differs(tmp_path):
    """Pins difference 1: same logits, but hls4ml's table Softmax != the exact Softmax."""
    ng = nanogate_types(JET)
    hm = hls4ml_model(JET, tmp_path / "hls4ml", ng)
    x = input_codes(2000, seed=1)
    y_h = np.asarray(hm.predict(x.astype(np.float32)), dtype=np.float64).reshape(len(x), -1)
    y_n = emulate(JET, x, tmp_path)
    logits = emulate(without_softmax(JET, tmp_path / "l.onnx"), x, tmp_path)
    # nanogate: the exact softmax of the logits in double, cast to fixed<16,6> (TRN: floor at 2^-10)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    exact = np.floor(e / e.sum(axis=1, keepdims=True) * 1024) / 1024
    assert np.array_equal(y_n, exact)
    frac = (y_h != y_n).any(axis=1).mean()
    assert frac > 0.05, "hls4ml's table softmax was expected to differ from the exact one"
    assert np.abs(y_h - y_n).max() < 0.25  # a table approximation (observed max 0.196 on these inputs)


def test_axol1tl_not_convertible_by_hls4ml(tmp_path):
    """Pins difference 2: hls4ml 1.3.0 has no ONNX handler for ReduceSum/Identity."""
    import hls4ml.converters as C

    out = tmp_path / "axol1tl_v1"
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "examples/axol1tl/build_model.py"),
                    str(MODELS / "axol1tl" / "axol1tl_v1.json"), str(out)], check=True, capture_output=True)
    supported = set(C.get_supported_onnx_layers())
    assert "ReduceSum" not in supported and "Identity" not in supported
    m = qonnx_clean(out / "model.onnx")
    assert {"ReduceSum", "Identity"} <= {n.op_type for n in m.graph.node}
    with pytest.raises(RuntimeError, match="Could not find the shape for input"):
        hls4ml.converters.convert_from_onnx_model(m, output_dir=str(tmp_path / "h"), io_type="io_parallel",
                                                  backend="Vitis")


def test_cicada_conv2d_bit_exact(tmp_path):
    """hls4ml 1.3.0's Conv2D (io_parallel) and Dense on the CICADA-class model == nanogate's emulator."""
    import sys

    from hls4ml.backends.fpga.fpga_backend import FPGABackend
    from hls4ml.backends.fpga.fpga_types import APTypeConverter

    sys.path.insert(0, str(ROOT / "examples" / "cicada"))
    sys.dont_write_bytecode = True
    from train import events

    model = ROOT / "examples" / "cicada" / "cicada_v2_student.onnx"
    m = qonnx_clean(model)
    cfg = hls4ml.utils.config.config_from_onnx_model(m, granularity="name", backend="Vitis",
                                                     default_precision="fixed<16,6>")
    cfg["LayerName"]["global_in"]["Precision"]["result"] = "ufixed<16,16>"  # holds the 0..1023 energies
    hm = hls4ml.converters.convert_from_onnx_model(m, output_dir=str(tmp_path / "hls4ml"), io_type="io_parallel",
                                                   backend="Vitis", hls_config=cfg)
    ng = [l for l in nanogate_types(model).values() if l["op"] == "Dense"]  # Conv_0, Gemm_0, Gemm_1 in order
    mine = [l for l in hm.get_layers() if l.class_name in ("Conv2D", "Dense")]
    assert [l.class_name for l in mine] == ["Conv2D", "Dense", "Dense"] and len(ng) == 3
    conv = lambda t: APTypeConverter().convert(FPGABackend.convert_precision_string(t))
    for layer, n in zip(mine, ng):
        assert str(layer.get_attr("weight_t").precision).startswith(n["weight"].rstrip(">"))
        layer.get_attr("accum_t").precision = conv(n["accum"])
        layer.get_output_variable().type.precision = conv(n["result"])
    hm.compile()
    x, _ = events(N_EVENTS, 0.3, 5)
    y_h = np.asarray(hm.predict(x.reshape(N_EVENTS, 18, 14, 1)), dtype=np.float64).reshape(N_EVENTS, -1)
    y_n = emulate(model, x.reshape(N_EVENTS, -1), tmp_path)  # one channel: NHWC and NCHW orders coincide
    assert np.array_equal(y_n, y_h)
    assert np.unique(y_n).size > 100
