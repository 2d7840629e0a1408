"""The Python API (pip install . → import nanogate): torch / Brevitas / ONNX
entry points, batched predict, config dicts, errors."""
import json

import numpy as np
import pytest

nanogate = pytest.importorskip("nanogate", reason="the Python package is installed by scripts/test.sh")

from conftest import MODELS, ROOT, corrupt_constant, emulate, run_cli  # noqa: E402

torch = pytest.importorskip("torch")


def brevitas_mlp(seed=0):
    """A Brevitas MLP with fixed-point (power-of-two) quantizers everywhere, so
    that its QONNX export is exact fixed point; random weights, no training."""
    from brevitas.nn import QuantIdentity, QuantLinear, QuantReLU
    from brevitas.quant import (Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint, Int16Bias,
                                Uint8ActPerTensorFixedPoint)

    class In(Int8ActPerTensorFixedPoint):
        bit_width = 6

    class W(Int8WeightPerTensorFixedPoint):
        bit_width = 4

    class Act(Uint8ActPerTensorFixedPoint):
        bit_width = 4

    class Out(Int8ActPerTensorFixedPoint):
        bit_width = 8

    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        QuantIdentity(act_quant=In, return_quant_tensor=True),
        QuantLinear(12, 20, bias=True, weight_quant=W, bias_quant=Int16Bias, return_quant_tensor=True),
        QuantReLU(act_quant=Act, return_quant_tensor=True),
        QuantLinear(20, 4, bias=True, weight_quant=W, bias_quant=Int16Bias, output_quant=Out,
                    return_quant_tensor=False),
    )
    model.eval()
    with torch.no_grad():  # calibrate the activation scales a little, deterministically
        model.train()
        for _ in range(5):
            model(torch.randn(256, 12) * 2)
        model.eval()
    return model


def test_brevitas_predict_equals_brevitas_forward_exactly():
    model = brevitas_mlp()
    fw = nanogate.convert(model, input_shape=(12,))
    rng = np.random.default_rng(0)
    x = (rng.normal(0, 2, (10_000, 12))).astype(np.float32)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy().astype(np.float64)
    got = fw.predict(x)
    assert got.shape == want.shape
    assert np.array_equal(got, want)
    assert len(np.unique(got)) > 20  # a real signal, not a constant


def test_torch_float_model_within_tolerance():
    """A plain PyTorch model (exported with torch.onnx): float mode to 1e-6; the
    default fixed<16,6> within 0.05 on inputs that keep it in range."""
    torch.manual_seed(1)
    m = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    fw = nanogate.convert(m, input_shape=(8,))
    x = np.random.default_rng(1).normal(0, 1, (2000, 8))
    x = np.round(x * 1024) / 1024
    with torch.no_grad():
        want = m(torch.from_numpy(x.astype(np.float32))).numpy()
    assert np.max(np.abs(fw.predict(x, float_mode=True) - want)) < 1e-6
    assert np.max(np.abs(fw.predict(x) - want)) < 0.05


def test_predict_equals_cli_emulate(tmp_path):
    model = MODELS / "jet" / "qkeras_jettagging.onnx"
    x = np.round(np.random.default_rng(2).normal(0, 1, (3000, 16)) * 1024) / 1024
    fw = nanogate.convert(str(model))
    assert np.array_equal(fw.predict(x), emulate(model, x, tmp_path))
    raw = fw.predict(x, raw=True)
    assert raw.dtype == np.int64
    # trace: the logits before Softmax, as the CLI's --tensor gives them
    tr = fw.trace(x, names=["Add_3_out0"])
    assert np.array_equal(tr["Add_3_out0"], emulate(model, x, tmp_path, tensors=["Add_3_out0"]))


def test_entry_points_agree():
    """A path, an onnx.ModelProto and bytes give the same firmware."""
    import onnx

    path = ROOT / "examples" / "default" / "digits_qmlp.onnx"
    x = np.load(ROOT / "examples" / "default" / "digits_test_inputs.npy")
    a = nanogate.convert(str(path)).predict(x)
    b = nanogate.convert(onnx.load(str(path))).predict(x)
    c = nanogate.convert(path.read_bytes()).predict(x)
    assert np.array_equal(a, b) and np.array_equal(a, c)


def test_config_round_trip(tmp_path):
    """config_from_model(granularity='name') describes exactly the types
    nanogate infers: converting with it changes nothing, through the API and
    through the CLI (the same dict written as the config file)."""
    model = MODELS / "jet" / "qkeras_jettagging.onnx"
    cfg = nanogate.config_from_model(str(model), granularity="name")
    assert set(cfg) == {"Model", "LayerName"}
    assert cfg["LayerName"]["MatMul_0"]["Precision"]["weight"] == "fixed<6,1,RND_CONV,SAT>"
    x = np.round(np.random.default_rng(3).normal(0, 1, (1000, 16)) * 1024) / 1024
    base = nanogate.convert(str(model)).predict(x)
    assert np.array_equal(nanogate.convert(str(model), config=cfg).predict(x), base)
    f = tmp_path / "cfg.json"
    f.write_text(json.dumps(cfg))
    assert np.array_equal(emulate(model, x, tmp_path, config=f), base)
    # and a change in the dict changes the result
    cfg["LayerName"]["MatMul_1"]["Precision"]["accum"] = "fixed<8,2>"
    assert not np.array_equal(nanogate.convert(str(model), config=cfg).predict(x), base)


def test_config_granularities():
    model = str(MODELS / "jet" / "three_layer_keras.onnx")
    assert nanogate.config_from_model(model) == {
        "Model": {"Precision": "fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"}}
    t = nanogate.config_from_model(model, granularity="type", default_precision="fixed<18,8>")
    assert set(t["LayerType"]) == {"Input", "Dense", "Relu", "Softmax"}
    with pytest.raises(ValueError):
        nanogate.config_from_model(model, granularity="layer")
    with pytest.raises(nanogate.FixedTypeError):
        nanogate.config_from_model(model, default_precision="fixed<0,3>")


def test_errors_carry_the_cpp_message(tmp_path):
    with pytest.raises(nanogate.NanogateError, match="not a valid ONNX model"):
        nanogate.convert(b"garbage bytes")
    model = str(MODELS / "jet" / "qkeras_jettagging.onnx")
    with pytest.raises(nanogate.NanogateError, match="no layer or input named 'fc9'"):
        nanogate.convert(model, config={"LayerName": {"fc9": {"Precision": "fixed<8,3>"}}})
    fw = nanogate.convert(model)
    with pytest.raises(ValueError, match="15 values"):
        fw.predict(np.zeros((2, 15)))
    with pytest.raises(nanogate.NanogateError, match="outside the input type"):
        fw.predict(np.full((1, 16), 1000.0))
    with pytest.raises(ValueError, match="backend"):
        nanogate.convert(model, backend="quartus")


def test_firmware_project_write_verify_synth(tmp_path):
    """The Verilog project from a Brevitas module: written, co-simulated with
    Verilator bit-exactly, synthesized with Yosys (counts land in report())."""
    fw = nanogate.convert(brevitas_mlp(), input_shape=(12,), output_dir=tmp_path / "rtl", clock_period=4.0)
    fw.write()
    assert (tmp_path / "rtl" / "report.json").exists()
    v = fw.verify(1000)
    assert v["bit_exact"] and v["vectors"] == v["exact"] >= 1000
    s = fw.synth("xc7", quiet=True)
    rep = fw.report()
    assert rep["latency"]["cycles"] >= 1 and rep["latency"]["ns"] == rep["latency"]["cycles"] * 4.0
    assert rep["synth"]["xc7"]["luts"] == s["luts"] > 0
    assert s["dsps"] == 0  # shift-and-add: no DSP


def test_register_ports_add_two_cycles_and_stay_bit_exact(tmp_path):
    """register_ports=True: the same model two cycles longer (an input and an
    output register), recorded in report.json, still bit-exact under Verilator."""
    bare = nanogate.convert(brevitas_mlp(), input_shape=(12,), output_dir=tmp_path / "bare", clock_period=4.0)
    bare.write()
    fw = nanogate.convert(brevitas_mlp(), input_shape=(12,), output_dir=tmp_path / "ports", clock_period=4.0,
                          register_ports=True)
    fw.write()
    rep, rep0 = fw.report(), bare.report()
    assert rep["options"]["register_ports"] is True and rep0["options"]["register_ports"] is False
    assert rep["latency"]["cycles"] == rep0["latency"]["cycles"] + 2
    v = fw.verify(1000)
    assert v["bit_exact"] and v["latency"] == rep["latency"]["cycles"]
    with pytest.raises(ValueError, match="register_ports"):
        nanogate.convert(brevitas_mlp(), input_shape=(12,), backend="vitis", register_ports=True)


def test_firmware_vhdl_project_write_verify(tmp_path):
    """backend='vhdl': the CLI's VHDL folder (same files, byte for byte), GHDL
    co-simulation bit-exact through the C++ verify path; a corrupted constant
    is reported; synth stays a Verilog step."""
    digits = ROOT / "examples" / "default" / "digits_qmlp.onnx"
    fw = nanogate.convert(str(digits), backend="vhdl", output_dir=tmp_path / "vhdl", clock_period=5.0)
    fw.write()
    # the model bytes as the API wrote them beside the folder: the same top name
    run_cli("convert", tmp_path / "vhdl.model.onnx", "-o", tmp_path / "cli", "--backend", "vhdl", "--clock-period", 5)
    rep = fw.report()
    top = rep["top"]
    assert rep["backend"] == "vhdl" and rep["vhdl"] == f"{top}.vhd" and rep["package"] == f"{top}_pkg.vhd"
    for f in (f"{top}.vhd", f"{top}_pkg.vhd", f"tb_{top}.vhd", "sim_ghdl.sh", f"tb/test_{top}.py",
              "tb/vectors_out.txt"):
        assert (tmp_path / "vhdl" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    v = fw.verify(300)
    assert v["bit_exact"] and v["vectors"] == v["exact"] == 300 and v["latency"] == rep["latency"]["cycles"]
    corrupt_constant(tmp_path / "vhdl" / f"{top}.vhd")
    bad = fw.verify(300)
    assert not bad["bit_exact"] and bad["exact"] < 300
    assert bad["first_mismatch"]["rtl"] != bad["first_mismatch"]["layer"] == bad["first_mismatch"]["netlist"]
    with pytest.raises(nanogate.NanogateError, match="backend='verilog'"):
        fw.synth("xc7", quiet=True)
    with pytest.raises(ValueError, match="'verilog', 'vhdl' or 'vitis'"):
        nanogate.convert(str(digits), backend="vhdl2008")


def test_firmware_integration_wrapper(tmp_path):
    """wrapper='packed': the CLI's wrapper file byte for byte, its layout in
    report(), the core still verifies bit-exactly; misuse is a ValueError."""
    digits = str(ROOT / "examples" / "default" / "digits_qmlp.onnx")
    fw = nanogate.convert(digits, output_dir=tmp_path / "w", wrapper="packed", field_bits=8)
    fw.write()
    run_cli("convert", tmp_path / "w.model.onnx", "-o", tmp_path / "cli", "--wrapper", "packed", "--field-bits", 8)
    w = fw.report()["wrapper"]
    assert (w["kind"], w["in_bits"], w["out_bits"]) == ("packed", 512, 80)
    assert (tmp_path / "w" / w["file"]).read_bytes() == (tmp_path / "cli" / w["file"]).read_bytes()
    assert fw.verify(200)["bit_exact"]
    with pytest.raises(ValueError, match="wrapper must be"):
        nanogate.convert(digits, wrapper="avalon")
    with pytest.raises(ValueError, match="RTL options"):
        nanogate.convert(digits, backend="vitis", wrapper="axis")


def test_firmware_hls_project_csim_and_build(tmp_path):
    fw = nanogate.convert(brevitas_mlp(), input_shape=(12,), backend="vitis", output_dir=tmp_path / "hls")
    fw.write()
    assert (tmp_path / "hls" / "build_prj.tcl").exists()
    r = fw.csim(500)
    assert r["bit_exact"] and r["exact"] == 500
    import shutil

    if shutil.which("vitis_hls") is None:
        with pytest.raises(nanogate.NanogateError, match="vitis_hls is not installed"):
            fw.build()
    with pytest.raises(nanogate.NanogateError, match="backend='verilog'"):
        fw.verify(10)
