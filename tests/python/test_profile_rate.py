"""`nanogate profile` and `nanogate rate` against independent numpy computations.

profile: on jet/three_layer_keras.onnx with the default fixed<16,6> and Gaussian
inputs, each Dense layer's overflow and rounding counts equal a numpy count on
the layer's traced input (`emulate --tensor`) with the fixed<16,6> weight codes;
the suggested configuration has no overflow and equals, bit for bit, the same
model with 30 integer bits everywhere (same LSBs); a QONNX model has no
overflow by construction. rate: on AXOL1TL v4 with the synthetic samples of
examples/axol1tl/make_samples.py, the threshold codes for 1 and 5 kHz, the
counts above them and the efficiency equal numpy on the emulated scores."""
import importlib.util
import json
import re

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from conftest import MODELS, ROOT, emulate, run_cli
from test_axol1tl import build as build_axol1tl
from test_cli_errors import assert_one_line_error

JET = MODELS / "jet" / "three_layer_keras.onnx"
QJET = MODELS / "jet" / "qkeras_jettagging.onnx"


def gaussian(events, sigma, seed=1):
    return np.random.default_rng(seed).normal(0.0, sigma, (events, 16))


def profile(tmp_path, model, x, *extra):
    """Runs `nanogate profile`; returns (the JSON, the suggested config's path)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    inp, out, sug = tmp_path / "x.npy", tmp_path / "p.json", tmp_path / "suggested.json"
    np.save(inp, x)
    run_cli("profile", model, "--input", inp, "-o", out, "--suggest", sug, "--force", *extra)
    return json.loads(out.read_text()), sug


def dense_layers(path):
    """(MatMul node name, input tensor, W, b) of each MatMul + Add in the ONNX file."""
    g = onnx.load(str(path)).graph
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    out = []
    for n in g.node:
        if n.op_type == "MatMul":
            add = next(a for a in g.node if a.op_type == "Add" and n.output[0] in a.input)
            bias = next(i for i in add.input if i in init)
            out.append((n.name, n.input[0], init[n.input[1]], init[bias]))
    return out


def codes16(v):
    """fixed<16,6> (TRN, WRAP) codes of float values."""
    c = np.floor(np.asarray(v) * 1024).astype(np.int64)
    return (c + 2**15) % 2**16 - 2**15


def test_profile_overflows_equal_numpy_and_suggestion_removes_them(tmp_path):
    x = gaussian(3000, 4.0)
    p, suggested = profile(tmp_path / "a", JET, x)
    rec = {r["node"]: r for r in p["tensors"]}
    overflowing = []
    for name, xin, w, b in dense_layers(JET):
        xv = emulate(JET, x, tmp_path, tensors=[xin])
        xc = np.round(xv * 1024).astype(np.int64)
        assert np.array_equal(xc / 1024, xv)  # the traced input is on the fixed<16,6> grid
        exact = xc @ codes16(w) + (codes16(b) << 10)  # exact sums at 2^-20
        r = exact >> 10  # TRN at the result's LSB
        over = int(((r < -(2**15)) | (r > 2**15 - 1)).sum())
        assert rec[name]["overflows"] == over, name
        assert rec[name]["rounded"] == int((exact % 1024 != 0).sum()), name
        if over:
            overflowing.append(name)
    assert len(overflowing) >= 2 and p["total_overflows"] > 0
    assert p["effect"]["overflows"] == 0
    # The suggested configuration, profiled again: no overflow; and bit-exact with
    # the same LSBs and 30 integer bits everywhere (nothing wraps in either).
    p2, _ = profile(tmp_path / "b", JET, x, "--config", suggested, "--no-luts")
    assert p2["total_overflows"] == 0
    wide = tmp_path / "wide.json"
    wide.write_text(json.dumps({"Model": {"Precision": "fixed<40,30>"}}))
    assert np.array_equal(emulate(JET, x, tmp_path, config=suggested), emulate(JET, x, tmp_path, config=wide))
    for name in overflowing:  # every overflowing layer got more integer bits
        assert json.loads(suggested.read_text())["LayerName"][name]["Precision"]["result"] != "fixed<16,6>"


def test_profile_trims_fractional_bits_no_value_uses(tmp_path):
    """A Dense layer whose weights and bias sit on a 2^-2 grid, fed integer
    inputs: its exact sums are multiples of 1/4, so fixed<16,6> rounds nothing
    and its 8 lowest fractional bits are never used. The suggestion keeps 2
    fractional bits (not 10), and the suggested model equals the wide one bit
    for bit on these events."""
    import onnx.helper as oh

    rng = np.random.default_rng(5)
    w = rng.integers(-8, 8, (4, 3)) / 4.0
    b = np.array([0.75, -0.5, 0.25])
    g = oh.make_graph(
        [oh.make_node("MatMul", ["x", "w"], ["mm"], name="fc"), oh.make_node("Add", ["mm", "b"], ["y"], name="fc_bias")],
        "g", [oh.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4])],
        [oh.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(w.astype(np.float32), "w"), numpy_helper.from_array(b.astype(np.float32), "b")])
    model = tmp_path / "grid.onnx"
    onnx.save(oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)], ir_version=8), str(model))
    x = rng.integers(-20, 21, (2000, 4)).astype(np.float64)
    p, suggested = profile(tmp_path / "a", model, x, "--no-luts")
    (fc,) = [r for r in p["tensors"] if r["node"] == "fc"]
    assert fc["rounded"] == 0 and fc["unused_frac_bits"] == 8, fc
    exact = x @ w + b  # |exact| <= 4 * 20 * 2 + 0.75 < 2^8
    span = int(np.ceil(np.log2(np.abs(exact).max() + 0.25))) + 1  # signed integer bits that hold every value
    t = fc["suggested"]
    assert re.fullmatch(r"fixed<(\d+),(\d+)>", t), t
    W, I = map(int, re.fullmatch(r"fixed<(\d+),(\d+)>", t).groups())
    assert W - I == 2 and I == span + 1, (t, span)  # 2 fractional bits; --margin 1
    wide = tmp_path / "wide.json"
    wide.write_text(json.dumps({"Model": {"Precision": "fixed<40,30>"}}))
    y = emulate(model, x, tmp_path, config=suggested)
    assert np.array_equal(y, exact) and np.array_equal(y, emulate(model, x, tmp_path, config=wide))


def test_profile_qonnx_has_no_overflow(tmp_path):
    p, _ = profile(tmp_path, QJET, gaussian(2000, 1.0), "--no-luts")
    assert p["total_overflows"] == 0
    casts = [r for r in p["tensors"] if r["op"] == "Cast"]
    assert casts and all(r["by_model"] and r["overflows"] == 0 for r in casts)
    x = emulate(QJET, gaussian(2000, 1.0), tmp_path, tensors=["Add_0_out0"])
    mag = np.abs(np.round(x * 2 ** 15).astype(np.int64))  # fixed<24,9>: 15 fractional bits
    rec = next(r for r in p["tensors"] if r["tensor"] == "Add_0_out0")
    assert rec["type"] == "fixed<24,9>"
    hist = np.bincount(np.frexp(mag.ravel().astype(np.float64))[1])  # the exponent is the bit length (0 for 0)
    assert rec["msb_histogram"] == hist.tolist() and sum(rec["msb_histogram"]) == rec["values"]
    assert p["effect"]["overflows"] == 0


def make_samples():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "examples" / "axol1tl" / "make_samples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.generate(200_000, 1), mod.generate(10_000, 2, signal=True)


@pytest.fixture(scope="module")
def axol1tl(models, tmp_path_factory):
    d = tmp_path_factory.mktemp("rate")
    model, config = build_axol1tl(models, 4, d / "v4")
    bg, sig = make_samples()
    np.save(d / "background.npy", bg)
    np.save(d / "signal.npy", sig)
    # the score (ufixed<18,14>: 4 fractional bits) as codes, from the emulator
    score_bg = np.round(emulate(model, bg, d, config=config, tensors=["score"])[:, 0] * 16).astype(np.int64)
    score_sig = np.round(emulate(model, sig, d, config=config, tensors=["score"])[:, 0] * 16).astype(np.int64)
    return d, model, config, score_bg, score_sig


def rate(d, model, config, *args):
    out = d / "r.json"
    run_cli("rate", model, "--config", config, "--background", d / "background.npy", "--signal", d / "signal.npy",
            "--score-output", "score", "-o", out, "--csv", d / "r.csv", "--force", *args)
    return json.loads(out.read_text())


@pytest.mark.parametrize("khz", [1, 5])
def test_rate_threshold_equals_numpy(axol1tl, khz):
    d, model, config, bg, sig = axol1tl
    j = rate(d, model, config, "--rate-khz", khz)
    t = j["threshold"]
    thr, n = t["threshold_code"], len(bg)
    allowed = int(np.floor(khz * n / 40_000))
    passing = int((bg > thr).sum())
    assert t["background_pass"] == passing <= allowed
    assert (bg > thr - 1).sum() > allowed  # the smallest code with rate <= target
    assert t["rate_khz"] == pytest.approx(40_000 * passing / n, rel=1e-12)
    p = passing / n
    assert t["rate_err_khz"] == pytest.approx(40_000 * np.sqrt(p * (1 - p) / n), rel=1e-12)
    s = t["signals"][0]
    assert s["pass"] == int((sig > thr).sum()) and s["efficiency"] == pytest.approx((sig > thr).mean(), rel=1e-12)
    assert t["threshold_value"] == thr / 16 and j["score"]["type"] == "ufixed<18,14>"
    curve = np.loadtxt(d / "r.csv", delimiter=",", skiprows=1)
    k = len(curve) // 2
    assert curve[k, 2] == pytest.approx(40_000 * (bg > curve[k, 0]).mean(), rel=1e-12)
    assert curve[k, 4] == pytest.approx((sig > curve[k, 0]).mean(), rel=1e-12)


def test_rate_fixed_threshold_in_score_units(axol1tl):
    d, model, config, bg, sig = axol1tl
    t = rate(d, model, config, "--threshold", 17.6)["threshold"]
    assert t["threshold_code"] == 281  # floor(17.6 * 16): score > 17.6 <=> code > 281
    assert t["background_pass"] == int((bg > 281).sum()) == int((bg / 16 > 17.6).sum())


def test_bad_inputs_are_one_line_errors(axol1tl, tmp_path):
    d, model, config, _, _ = axol1tl
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((5, 3)))
    assert_one_line_error(run_cli("profile", JET, "--input", bad, check=False), bad, "values per event")
    assert_one_line_error(run_cli("rate", model, "--config", config, "--background", bad, "--rate-khz", 1,
                                  "--score-output", "score", check=False), bad, "values per event")
    assert_one_line_error(run_cli("rate", model, "--config", config, "--background", d / "background.npy",
                                  "--rate-khz", 1, "--score-output", "nope", check=False), model, "nope", "graph outputs")
    assert_one_line_error(run_cli("rate", model, "--config", config, "--background", d / "background.npy",
                                  "--rate-khz", 1, check=False), model, "--score-output")
    assert_one_line_error(run_cli("rate", model, "--config", config, "--background", d / "background.npy",
                                  "--rate-khz", 1, "--threshold", 3, "--score-output", "score", check=False), "excludes")
    assert_one_line_error(run_cli("rate", model, "--config", config, "--background", d / "background.npy",
                                  "--rate-khz", -2, "--score-output", "score", check=False), model, "positive")
    empty = tmp_path / "empty.npy"
    np.save(empty, np.zeros((0, 57)))
    assert_one_line_error(run_cli("rate", model, "--config", config, "--background", empty, "--rate-khz", 1,
                                  "--score-output", "score", check=False), empty, "no events")
    x = tmp_path / "x.npy"
    np.save(x, gaussian(10, 1.0))
    assert_one_line_error(run_cli("profile", JET, "--input", x, "--margin", -1, check=False), JET, "margin")


def test_python_profile_equals_cli(tmp_path):
    nanogate = pytest.importorskip("nanogate")
    x = gaussian(500, 4.0, seed=3)
    d = nanogate.convert(str(JET)).profile(x, estimate_luts=False)
    p, _ = profile(tmp_path, JET, x, "--no-luts")
    assert [t["overflows"] for t in d["tensors"]] == [t["overflows"] for t in p["tensors"]]
    assert d["total_overflows"] > 0 and d["effect"]["overflows"] == 0
    again = nanogate.convert(str(JET), config=d["suggested_config"]).profile(x, suggest=False)
    assert again["total_overflows"] == 0
