"""Time-multiplexed (folded) convolutions in Verilog: `convert --reuse-factor R` (R > 1) builds each
convolution's adder graph once and feeds it one output position per cycle from a shifting frame
(nanogate/netlist/fold.hpp). `verify` compares the Verilator simulation with the folded design's own
emulation and with the layer emulator, bit for bit; here also with the fully parallel design."""
import json

import numpy as np
import pytest
from onnx import helper

from conftest import MODELS, run_cli
from test_conv_ops import qcnn, save


def verify(tmp_path, path, name, *args, vectors=300):
    out = tmp_path / name
    run_cli("convert", path, "-o", out, "--clock-period", 5, *args)
    p = run_cli("verify", out, "--vectors", vectors)
    assert f"{vectors}/{vectors} bit-exact" in p.stdout, p.stdout
    return json.loads((out / "report.json").read_text())


# Chains of convolutions covering every ungrouped geometry of test_conv_ops' CONV_CASES:
# (x shape, [(weight shape, attrs, bias)]).
CHAINS = {
    "2d": ((2, 14, 14), [((3, 2, 3, 3), {"dilations": [2, 1], "pads": [2, 1, 2, 1]}, True),
                         ((3, 3, 4, 3), {"auto_pad": "SAME_LOWER", "strides": [2, 1]}, False),
                         ((3, 3, 3, 2), {"pads": [1, 0, 2, 1], "strides": [2, 3]}, True),
                         ((2, 3, 3, 3), {"pads": [1, 1, 1, 1]}, False),
                         ((2, 2, 4, 3), {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, True),
                         ((2, 2, 2, 2), {"auto_pad": "VALID"}, True),
                         ((3, 2, 1, 1), {}, True)]),
    "1d": ((3, 12), [((4, 3, 3), {"pads": [2, 1], "strides": [2]}, True),
                     ((2, 4, 3), {"dilations": [3]}, False)]),
    "3d": ((2, 4, 5, 4), [((2, 2, 2, 3, 2), {"pads": [1, 0, 1, 0, 1, 1]}, True)]),
}


@pytest.mark.parametrize("name", CHAINS)
def test_every_conv_geometry_folds_bit_exact(tmp_path, name):
    """Padding (explicit, asymmetric, SAME_UPPER/LOWER, VALID), strides, dilations, pointwise,
    1-D/2-D/3-D, with and without bias, at the default fixed<16,6>: every conv of the chain is folded
    and the RTL equals both emulators on every vector."""
    r = np.random.default_rng(5)
    x_shape, convs = CHAINS[name]
    nodes, inits, x = [], {}, "x"
    for k, (w_shape, attrs, bias) in enumerate(convs):
        inits[f"w{k}"] = r.normal(size=w_shape) / np.sqrt(np.prod(w_shape[1:]))
        ins = [x, f"w{k}"]
        if bias:
            inits[f"b{k}"] = r.normal(size=(w_shape[0],))
            ins.append(f"b{k}")
        nodes.append(helper.make_node("Conv", ins, [f"c{k}"], name=f"conv{k}", **attrs))
        x = f"c{k}"
    path = save(tmp_path / "m.onnx", nodes, x_shape, x, inits)
    rep = verify(tmp_path, path, "fold", "--reuse-factor", 2, vectors=200)
    assert rep["options"]["folded_layers"] == [f"conv{k}" for k in range(len(convs))]
    assert rep["latency"]["initiation_interval"] == max(f["cycles"] for f in rep["folds"])
    assert all(f["cycles"] >= f["positions"] for f in rep["folds"])


def test_quantized_cnn_folded_against_parallel(tmp_path):
    """A QONNX CNN (Quant 8b input, 5b per-channel weights, ReLU, MaxPool, Dense): folded (F = 1 and
    F = 3) it verifies against the layer emulator (as the fully parallel CNNs do in test_conv_ops),
    with a single adder graph for the conv (under 1/10 of the parallel adders) and
    II = the frame's cycles, a third of them with three kernel instances."""
    path = qcnn(tmp_path / "q.onnx", x_shape=(2, 6, 5), per_channel=True)
    run_cli("convert", path, "-o", tmp_path / "par", "--clock-period", 5)
    par = json.loads((tmp_path / "par" / "report.json").read_text())
    fol = verify(tmp_path, path, "fold", "--reuse-factor", 4, vectors=500)
    pf3 = verify(tmp_path, path, "pf3", "--reuse-factor", 4, "--parallelization-factor", 3, vectors=500)
    assert par["latency"]["initiation_interval"] == 1
    # padded 8x7 frame, last position at slot 5*7 + 4
    assert fol["latency"]["initiation_interval"] == fol["folds"][0]["cycles"] == 5 * 7 + 4 + 1
    assert pf3["folds"][0]["parallel"] == 3 and pf3["latency"]["initiation_interval"] == 14
    conv = lambda rep: sum(l["adders"] for l in rep["layers"] if l["name"] == "conv")
    assert 0 < conv(fol) * 10 < conv(par), (conv(fol), conv(par))


def test_two_chained_convs_fold_and_the_config_reuse_factor_selects_them(tmp_path):
    """Conv → Relu → Conv → Relu → Dense: both convs folded (one fold per conv; II = the larger
    frame's cycles), also with a ParallelizationFactor of 2, or only the second by the
    configuration's per-layer ReuseFactor."""
    r = np.random.default_rng(2)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], name="c1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="r1"),
             helper.make_node("Conv", ["r1", "w2"], ["c2"], name="c2", strides=[2, 2]),
             helper.make_node("Relu", ["c2"], ["r2"], name="r2"),
             helper.make_node("Flatten", ["r2"], ["f"], name="flat"),
             helper.make_node("MatMul", ["f", "wd"], ["y"], name="dense")]
    inits = {"w1": r.normal(size=(3, 2, 3, 3)) / 3, "w2": r.normal(size=(4, 3, 2, 2)) / 2,
             "wd": r.normal(size=(4 * 3 * 3, 2)) / 4}
    path = save(tmp_path / "m.onnx", nodes, (2, 6, 6), "y", inits)
    both = verify(tmp_path, path, "both", "--reuse-factor", 9)
    assert [f["layer"] for f in both["folds"]] == ["c1", "c2"]
    assert both["latency"]["initiation_interval"] == max(f["cycles"] for f in both["folds"]) == 46
    # F = 2: the frames shift two slots per cycle; c2's stride-2 positions all sit on even slots,
    # so its second instance is not built
    pf2 = verify(tmp_path, path, "pf2", "--reuse-factor", 9, "--parallelization-factor", 2)
    assert [f["cycles"] for f in pf2["folds"]] == [23, 15] and pf2["latency"]["initiation_interval"] == 23
    v = (tmp_path / "pf2" / "ng_m.v").read_text()
    assert "u_ng_m_k0_0 " in v and "u_ng_m_k0_1 " in v and "u_ng_m_k1_0 " in v and "u_ng_m_k1_1 " not in v
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"LayerName": {"c2": {"ReuseFactor": 9}}}))
    one = verify(tmp_path, path, "one", "--config", cfg)
    assert [f["layer"] for f in one["folds"]] == ["c2"]


def test_what_cannot_fold_is_refused_in_one_line(tmp_path):
    """Grouped convolutions (each group reads the input across the previous group's fold) and the
    VHDL backend are refused with one line naming the reason."""
    r = np.random.default_rng(1)
    path = save(tmp_path / "g.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", group=2)], (4, 5, 5), "y",
                {"w": r.normal(size=(4, 2, 3, 3))})
    p = run_cli("convert", path, "-o", tmp_path / "g", "--reuse-factor", 2, check=False)
    assert p.returncode == 1 and p.stderr.count("\n") == 1, p.stderr
    assert "across a time-multiplexed convolution" in p.stderr, p.stderr
    path = qcnn(tmp_path / "q.onnx")
    p = run_cli("convert", path, "-o", tmp_path / "v", "--backend", "vhdl", "--reuse-factor", 2, check=False)
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "Verilog" in p.stderr, p.stderr


def test_mnist_conv_converts_to_folded_verilog_and_verifies(tmp_path):
    """mnist_conv.onnx (Conv 8x5x5 same → ReLU → MaxPool → Conv 16x5x5 same → ReLU → MaxPool →
    Dense 256x10) at the default fixed<16,6>: too large fully parallel (784 + 196 positions of 16-bit
    products), folded it is one adder graph per conv. The Verilator simulation equals the folded
    emulation and the layer emulator."""
    rep = verify(tmp_path, MODELS / "mnist" / "mnist_conv.onnx", "mnist", "--reuse-factor", 2, vectors=8)
    assert [f["positions"] for f in rep["folds"]] == [784, 196]
    assert rep["latency"]["initiation_interval"] == max(f["cycles"] for f in rep["folds"])
