#!/usr/bin/env python3
"""Train and export a small zoo of Brevitas MLPs covering the QONNX quantization patterns.

Every model is trained deterministically (fixed seeds, 1 CPU thread) on scikit-learn's
``digits`` data set (``load_digits``: 1797 8x8 images, pixel values 0..16, 10 classes;
fixed stratified 75 % / 25 % split, ``random_state=0``).  The network is fed ``x / 16``
as float32 in [0, 1].  Each model is exported with ``brevitas.export.export_qonnx``
(input shape ``[1, n_in]``), cleaned up with ``qonnx.util.cleanup.cleanup_model``
(Quant / BipolarQuant nodes are kept), stripped of torch's export metadata, stamped
with an onnxruntime-loadable IR version and saved as ``<out-dir>/<name>.onnx``.

Topology of the digits models (unless noted)::

    QuantIdentity(input, 8 bit)  -> QuantLinear(64->64) -> BatchNorm1d(64) -> act quant
                                 -> QuantLinear(64->64) -> BatchNorm1d(64) -> act quant
                                 -> QuantLinear(64->10) -> QuantIdentity(output, 8 bit)

The input and output quantizers are ``Int8ActPerTensorFloat`` (Brevitas' QuantIdentity
default: 8-bit signed, learned float per-tensor scale, zero point 0) in every model.

Models (``brevitas.quant`` classes)
----------------------------------
``w1a1``             FINN TFC-1W1A style.  Weights ``SignedBinaryWeightPerTensorConst``
                     (-> BipolarQuant, constant scale 0.1), activations
                     ``QuantIdentity(SignedBinaryActPerTensorConst)`` (-> BipolarQuant,
                     scale 1), ``bias=False``.
``w1a2``             Weights ``SignedBinaryWeightPerTensorConst`` (BipolarQuant),
                     activations ``QuantReLU(Uint8ActPerTensorFloat, bit_width=2)``
                     (2-bit unsigned, learned float scale), ``bias=False``.
``w2a2``             Weights ``Int8WeightPerTensorFloat`` with ``weight_bit_width=2``
                     (signed narrow [-1, 1], float per-tensor scale = max|W|),
                     ``QuantReLU(Uint8ActPerTensorFloat, bit_width=2)``, float bias.
``w3a3_perchannel``  Weights ``Int8WeightPerChannelFloat`` with ``weight_bit_width=3``
                     (per-output-channel float scale, shape [out, 1]),
                     ``QuantReLU(Uint8ActPerTensorFloat, bit_width=3)``, float bias.
``w4a4_zeropoint``   Weights ``Int8WeightPerTensorFloat`` with ``weight_bit_width=4``,
                     activations ``QuantIdentity(ShiftedUint8ActPerTensorFloat,
                     bit_width=4)`` after each BatchNorm (no ReLU): 4-bit unsigned with a
                     learned float scale and a learned, non-zero integer zero point.
                     Float bias.
``w8a8``             Brevitas' defaults: ``Int8WeightPerTensorFloat`` weights, default
                     ``QuantReLU`` (``Uint8ActPerTensorFloat``, 8 bit), default
                     ``QuantIdentity`` (``Int8ActPerTensorFloat``) at input/output, float bias.
``b784``             784 -> 64 -> 64 -> 64 -> 10, binary weights and activations as in
                     ``w1a1`` (BatchNorm between layers, ``bias=False``); the input is the
                     digits images upsampled 8x8 -> 28x28 (nearest neighbour), flattened.
                     Trained 2 epochs only (accuracy is secondary).

Float (non-power-of-two) scales are used everywhere; the script asserts that every Quant
node's scale is *not* a power of two, that ``w3a3_perchannel``'s weight scales are
per-channel ([out, 1]), that ``w4a4_zeropoint``'s activation zero points are non-zero and
that the 1-bit quantizers were exported as BipolarQuant.

For every model it prints the op-type counts, each Quant/BipolarQuant node's parameters,
the test accuracy and the agreement of ``qonnx.core.onnx_exec.execute_onnx`` with Brevitas'
own quantized forward (``model.eval()``, float32) on the 450 test images.

Environment work-arounds (onnxoptimizer stand-in, IR version for onnxruntime, metadata
stripping, determinism) are imported from ``examples/train_default.py``.

Usage::

    .venv/bin/python examples/brevitas_mlps/train.py [--out-dir DIR] [--only NAME...]

Only the ``.onnx`` files are written (default: this script's directory).
"""
import argparse
import collections
import copy
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # importing train_default must not leave examples/__pycache__
sys.path.insert(0, os.path.dirname(HERE))  # examples/ -> train_default
import train_default as td  # noqa: E402  (sets the determinism env vars, imports torch)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from brevitas.nn import QuantIdentity, QuantLinear, QuantReLU  # noqa: E402
from brevitas.quant import (Int8ActPerTensorFloat, Int8WeightPerChannelFloat,  # noqa: E402
                            Int8WeightPerTensorFloat, ShiftedUint8ActPerTensorFloat,
                            SignedBinaryActPerTensorConst, SignedBinaryWeightPerTensorConst,
                            Uint8ActPerTensorFloat)


# ----------------------------------------------------------------------------- zoo
# act: (kind, quantizer, bit_width); kind "relu" -> QuantReLU, "identity" -> QuantIdentity
MODELS = collections.OrderedDict([
    ("w1a1", dict(weight=(SignedBinaryWeightPerTensorConst, None), bias=False,
                  act=("identity", SignedBinaryActPerTensorConst, None),
                  epochs=30, lr=1e-2, expect=dict(w="bipolar", a="bipolar"))),
    ("w1a2", dict(weight=(SignedBinaryWeightPerTensorConst, None), bias=False,
                  act=("relu", Uint8ActPerTensorFloat, 2),
                  epochs=30, lr=1e-2, expect=dict(w="bipolar", a=2))),
    ("w2a2", dict(weight=(Int8WeightPerTensorFloat, 2), bias=True,
                  act=("relu", Uint8ActPerTensorFloat, 2),
                  epochs=30, lr=1e-2, expect=dict(w=2, a=2))),
    ("w3a3_perchannel", dict(weight=(Int8WeightPerChannelFloat, 3), bias=True,
                             act=("relu", Uint8ActPerTensorFloat, 3),
                             epochs=30, lr=1e-2, expect=dict(w=3, a=3, per_channel=True))),
    ("w4a4_zeropoint", dict(weight=(Int8WeightPerTensorFloat, 4), bias=True,
                            act=("identity", ShiftedUint8ActPerTensorFloat, 4),
                            epochs=30, lr=1e-2, expect=dict(w=4, a=4, zero_point=True))),
    ("w8a8", dict(weight=(Int8WeightPerTensorFloat, 8), bias=True,
                  act=("relu", Uint8ActPerTensorFloat, 8),
                  epochs=30, lr=1e-2, expect=dict(w=8, a=8))),
    ("b784", dict(weight=(SignedBinaryWeightPerTensorConst, None), bias=False,
                  act=("identity", SignedBinaryActPerTensorConst, None),
                  dims=(784, 64, 64, 64, 10), upsample=True,
                  # 2 epochs = 44 steps < Brevitas' default 300 statistics-collection steps:
                  # without this the input scale would stay at its statistics value
                  # 1.0 / 128 (a power of two; the pixel maximum is exactly 1.0).
                  io_kw=dict(collect_stats_steps=20),
                  epochs=2, lr=1e-2, expect=dict(w="bipolar", a="bipolar"))),
])
IO_BITS = 8  # input and output QuantIdentity (Int8ActPerTensorFloat)


class QuantMLP(nn.Module):
    """in-quant -> [QuantLinear -> BatchNorm1d -> act-quant]* -> QuantLinear -> out-quant"""

    def __init__(self, dims, weight, bias, act, io_kw=None):
        super().__init__()
        io_kw = dict(io_kw or {})
        wq, wbits = weight
        wkw = {} if wbits is None else dict(weight_bit_width=wbits)
        kind, aq, abits = act
        akw = {} if abits is None else dict(bit_width=abits)
        self.inp = QuantIdentity(act_quant=Int8ActPerTensorFloat, bit_width=IO_BITS, **io_kw)
        layers = []
        for i, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:])):
            layers.append(QuantLinear(n_in, n_out, bias=bias, weight_quant=wq, **wkw))
            if i < len(dims) - 2:
                layers.append(nn.BatchNorm1d(n_out))
                if kind == "relu":
                    layers.append(QuantReLU(act_quant=aq, **akw))
                else:
                    layers.append(QuantIdentity(act_quant=aq, **akw))
        self.body = nn.Sequential(*layers)
        self.out = QuantIdentity(act_quant=Int8ActPerTensorFloat, bit_width=IO_BITS, **io_kw)

    def forward(self, x):
        return self.out(self.body(self.inp(x)))


def load_data(upsample=False):
    x_tr, x_te, y_tr, y_te = td.load_data()  # raw 0..16, stratified 75/25, random_state=0
    x_tr, x_te = x_tr / np.float32(16), x_te / np.float32(16)
    if upsample:  # 8x8 -> 28x28 nearest neighbour, flattened to 784
        def up(x):
            t = torch.from_numpy(x).reshape(-1, 1, 8, 8)
            return F.interpolate(t, size=(28, 28), mode="nearest").reshape(-1, 784).numpy()
        x_tr, x_te = up(x_tr), up(x_te)
    return (np.ascontiguousarray(x_tr, dtype=np.float32), np.ascontiguousarray(x_te, dtype=np.float32),
            y_tr, y_te)


# ----------------------------------------------------------------------------- export
def export(qmodel, x_example, path, name):
    """export_qonnx -> cleanup_model -> strip metadata -> IR version -> save (train_default.save_qonnx)."""
    td.save_qonnx(qmodel, torch.from_numpy(x_example), path, "nanogate/examples/brevitas_mlps/train.py")


# ----------------------------------------------------------------------------- verify
def _fmt_vals(a):
    a = np.asarray(a).ravel()
    if a.size == 1:
        return f"{a[0]:.8g}"
    return f"[{a.size} values, min {a.min():.6g}, max {a.max():.6g}]"


def inspect_quant_nodes(model, name, spec):
    """Print every Quant / BipolarQuant node and assert the intended pattern."""
    from qonnx.custom_op.registry import getCustomOp

    g = model.graph
    expect = spec["expect"]
    n_layers = len(spec.get("dims", (64, 64, 64, 10))) - 1
    rows = []
    w_nodes, a_nodes = [], []
    for nd in g.node:
        if nd.op_type not in ("Quant", "BipolarQuant"):
            continue
        src = model.get_initializer(nd.input[0])
        is_w = src is not None
        (w_nodes if is_w else a_nodes).append(nd)
        scale = np.asarray(model.get_initializer(nd.input[1]))
        assert scale is not None, nd.name
        what = f"weight{list(src.shape)}" if is_w else "activation"
        po2 = td.is_pow2(scale)
        if nd.op_type == "Quant":
            zp = np.asarray(model.get_initializer(nd.input[2]))
            bw = np.asarray(model.get_initializer(nd.input[3]))
            op = getCustomOp(nd)
            attrs = {a: op.get_nodeattr(a) for a in ("signed", "narrow", "rounding_mode")}
            print(f"    {nd.op_type:12s} {what:18s} scale{list(scale.shape)}={_fmt_vals(scale)} "
                  f"pow2={po2} zp={_fmt_vals(zp)} bits={_fmt_vals(bw)} signed={attrs['signed']} "
                  f"narrow={attrs['narrow']} rounding={attrs['rounding_mode']}")
            rows.append(dict(node=nd, w=is_w, scale=scale, zp=zp, bw=float(bw.ravel()[0]), **attrs))
            # float-scale quantizers everywhere: the scales must really be non-po2
            assert not po2, f"{name}/{nd.name}: scale {scale.ravel()} is a power of two"
            assert bw.size == 1
        else:
            print(f"    {nd.op_type:12s} {what:18s} scale{list(scale.shape)}={_fmt_vals(scale)} "
                  f"pow2={po2}")
            rows.append(dict(node=nd, w=is_w, scale=scale, zp=None, bw=1.0))
    # ---- intended pattern
    assert len(w_nodes) == n_layers, f"{name}: {len(w_nodes)} weight quantizers, want {n_layers}"
    assert len(a_nodes) == 2 + (n_layers - 1), f"{name}: {len(a_nodes)} activation quantizers"
    w_rows = [r for r in rows if r["w"]]
    a_rows = [r for r in rows if not r["w"]]
    g_in, g_out = g.input[0].name, g.output[0].name
    io_rows = [r for r in a_rows if r["node"].input[0] == g_in or r["node"].output[0] == g_out]
    hid_rows = [r for r in a_rows if not any(r is q for q in io_rows)]
    assert len(io_rows) == 2, f"{name}: input/output quantizers not found"
    for r in io_rows:
        assert r["node"].op_type == "Quant" and r["bw"] == IO_BITS and r["signed"] == 1
        assert np.all(r["zp"] == 0)
    if expect["w"] == "bipolar":
        assert all(r["node"].op_type == "BipolarQuant" for r in w_rows), f"{name}: weights not BipolarQuant"
    else:
        for r in w_rows:
            assert r["node"].op_type == "Quant" and r["bw"] == expect["w"] and r["signed"] == 1, name
            assert np.all(r["zp"] == 0)
            if expect.get("per_channel"):
                n_out = model.get_initializer(r["node"].input[0]).shape
                assert r["scale"].ndim == 2 and r["scale"].size > 1 and 1 in r["scale"].shape \
                    and r["scale"].size in n_out, f"{name}: weight scale {r['scale'].shape} not per-channel"
            else:
                assert r["scale"].size == 1, f"{name}: weight scale not per-tensor"
    if expect["a"] == "bipolar":
        assert all(r["node"].op_type == "BipolarQuant" for r in hid_rows), f"{name}: acts not BipolarQuant"
    else:
        for r in hid_rows:
            assert r["node"].op_type == "Quant" and r["bw"] == expect["a"] and r["signed"] == 0, name
            assert r["scale"].size == 1
            if expect.get("zero_point"):
                assert np.all(r["zp"] != 0), f"{name}/{r['node'].name}: zero point is 0"
            else:
                assert np.all(r["zp"] == 0)
    return rows


def run_qonnx(model, x, n_out):
    """execute_onnx on all of x at once: same graph with the batch dimension set to N."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    iname, oname = model.graph.input[0].name, model.graph.output[0].name
    mb = ModelWrapper(copy.deepcopy(model.model))
    del mb.graph.value_info[:]
    mb.set_tensor_shape(iname, [x.shape[0], x.shape[1]])
    mb.set_tensor_shape(oname, [x.shape[0], n_out])
    mb = mb.transform(InferShapes())
    y_batch = execute_onnx(mb, {iname: x})[oname].astype(np.float32)
    # and the exported batch-1 graph itself on a few inputs
    y_single = np.stack([execute_onnx(model, {iname: x[i:i + 1]})[oname].reshape(-1)
                         for i in range(8)]).astype(np.float32)
    return y_batch, y_single


# ----------------------------------------------------------------------------- main
def train_model(name):
    """The Brevitas module of zoo model `name`, trained exactly as the exported
    file was (same seeds, data and schedule): (model in eval mode, x_test,
    y_test). Tests use it to compare Brevitas' own forward with nanogate."""
    spec = MODELS[name]
    x_tr, x_te, y_tr, y_te = load_data(spec.get("upsample", False))
    dims = spec.get("dims", (64, 64, 64, 10))
    td.seed_all()
    qmodel = QuantMLP(dims, spec["weight"], spec["bias"], spec["act"], spec.get("io_kw"))
    td.train(qmodel, x_tr, y_tr, spec["epochs"], lr=spec["lr"])
    qmodel.eval()
    return qmodel, x_te, y_te


def run_one(name, spec, out_dir):
    import onnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.infer_shapes import InferShapes

    print(f"\n======== {name} ========")
    dims = spec.get("dims", (64, 64, 64, 10))
    t_tr = time.time()
    qmodel, x_te, y_te = train_model(name)
    t_train = time.time() - t_tr
    y_brev = td.predict(qmodel, x_te)
    acc_brev = float((y_brev.argmax(1) == y_te).mean())
    print(f"  topology {' -> '.join(map(str, dims))}, trained {spec['epochs']} epochs in {t_train:.1f} s")

    path = os.path.join(out_dir, f"{name}.onnx")
    export(qmodel, x_te[:1], path, name)

    model = ModelWrapper(path)
    model = model.transform(InferShapes())
    onnx.checker.check_model(model.model)
    ops = collections.Counter(nd.op_type for nd in model.graph.node)
    print("  ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))
    print("  quantizers (graph order):")
    inspect_quant_nodes(model, name, spec)
    n_bn = ops.get("BatchNormalization", 0)
    assert n_bn == len(dims) - 2, f"{name}: {n_bn} BatchNormalization nodes"
    # biases: float initializers feeding the Gemm's C input (no Quant node) or absent
    mm = [nd for nd in model.graph.node if nd.op_type in ("Gemm", "MatMul")]
    assert len(mm) == len(dims) - 1
    biases = []
    for nd in mm:
        b = model.get_initializer(nd.input[2]) if nd.op_type == "Gemm" and len(nd.input) > 2 else None
        if b is None:
            assert not any(c.op_type == "Add" for c in model.find_consumers(nd.output[0]) or []), \
                f"{name}: bias via Add not handled"
        biases.append(b)
    if spec["bias"]:
        assert all(b is not None for b in biases), f"{name}: missing float bias"
        print("  float biases (Gemm C input, unquantized): "
              + ", ".join(f"{list(b.shape)}" for b in biases))
    else:
        assert all(b is None for b in biases), f"{name}: unexpected bias"
        print("  no biases")

    td._patch_qonnx_exec_ir_version(model.model.ir_version)
    t_v = time.time()
    y_onnx, y_single = run_qonnx(model, x_te, dims[-1])
    acc_onnx = float((y_onnx.argmax(1) == y_te).mean())
    diff = np.abs(y_onnx.astype(np.float64) - y_brev)
    n_eq = int((y_onnx == y_brev).sum())
    n_rows_eq = int((y_onnx == y_brev).all(axis=1).sum())
    single_eq = np.array_equal(y_single, y_onnx[:len(y_single)])
    print(f"  accuracy: Brevitas {acc_brev:.4f}, QONNX execute_onnx {acc_onnx:.4f} "
          f"(argmax agreement {int((y_onnx.argmax(1) == y_brev.argmax(1)).sum())}/{len(y_te)})")
    print(f"  execute_onnx vs Brevitas on {y_brev.shape[0]} test images: max|diff| {diff.max():.3g}, "
          f"exactly equal elements {n_eq}/{y_brev.size}, equal rows {n_rows_eq}/{y_brev.shape[0]}; "
          f"batch-1 graph == batched on first {len(y_single)}: {single_eq}  ({time.time() - t_v:.1f} s)")
    return dict(name=name, acc_brev=acc_brev, acc_onnx=acc_onnx, max_diff=float(diff.max()),
                n_eq=n_eq, n_el=y_brev.size, t_train=t_train, size=os.path.getsize(path),
                ops=ops)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--only", nargs="+", metavar="NAME", choices=list(MODELS),
                    help="train/export only these models")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    t0 = time.time()
    results = [run_one(n, MODELS[n], args.out_dir) for n in MODELS
               if not args.only or n in args.only]
    print("\n======== summary ========")
    print(f"{'model':17s} {'acc brevitas':>12s} {'acc qonnx':>9s} {'max|diff|':>9s} "
          f"{'equal elems':>11s} {'train s':>7s} {'bytes':>7s}")
    for r in results:
        print(f"{r['name']:17s} {r['acc_brev']:12.4f} {r['acc_onnx']:9.4f} {r['max_diff']:9.3g} "
              f"{r['n_eq']:>5d}/{r['n_el']:<5d} {r['t_train']:7.1f} {r['size']:7d}")
    print(f"total run time: {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
