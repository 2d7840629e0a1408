"""The Brevitas MLP zoo (examples/brevitas_mlps/: binary, 2-, 3-, 4-, 8-bit weights and
activations, float per-tensor and per-channel scales, a zero point, BatchNorm between
layers) against qonnx's execute_onnx, an independent float64 evaluation of the same
quantized graph, and Brevitas' own forward.

Why not always qonnx bit for bit: qonnx (like Brevitas) computes in float32, so a value
whose exact real-arithmetic result lies within float32 rounding of a quantizer's rounding
boundary may round either way there. nanogate computes the exact integer form (thresholds
from the float32 constants in real arithmetic). Where qonnx differs, the test proves that
the float64 evaluation agrees with nanogate and that the value is such a near-tie (within
1e-4 of the boundary in code units); later layers of that event then follow from a
different input. It happens in the 8-bit and the 784-input models (a handful of events)."""
import importlib.util
import sys

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from conftest import ROOT, emulate, qonnx_execute, run_cli

ZOO = ROOT / "examples" / "brevitas_mlps"
N = 10000


def zoo(name):
    return ZOO / f"{name}.onnx"


def events(n_in, n=N, seed=1):
    """Half uniform in [0, 1] (the training range), half in [-1.2, 1.2] (saturating the
    8-bit input quantizer on both sides)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.2, 1.2, size=(n, n_in)).astype(np.float32)
    x[: n // 2] = rng.uniform(0, 1, size=(n // 2, n_in)).astype(np.float32)
    return x


def quantizer_outputs(model):
    """Every Quant/BipolarQuant on an activation, in graph order, and the graph output."""
    produced = {o for n in model.graph.node for o in n.output} | {model.graph.input[0].name}
    outs = [n.output[0] for n in model.graph.node
            if n.op_type in ("Quant", "BipolarQuant") and n.input[0] in produced]
    return [o for o in outs if o != model.graph.output[0].name], model.graph.output[0].name


def float64_reference(model, x):
    """The quantized graph evaluated in float64 (input quantizer in float32, as qonnx and
    nanogate's host-side step compute it). Returns {tensor: array} and, per quantizer
    output, the signed distance of its input to the nearest rounding boundary (in code
    units; for a sign, the input itself)."""
    init = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer}
    env = {model.graph.input[0].name: x}
    pre = {}
    first = True
    for n in model.graph.node:
        a = [env.get(i, init.get(i)) for i in n.input]
        if n.op_type == "Quant":
            s, z, b = a[1], a[2], int(a[3])
            signed = next((at.i for at in n.attribute if at.name == "signed"), 1)
            narrow = next((at.i for at in n.attribute if at.name == "narrow"), 0)
            if a[0].ndim == 2 and first and n.input[0] == model.graph.input[0].name:
                v = (a[0].astype(np.float32) / s.astype(np.float32) + np.float32(z)).astype(np.float64)
                first = False
            else:
                v = a[0] / s + z
            lo = -(2 ** (b - 1)) + narrow if signed else 0
            hi = 2 ** (b - 1) - 1 if signed else 2 ** b - 1
            pre[n.output[0]] = v - 0.5 - np.round(v - 0.5) if not (signed and b == 1) else v
            q = np.round(np.clip(v, lo, hi)) if not (signed and b == 1) else np.where(v >= 0, 1.0, -1.0)
            env[n.output[0]] = (q - z) * s
        elif n.op_type == "BipolarQuant":
            pre[n.output[0]] = a[0]  # the boundary is 0
            env[n.output[0]] = np.where(a[0] >= 0, 1.0, -1.0) * a[1]
        elif n.op_type == "Gemm":
            w = a[1].T if next((at.i for at in n.attribute if at.name == "transB"), 0) else a[1]
            env[n.output[0]] = a[0] @ w + (a[2] if len(a) > 2 else 0)
        elif n.op_type == "BatchNormalization":
            eps = next((at.f for at in n.attribute if at.name == "epsilon"), 1e-5)
            g, beta, mean, var = a[1:5]
            env[n.output[0]] = (a[0] - mean) / np.sqrt(var + np.float64(np.float32(eps))) * g + beta
        elif n.op_type == "Relu":
            env[n.output[0]] = np.maximum(a[0], 0)
        else:
            raise AssertionError(f"float64 reference: op {n.op_type} not modelled")
    return env, pre


@pytest.mark.parametrize("name", ["w1a1", "w1a2", "w2a2", "w3a3_perchannel", "w4a4_zeropoint", "w8a8", "b784"])
def test_every_activation_equals_qonnx_and_float64(name, tmp_path):
    model = onnx.load(zoo(name))
    n_in = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
    x = events(n_in, N if name != "b784" else 4000)
    acts, out = quantizer_outputs(model)
    got_acts = emulate(zoo(name), x, tmp_path, tensors=acts)
    got_out = emulate(zoo(name), x, tmp_path)
    ref = qonnx_execute(zoo(name), x, acts + [out])
    f64, pre = float64_reference(model, x)
    off, near_ties = 0, 0
    diverged = np.zeros(len(x), dtype=bool)  # events where qonnx already took the other side of a near-tie
    for t in acts + [out]:
        want = ref[t].astype(np.float32)
        if t == out:
            got = got_out
        else:
            got = got_acts[:, off:off + want.shape[1]]
            off += want.shape[1]
        got = got.astype(np.float32)
        exact64 = f64[t].reshape(len(x), -1).astype(np.float32)
        assert np.array_equal(got, exact64), f"{name} {t}: differs from the float64 evaluation"
        bad = (got != want) & ~diverged[:, None]
        if bad.any():  # only float32 near-ties of qonnx's own arithmetic (later layers of that event follow)
            d = pre[t].reshape(len(x), -1)[bad]
            assert np.all(np.abs(d) < 1e-4), f"{name} {t}: a mismatch that is not a near-tie"
            near_ties += int(bad.sum())
            diverged |= bad.any(axis=1)
    assert diverged.sum() <= 20, f"{name}: {diverged.sum()} events with float32 near-ties"


def _train_module():
    spec = importlib.util.spec_from_file_location("zoo_train", ZOO / "train.py")
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "examples"))
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ["w1a1", "w1a2", "w2a2", "w3a3_perchannel", "w4a4_zeropoint"])
def test_retrained_module_equals_file_and_brevitas_forward_equals_nanogate(name, tmp_path):
    """train.py's module, retrained with its seeds, exports a file of the committed one's
    structure (the same nodes, attributes and initializer shapes), and Brevitas' own
    quantized forward equals nanogate on that export for 10,000 inputs (the 8-bit and
    784-input models have float32 near-ties, as against qonnx above).

    The export is not compared byte for byte with the committed file: on 2026-12-03
    this machine's retraining gave other weights (the same torch/Brevitas/numpy/
    scikit-learn pins, one thread; not the CPU ISA, not the hash seed), so the bytes
    depend on something outside nanogate. The exactness claim is on the export."""
    import torch

    mod = _train_module()
    qmodel, _, _ = mod.train_model(name)
    path = tmp_path / f"{name}.onnx"
    x = events(64)
    mod.export(qmodel, x[:1], str(path), name)
    fresh, committed = onnx.load(str(path)).graph, onnx.load(str(zoo(name))).graph
    strip = lambda g: [(n.op_type, list(n.input), list(n.output), [a.SerializeToString() for a in n.attribute]) for n in g.node]
    assert strip(fresh) == strip(committed)
    assert [(t.name, list(t.dims)) for t in fresh.initializer] == [(t.name, list(t.dims)) for t in committed.initializer]
    with torch.no_grad():
        y = qmodel(torch.from_numpy(x))
        y = (y.value if hasattr(y, "value") else y).numpy().astype(np.float32)
    got = emulate(path, x, tmp_path).astype(np.float32)
    # nanogate equals the export's float64 evaluation on every event; Brevitas'
    # float32 forward may differ only on events where some quantizer input lies
    # within 1e-4 code units of a rounding boundary (a float32 near-tie).
    model = onnx.load(str(path))
    f64, pre = float64_reference(model, x.astype(np.float64))
    assert np.array_equal(got, f64[model.graph.output[0].name].reshape(len(x), -1).astype(np.float32))
    differ = (got != y).any(axis=1)
    near_tie = np.zeros(len(x), dtype=bool)
    for t in quantizer_outputs(model)[0] + [model.graph.output[0].name]:
        if t in pre:
            near_tie |= (np.abs(pre[t].reshape(len(x), -1)) < 1e-4).any(axis=1)
    assert not (differ & ~near_tie).any(), f"{name}: {int((differ & ~near_tie).sum())} events differ without a near-tie"
    assert differ.sum() <= 20, f"{name}: {int(differ.sum())} events with float32 near-ties"


@pytest.mark.parametrize("name", ["w1a2", "w4a4_zeropoint"])
def test_verilog_verify_bit_exact(name, tmp_path):
    prj = tmp_path / "prj"
    run_cli("convert", zoo(name), "-o", prj, "--clock-period", 5)
    p = run_cli("verify", prj, "--vectors", N)
    assert f"{N}/{N} bit-exact" in p.stdout


@pytest.mark.parametrize("name", ["w1a1", "w3a3_perchannel"])
def test_vitis_csim_bit_exact(name, tmp_path):
    prj = tmp_path / "hls"
    run_cli("convert", zoo(name), "-o", prj, "--backend", "vitis")
    x = events(64, 2000)
    np.save(tmp_path / "x.npy", x.astype(np.float64))
    p = run_cli("csim", prj, "--input", tmp_path / "x.npy")
    assert "2000 events x 10 outputs bit-exact" in p.stdout


def test_inspect_marks_exactness_and_host_side_output():
    p = run_cli("inspect", zoo("w3a3_perchannel"))
    rows = [l.split() for l in p.stdout.splitlines()[2:] if l.startswith(("Quant_", "Gemm_"))]
    assert rows and all(r[-1] == "exact" for r in rows)
    assert any(r[1] == "Threshold" for r in rows)
    assert "output 'global_out' = value x 0.11302" in p.stdout


def inexact_model(path):
    """Quant → MatMul with float (unquantized) weights → Quant: the weights get the
    default fixed<16,6> and no longer equal the model's."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3)).astype(np.float32)
    one = lambda n, v: numpy_helper.from_array(np.array(v, dtype=np.float32), n)
    g = helper.make_graph(
        [helper.make_node("Quant", ["x", "s", "z", "b"], ["xq"], domain="qonnx.custom_op.general", signed=1),
         helper.make_node("MatMul", ["xq", "w"], ["y"], name="float_fc"),
         helper.make_node("Quant", ["y", "s", "z", "b"], ["out"], domain="qonnx.custom_op.general", signed=1)],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(w, "w"), one("s", 0.125), one("z", 0.0), one("b", 8.0)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                            helper.make_opsetid("qonnx.custom_op.general", 1)])
    m.ir_version = 8
    onnx.save(m, path)


def test_inexact_layer_is_refused_then_allowed_with_a_warning(tmp_path):
    model = tmp_path / "inexact.onnx"
    inexact_model(model)
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((3, 4)))
    p = run_cli("emulate", model, "--input", x, "--output", tmp_path / "y.npy", check=False)
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"nanogate: error: {model}: node 'float_fc' (Dense): not bit-exact with the model:")
    assert "fixed<16,6> rounds" in lines[0] and "--allow-inexact" in lines[0]
    p = run_cli("emulate", model, "--input", x, "--output", tmp_path / "y.npy", "--allow-inexact")
    assert "nanogate: warning:" in p.stderr and "'float_fc' (Dense): not bit-exact" in p.stderr
    p = run_cli("convert", model, "-o", tmp_path / "prj", check=False)
    assert p.returncode != 0 and "'float_fc' (Dense): not bit-exact" in p.stderr
    assert "INEXACT" in run_cli("inspect", model).stdout


def test_python_api_refuses_inexact_unless_allowed_and_marks_layers(tmp_path):
    import nanogate

    model = tmp_path / "inexact.onnx"
    inexact_model(model)
    with pytest.raises(nanogate.NanogateError, match=r"node 'float_fc' \(Dense\): not bit-exact"):
        nanogate.convert(str(model))
    with pytest.warns(UserWarning, match=r"'float_fc' \(Dense\): not bit-exact"):
        fw = nanogate.convert(str(model), allow_inexact=True)
    assert [l["exact"] for l in fw.report()["layers"] if l["name"] == "float_fc"] == ["INEXACT"]
    zoo_fw = nanogate.convert(str(zoo("w4a4_zeropoint")))
    assert all(l["exact"] == "exact" for l in zoo_fw.report()["layers"])
    x = events(64, 500)
    assert np.array_equal(zoo_fw.predict(x), emulate(zoo("w4a4_zeropoint"), x, tmp_path))
