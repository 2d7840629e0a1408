"""`nanogate inspect`: one row per layer with shapes, types, parameter counts and
the fraction of zero weights, checked against values computed here from the ONNX
file with numpy."""
import numpy as np
import onnx
from onnx import numpy_helper

from conftest import MODELS, run_cli

JET = MODELS / "jet" / "qkeras_jettagging.onnx"


def rows(text):
    lines = text.strip().splitlines()
    header = lines[1].split()
    return {l.split()[0]: dict(zip(header, l.split())) for l in lines[2:-1]}


def test_inspect_qkeras_rows():
    out = run_cli("inspect", JET).stdout
    table = rows(out)
    m = onnx.load(str(JET))
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    # MatMul_0 multiplies by Quant_6 (scale 2^-5, 6 bits, ROUND = half to even)
    w = inits["Quant_6_param0"]
    q = np.clip(np.round(w / 2**-5), -32, 31)
    zeros = 100.0 * np.mean(q == 0)
    r = table["MatMul_0"]
    assert r["op"] == "Dense"
    assert r["input"] == "[16]" and r["output"] == "[64]"
    assert r["weight"] == "fixed<6,1,RND_CONV,SAT>"
    assert r["params"] == str(16 * 64 + 64)
    assert r["zeros"] == f"{zeros:.1f}%"
    assert table["Quant_8"]["result"] == "ufixed<6,0,RND_CONV,SAT>"
    assert table["global_in"]["result"] == "fixed<16,6>"  # hls4ml's default input precision
    lines = out.strip().splitlines()
    assert "total parameters: 4389" in lines
    assert table["Softmax_0"]["exact"] == "table" and table["MatMul_0"]["exact"] == "exact"
    assert lines[-1] == "table: Softmax_0: a float function, evaluated per input code and rounded to fixed<16,6>"


def test_inspect_with_config_shows_configured_types(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("LayerName:\n  MatMul_1:\n    Precision:\n      accum: fixed<14,4,TRN,SAT>\n      result: fixed<10,4>\n")
    table = rows(run_cli("inspect", JET, "--config", cfg).stdout)
    assert table["MatMul_1"]["accum"] == "fixed<14,4,TRN,SAT>"
    assert table["MatMul_1"]["result"] == "fixed<10,4>"
