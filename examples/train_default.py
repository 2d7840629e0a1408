#!/usr/bin/env python3
"""Train and export nanogate's built-in default model: a tiny quantized MLP on sklearn digits.

What it does
------------
1. Loads scikit-learn's ``digits`` data set (``sklearn.datasets.load_digits``): 1797
   8x8 grey-scale images of hand-written digits, pixel values are integers 0..16,
   flattened to 64 features, 10 classes.  A fixed, stratified 75 % / 25 % train/test
   split (``random_state=0``) is used.
2. Trains (deterministically, PyTorch CPU) a float reference MLP and a Brevitas
   quantization-aware-trained (QAT) MLP with the same topology 64 -> 32 -> 16 -> 10.
3. Exports the quantized model to QONNX (``brevitas.export.export_qonnx``), cleans it
   up with ``qonnx.util.cleanup.cleanup_model`` (Quant nodes are kept) and writes

   * ``<out-dir>/digits_qmlp.onnx``         - the QONNX model (input ``[1, 64]``)
   * ``<out-dir>/digits_test_inputs.npy``   - test images, float32 ``[N, 64]``, raw 0..16
   * ``<out-dir>/digits_test_labels.npy``   - test labels, int64 ``[N]``
   * ``<out-dir>/digits_test_brevitas.npy`` - Brevitas quantized forward output,
                                              float32 ``[N, 10]`` (quantized logits)
4. Verifies that ``qonnx.core.onnx_exec.execute_onnx`` on the exported model reproduces
   the Brevitas output bit-exactly, prints every Quant node's parameters and asserts
   that all scales are powers of two and all zero points are 0.

Quantization scheme (all power-of-two / fixed-point scales, zero point 0, ROUND)
-------------------------------------------------------------------------------
* input   : QuantIdentity, 5-bit unsigned, *constant* scale 2^0 = 1, so the raw
            pixel values 0..16 are represented exactly (integer range 0..31).
* fc1/2/3 : QuantLinear, weights 4-bit signed narrow-range ([-7, 7]) per-tensor
            fixed-point (learned power-of-two scale), biases 16-bit signed with
            scale = input_scale * weight_scale (also a power of two; ``Int16Bias``).
* hidden  : QuantReLU, 4-bit unsigned per-tensor fixed-point (learned po2 scale).
* output  : fc3's output quantizer, 8-bit signed per-tensor fixed-point logits.
No BatchNorm, no float parameters anywhere: every weight and bias reaches the graph
through a Quant node with a power-of-two scale.

Environment notes (handled inside this script, nothing is installed)
-------------------------------------------------------------------
* brevitas' ONNX manager insists on ``import onnxoptimizer`` even on the torch.export
  (dynamo) path that never uses it; the venv lacks it, so a tiny stand-in is injected.
* torch stamps IR version 14 (onnx 1.23) which the installed onnxruntime rejects; the
  saved model uses the lowest IR version valid for its opset (9 for ai.onnx 20), and
  qonnx's per-node execution wrappers are made to use it too.
* torch's per-node export metadata (stack traces, absolute paths) is stripped.
* Training is single-threaded (``torch.set_num_threads(1)``) so results are
  bit-reproducible run to run (thread count changes float summation order).

Usage::

    python examples/train_default.py [--out-dir examples/default]
"""
import argparse
import copy
import os
import random
import tempfile
import time

# Determinism knobs must be set before torch does any work.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
os.environ.setdefault("PYTHONHASHSEED", "0")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 0
HIDDEN = (32, 16)
IN_BITS, W_BITS, ACT_BITS, OUT_BITS, BIAS_BITS = 5, 4, 4, 8, 16
EPOCHS_FLOAT = 120
EPOCHS_QAT = 120
BATCH = 64


def seed_all(seed=SEED):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # tiny model: threading only adds overhead (and spin-waits)
    torch.use_deterministic_algorithms(True)


def load_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = d.data.astype(np.float32)  # raw 0..16 integers
    y = d.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=0.25, random_state=0, stratify=y)
    return x_tr, x_te, y_tr, y_te


# ----------------------------------------------------------------------------- models
class FloatMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, HIDDEN[0])
        self.fc2 = nn.Linear(HIDDEN[0], HIDDEN[1])
        self.fc3 = nn.Linear(HIDDEN[1], 10)

    def forward(self, x):
        x = x * 0.0625  # same 1/16 input normalisation the quantized model learns via scales
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def build_qmodel():
    from brevitas.core.scaling import ScalingImplType
    from brevitas.nn import QuantIdentity, QuantLinear, QuantReLU
    from brevitas.quant import (Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint,
                                Int16Bias, Uint8ActPerTensorFixedPoint)

    class InputQuant(Uint8ActPerTensorFixedPoint):
        # constant scale: threshold 31 / int-max 31 = 1 = 2^0 -> exact for 0..16 pixels
        bit_width = IN_BITS
        scaling_impl_type = ScalingImplType.CONST
        scaling_const = float(2 ** IN_BITS - 1)
        max_val = float(2 ** IN_BITS - 1)

    class WQuant(Int8WeightPerTensorFixedPoint):
        bit_width = W_BITS

    class ActQuant(Uint8ActPerTensorFixedPoint):
        bit_width = ACT_BITS

    class OutQuant(Int8ActPerTensorFixedPoint):
        bit_width = OUT_BITS

    class BiasQuant(Int16Bias):
        bit_width = BIAS_BITS

    class QMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = QuantIdentity(act_quant=InputQuant, return_quant_tensor=True)
            self.fc1 = QuantLinear(64, HIDDEN[0], bias=True, weight_quant=WQuant,
                                   bias_quant=BiasQuant, return_quant_tensor=True)
            self.relu1 = QuantReLU(act_quant=ActQuant, return_quant_tensor=True)
            self.fc2 = QuantLinear(HIDDEN[0], HIDDEN[1], bias=True, weight_quant=WQuant,
                                   bias_quant=BiasQuant, return_quant_tensor=True)
            self.relu2 = QuantReLU(act_quant=ActQuant, return_quant_tensor=True)
            self.fc3 = QuantLinear(HIDDEN[1], 10, bias=True, weight_quant=WQuant,
                                   bias_quant=BiasQuant, output_quant=OutQuant,
                                   return_quant_tensor=False)

        def forward(self, x):
            x = self.inp(x)
            x = self.relu1(self.fc1(x))
            x = self.relu2(self.fc2(x))
            return self.fc3(x)

    return QMLP()


# ----------------------------------------------------------------------------- training
def train(model, x_tr, y_tr, epochs, lr):
    g = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    n = xt.shape[0]
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    return model


@torch.no_grad()
def predict(model, x):
    model.eval()
    out = model(torch.from_numpy(x))
    if hasattr(out, "value"):
        out = out.value
    return out.detach().numpy().astype(np.float32)


def _ensure_onnxoptimizer_shim():
    """brevitas' ONNX export manager refuses to run unless ``onnxoptimizer`` imports, even
    on the torch.export (dynamo) path, which never calls it (``run_onnx_passes = False``).
    The project venv does not ship onnxoptimizer, so if it is missing we hand brevitas a
    stand-in whose ``optimize`` only implements the single pass the QONNX managers ask for
    that matters here (dropping unused initializers); qonnx's cleanup runs afterwards anyway.
    """
    import brevitas.export.onnx.manager as mgr
    if mgr.opt is not None:
        return
    import types
    import onnx

    def optimize(model, passes=()):
        for p in passes:
            if p not in ("eliminate_unused_initializer", "extract_constant_to_initializer"):
                raise NotImplementedError(f"onnxoptimizer shim: pass {p}")
        if "eliminate_unused_initializer" in passes:
            used = {i for n in model.graph.node for i in n.input}
            used |= {o.name for o in model.graph.output}
            keep = [t for t in model.graph.initializer if t.name in used]
            del model.graph.initializer[:]
            model.graph.initializer.extend(keep)
        return model

    mgr.onnx = onnx
    mgr.opt = types.SimpleNamespace(optimize=optimize)


def _patch_qonnx_exec_ir_version(ir_version):
    """qonnx's execute_onnx wraps each node in a fresh single-node model built with
    onnx.helper.make_model, which stamps onnx's newest IR version (14 for onnx 1.23);
    the installed onnxruntime only accepts IR <= 13.  Make those wrappers use the
    (lower) IR version of the exported model instead.  Numerics are unaffected."""
    import qonnx.core.onnx_exec as oe
    if getattr(oe.qonnx_make_model, "_nanogate_patched", False):
        return
    orig = oe.qonnx_make_model

    def make_model(graph, **kw):
        kw.setdefault("ir_version", ir_version)
        return orig(graph, **kw)

    make_model._nanogate_patched = True
    oe.qonnx_make_model = make_model


def _strip_metadata(m):
    """torch's exporter attaches per-node metadata (stack traces with absolute paths, FX
    node dumps, ...) that is >70 % of the file; drop it so the committed model is small
    and machine-independent."""
    def clean(x):
        del x.metadata_props[:]
        x.doc_string = ""

    clean(m)
    g = m.graph
    clean(g)
    for coll in (g.node, g.initializer, g.value_info, g.input, g.output):
        for x in coll:
            clean(x)


def save_qonnx(qmodel, x_example, path, producer, edit=None):
    """Brevitas module -> QONNX file, the same way for every example: export_qonnx into a
    scratch directory (torch may spill initializers into a side-car "<name>.data" file),
    qonnx cleanup, `edit(model_wrapper)` if given, torch's metadata stripped, producer set,
    and the IR version lowered to the smallest that supports the default-domain opset used
    (torch stamps onnx's newest, which the installed onnxruntime rejects); one
    self-contained file at `path`."""
    import onnx
    from brevitas.export import export_qonnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    _ensure_onnxoptimizer_shim()
    qmodel.eval()
    with tempfile.TemporaryDirectory() as tmp:
        raw_path = os.path.join(tmp, "raw.onnx")
        export_qonnx(qmodel, x_example, export_path=raw_path)
        model = ModelWrapper(onnx.load(raw_path, load_external_data=True))
    model = cleanup_model(model)
    if edit is not None:
        edit(model)
    _strip_metadata(model.model)
    model.model.producer_name = producer
    model.model.producer_version = ""
    ai_onnx = max(o.version for o in model.model.opset_import if o.domain in ("", "ai.onnx"))
    model.model.ir_version = min(r[1] for r in onnx.helper.VERSION_TABLE if r[2] >= ai_onnx)
    model.save(path)


def is_pow2(a):
    a = np.asarray(a, dtype=np.float64).ravel()
    if np.any(a <= 0):
        return False
    m, _ = np.frexp(a)
    return bool(np.all(m == 0.5))


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out-dir", default=os.path.join(here, "default"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    t0 = time.time()

    import onnx
    from brevitas.export import export_qonnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.util.cleanup import cleanup_model
    from qonnx.custom_op.registry import getCustomOp

    x_tr, x_te, y_tr, y_te = load_data()
    print(f"digits: train {x_tr.shape}, test {x_te.shape}, pixel range "
          f"{x_te.min():g}..{x_te.max():g}")

    # float reference
    seed_all()
    t_tr = time.time()
    fmodel = train(FloatMLP(), x_tr, y_tr, EPOCHS_FLOAT, lr=1e-2)
    print(f"(float training {time.time() - t_tr:.1f} s)")
    acc_float = float((predict(fmodel, x_te).argmax(1) == y_te).mean())
    print(f"float reference MLP test accuracy: {acc_float:.4f}")

    # quantization-aware training
    seed_all()
    qmodel = build_qmodel()
    qmodel = train(qmodel, x_tr, y_tr, EPOCHS_QAT, lr=1e-2)
    y_brev = predict(qmodel, x_te)
    acc_q = float((y_brev.argmax(1) == y_te).mean())
    n_params = sum(p.numel() for n, p in qmodel.named_parameters())
    n_wb = sum(p.numel() for n, p in qmodel.named_parameters()
               if n.endswith(".weight") or n.endswith(".bias"))
    print(f"Brevitas QAT MLP test accuracy:    {acc_q:.4f}  (training {time.time() - t_tr:.1f} s)")

    t_exp = time.time()
    # export
    onnx_path = os.path.join(args.out_dir, "digits_qmlp.onnx")
    save_qonnx(qmodel, torch.from_numpy(x_te[:1]), onnx_path, "nanogate/examples/train_default.py")

    print(f"exported + cleaned up in {time.time() - t_exp:.1f} s")
    np.save(os.path.join(args.out_dir, "digits_test_inputs.npy"), x_te.astype(np.float32))
    np.save(os.path.join(args.out_dir, "digits_test_labels.npy"), y_te.astype(np.int64))
    np.save(os.path.join(args.out_dir, "digits_test_brevitas.npy"), y_brev.astype(np.float32))

    # ---- verification ---------------------------------------------------------------
    model = ModelWrapper(onnx_path)
    model = model.transform(InferShapes())
    onnx.checker.check_model(model.model)
    g = model.graph
    print("\nopsets:", ", ".join(f"{o.domain or 'ai.onnx'}:{o.version}"
                                 for o in model.model.opset_import))
    print("graph ops:")
    for nd in g.node:
        print(f"  {nd.op_type:10s} [{nd.domain or 'ai.onnx'}]  {list(nd.input)} -> {list(nd.output)}")
    quant_nodes = [nd for nd in g.node if nd.op_type == "Quant"]
    assert quant_nodes, "no Quant nodes in exported graph"
    print(f"\nQuant nodes ({len(quant_nodes)}):")
    for nd in quant_nodes:
        scale = model.get_initializer(nd.input[1])
        zp = model.get_initializer(nd.input[2])
        bw = model.get_initializer(nd.input[3])
        assert scale is not None and zp is not None and bw is not None, nd.name
        op = getCustomOp(nd)
        attrs = {a: op.get_nodeattr(a) for a in ("signed", "narrow", "rounding_mode")}
        src = model.get_initializer(nd.input[0])
        what = f"param {list(src.shape)}" if src is not None else "activation"
        print(f"  {nd.name:12s} {what:16s} scale={np.asarray(scale).ravel().tolist()} "
              f"(2^{np.log2(np.asarray(scale).ravel()).tolist()}) zero_point={np.asarray(zp).ravel().tolist()} "
              f"bitwidth={np.asarray(bw).ravel().tolist()} signed={attrs['signed']} "
              f"narrow={attrs['narrow']} rounding_mode={attrs['rounding_mode']}")
        assert is_pow2(scale), f"{nd.name}: scale {scale} not a power of two"
        assert np.all(np.asarray(zp) == 0), f"{nd.name}: zero point {zp} != 0"
    # every initializer must feed a Quant node's data input, or be a Quant parameter /
    # shape constant (no float parameter that bypasses quantization)
    quant_data_in = {nd.input[0] for nd in quant_nodes}
    quant_param_in = {i for nd in quant_nodes for i in nd.input[1:]}
    for init in g.initializer:
        if init.name in quant_data_in or init.name in quant_param_in:
            continue
        consumers = [nd.op_type for nd in g.node if init.name in nd.input]
        raise AssertionError(f"initializer {init.name} (consumers {consumers}) is not quantized")

    iname = g.input[0].name
    oname = g.output[0].name
    _patch_qonnx_exec_ir_version(model.model.ir_version)
    t_ver = time.time()
    # (a) the model exactly as exported (batch 1), sample by sample, on a prefix
    n_single = min(32, x_te.shape[0])
    y_single = np.stack([execute_onnx(model, {iname: x_te[i:i + 1]})[oname].reshape(-1)
                         for i in range(n_single)])
    exact_single = np.array_equal(y_single, y_brev[:n_single])
    print(f"\nqonnx execute_onnx (batch 1, first {n_single} test inputs) vs Brevitas: "
          f"{'BIT-EXACT' if exact_single else 'MISMATCH'}")
    # (b) all test inputs at once: same graph with the batch dimension set to N
    nb = x_te.shape[0]
    mb = ModelWrapper(copy.deepcopy(model.model))
    del mb.graph.value_info[:]
    mb.set_tensor_shape(iname, [nb, 64])
    mb.set_tensor_shape(oname, [nb, 10])
    mb = mb.transform(InferShapes())
    y_onnx = execute_onnx(mb, {iname: x_te})[oname].astype(np.float32)
    exact = exact_single and np.array_equal(y_onnx, y_brev)
    print(f"(execute_onnx checks took {time.time() - t_ver:.1f} s)")
    n_mismatch = int((y_onnx != y_brev).any(axis=1).sum())
    print(f"qonnx execute_onnx (batch {nb}, all test inputs) vs Brevitas: "
          f"{'BIT-EXACT' if exact else f'MISMATCH ({n_mismatch} rows, max |diff| {np.abs(y_onnx - y_brev).max():g})'}")
    acc_onnx = float((y_onnx.argmax(1) == y_te).mean())
    assert exact, "exported model is not bit-exact with Brevitas"

    # ---- summary --------------------------------------------------------------------
    print("\n==== summary ====")
    print(f"topology          : 64 -> {HIDDEN[0]} -> {HIDDEN[1]} -> 10 "
          f"(in {IN_BITS}b u, w {W_BITS}b s narrow, act {ACT_BITS}b u, out {OUT_BITS}b s, bias {BIAS_BITS}b s)")
    print(f"parameters        : {n_wb} weights+biases ({n_params} incl. learned quant scales)")
    print(f"accuracy float    : {acc_float:.4f}")
    print(f"accuracy quantized: {acc_q:.4f} (Brevitas) / {acc_onnx:.4f} (QONNX exec)")
    for f in ("digits_qmlp.onnx", "digits_test_inputs.npy", "digits_test_labels.npy",
              "digits_test_brevitas.npy"):
        p = os.path.join(args.out_dir, f)
        print(f"{f:26s}: {os.path.getsize(p)} bytes")
    print(f"run time          : {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
