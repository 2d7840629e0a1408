#!/usr/bin/env python3
"""Build a QONNX model + nanogate precision config for a CMS AXOL1TL anomaly-trigger model.

Usage::

    python examples/axol1tl/build_model.py SPEC.json OUT_DIR

``SPEC.json`` is one of the ``axol1tl_v{1,3,4,5}.json`` files (schema
``axol1tl-fixed-point-model/1``) described in ``/work/shared/models/axol1tl/README.md``.
They describe the CMS C++ emulator (hls4ml ``io_parallel`` / latency / reuse 1, Xilinx
``ap_fixed``) as exact fixed-point arithmetic.  The JSON is read from the given path; it is
never copied into the repository.

Outputs
-------
``OUT_DIR/model.onnx``
    ONNX (ai.onnx opset 13) + QONNX ``Quant`` nodes (domain ``qonnx.custom_op.general``).
    Float graph input ``inputs`` ``[N, 57]`` (the *unscaled* hardware integers),
    one float graph output ``outputs`` ``[N, k]``: the emulator's model outputs
    followed, as the last column, by the anomaly score.  IR version 8; every activation
    tensor has a ``value_info`` (float ``[N, n]``), every weight/bias ``Quant`` output its
    shape, so ``qonnx.core.onnx_exec.execute_onnx`` can run the graph in float.
``OUT_DIR/config.json``
    nanogate precision config (hls4ml-style ``LayerName.<node>.Precision``).  The types
    are what make nanogate's emulator bit-exact: every node whose result the CMS code
    assigns to a declared ``ap_fixed`` type gets that type as its ``result``.

Arithmetic mapping (README section "Arithmetic")
------------------------------------------------
nanogate convention: arithmetic is exact; precision is lost only when a value is cast
to a node's configured type (``cast`` = quantise to frac bits with the type's rounding,
then apply the type's overflow mode, exactly the README's two steps).

* Graph input ``inputs``: config ``result = unscaled_t`` (``fixed<18,13>``).  The test
  vectors are exact in that type.
* **Input scaling** (README "Input scaling";
  ``unscaled_t tmp0 = unscaled[i] - ad_offsets[i]; input_t tmp1 = tmp0 >> ad_shift[i];``):

  - ``scale_offset``: ``Sub(inputs, offsets[57])``, result ``unscaled_t`` (exact difference,
    then WRAP in 18 bits).  ``offsets`` are the *stored* values from the JSON (already
    quantised to ``offset_type``; v4 truncates 4.5 -> 4 etc.); the script asserts that each
    one is exactly representable in ``offset_type``.
  - ``scale_shift``: ``Mul(., 2^-shift[i])``, result ``unscaled_t`` (TRN, WRAP).  For
    shift >= 0 this floors ``d / 2^s`` to 5 fractional bits = arithmetic ``raw >> s``;
    for shift < 0 the product ``d * 2^|s|`` is exact and wraps in 18 bits = ``raw << |s|``
    without saturation, as the README describes for ``ap_fixed::operator>>(int)``.
  - ``scale_cast``: QONNX ``Quant`` to ``input_t`` (scale 2^-frac, bitwidth W, signed,
    ``rounding_mode=ROUND`` -> RND_CONV, saturating) - the final assignment
    ``input_t tmp1 = ...``.  Its output tensor carries the JSON's model-input name
    (``input_1`` / ``input_3`` / ``input_2``).
* **Dense** (README "Dense, nnet::dense_latency"): ``MatMul(x, Quant(W))`` named after the
  JSON layer + ``Add(., Quant(b))`` named ``<layer>_bias``; nanogate fuses the pair into one
  Dense layer with config ``{weight, bias, accum, result}`` = the JSON's
  ``weight_type, bias_type, accum_type, output_type``: product cast to accum one at a time,
  bias cast to accum, sum in accum (WRAP), cast to result.  ``W[i][j] = weights[i][j]``
  (shape ``[n_in, n_out]``).  Weight/bias initialisers go through ``Quant`` with the declared
  types (all literals are exact in them, README "Versions").
* **relu** (README "relu"): ``Relu`` named after the layer, result = ``output_type``
  (``y = x > 0 ? cast(x) : 0``).  **linear**: ``Identity`` with result = ``output_type``.
* **Score v1/v3/v4** (README "Score, v1/v3/v4"): ``score_square`` = ``Mul(mu, mu)`` with
  result = ``square_type`` (floors the 6-bit-fraction square to 4 bits), ``score_sum`` =
  ``ReduceSum(axes=[1], keepdims=1)`` with accum = ``accum_type`` and result =
  ``output_type``; with WRAP accumulators the balanced ``nnet::reduce`` tree equals the
  modular sum.
* **Score v5** (README "Score, v5"): the JSON's ``subtract`` layer -> ``Sub(layer29_out,
  layer9_out)`` named ``subtract``, result ``subtract_t``; the JSON's ``dot`` layer ->
  ``Mul(a, b)`` named ``dot_square`` with result = dot ``accum_type`` (each exact square cast
  to the accumulator) + ``ReduceSum`` named ``dot`` with accum = dot ``accum_type``,
  result = dot ``output_type`` (``result_t``, RND_CONV + SAT); then the score cast
  ``score_cast`` = ``Identity`` with result = ``resultsq_t``.
* **Output**: ``Concat(axis=1)`` named ``outputs_concat`` (exact common type, no cast) of the
  emulator's model outputs and the score.  v1/v3/v4 return ``(mu[], score)``, so the columns
  are the ``mu`` values (``result_t``) then the score.  v5's model output ``layer32_out`` is the
  loss itself (README: "For v5 the model output is the same value as the loss"), so the
  output is the score only (a one-input Concat, shape ``[N, 1]``).

ONNX tensor names follow the JSON tensor names (``layer2_out`` ...), node names follow
the JSON layer names, so the config keys are the JSON layer names plus the fixed names
``inputs``, ``scale_offset``, ``scale_shift``, ``score_square``, ``score_sum``,
``dot_square``/``dot`` and ``score_cast``.
"""
import json
import os
import sys
from fractions import Fraction

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QONNX_DOMAIN = "qonnx.custom_op.general"
INPUT_NAME = "inputs"
OUTPUT_NAME = "outputs"


# --------------------------------------------------------------------------- types
def type_str(t):
    """JSON type -> nanogate spelling, e.g. ``fixed<18,13>``, ``ufixed<10,6,RND_CONV,SAT>``.

    TRN / WRAP are omitted (defaults); a non-default overflow forces the rounding to be
    spelled out too, because the parameters are positional (ap_fixed order).
    """
    if t.get("sat_bits", 0) != 0:
        raise ValueError(f"sat_bits != 0 not supported: {t}")
    q = t["rounding"].removeprefix("AP_")
    o = t["overflow"].removeprefix("AP_")
    args = [str(t["width"]), str(t["int_bits"])]
    if o != "WRAP":
        args += [q, o]
    elif q != "TRN":
        args.append(q)
    return ("fixed" if t["signed"] else "ufixed") + "<" + ",".join(args) + ">"


def frac_bits(t):
    return t["width"] - t["int_bits"]


def representable(v, t):
    """True if the exact value ``v`` is a value of JSON type ``t`` (no rounding, no overflow)."""
    f = frac_bits(t)
    m = Fraction(v) * (Fraction(2) ** f)
    if m.denominator != 1:
        return False
    m = int(m)
    w = t["width"]
    lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if t["signed"] else (0, (1 << w) - 1)
    return lo <= m <= hi


def exact_f32(values):
    """float32 array that must hold ``values`` exactly (they are dyadic with few bits)."""
    a = np.asarray(values, dtype=np.float64)
    b = a.astype(np.float32)
    if not np.array_equal(b.astype(np.float64), a):
        raise ValueError("value not exactly representable in float32")
    return b


# --------------------------------------------------------------------------- builder
class GraphBuilder:
    """Small helper collecting nodes, initialisers, value_info and config entries."""

    def __init__(self):
        self.nodes = []
        self.inits = []
        self.value_info = []
        self.layer_cfg = {}
        self._names = set()

    def _unique(self, name):
        if name in self._names:
            raise ValueError(f"duplicate name {name}")
        self._names.add(name)
        return name

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), self._unique(name)))
        return name

    def node(self, op, inputs, output, name, domain="", width=None, shape=None, **attrs):
        n = helper.make_node(op, inputs, [output], name=self._unique(name), **attrs)
        if domain:
            n.domain = domain
        self.nodes.append(n)
        if width is not None:  # activation tensors are float [N, width]
            shape = ["N", width]
        if shape is not None:
            self.value_info.append(
                helper.make_tensor_value_info(output, TensorProto.FLOAT, shape))
        return output

    def precision(self, name, **types):
        """Record ``LayerName.<name>.Precision`` entries (JSON types -> strings)."""
        entry = self.layer_cfg.setdefault(name, {"Precision": {}})
        for k, t in types.items():
            entry["Precision"][k] = type_str(t)

    def quant(self, name, x, t, out=None, width=None, shape=None, rounding="ROUND"):
        """QONNX Quant of ``x`` to the fixed type ``t``: scale 2^-frac_bits, zero point 0,
        bitwidth = width, signed from ``t``, narrow 0 (SAT over the full two's-complement
        range); ``rounding_mode`` ROUND = RND_CONV (ties to even), FLOOR = TRN."""
        f = frac_bits(t)
        s = self.init(f"{name}_scale", np.array(2.0 ** -f, dtype=np.float32))
        z = self.init(f"{name}_zeropt", np.array(0.0, dtype=np.float32))
        b = self.init(f"{name}_bitwidth", np.array(float(t["width"]), dtype=np.float32))
        return self.node("Quant", [x, s, z, b], out or f"{name}_out",
                         name, domain=QONNX_DOMAIN, width=width, shape=shape,
                         signed=int(bool(t["signed"])), narrow=0, rounding_mode=rounding)


def build(spec):
    g = GraphBuilder()
    n_in = spec["n_inputs"]
    sc = spec["input_scaling"]
    unscaled_t, input_t = sc["unscaled_type"], sc["input_type"]
    offsets, shifts = sc["offsets"], sc["shifts"]
    assert len(offsets) == len(shifts) == n_in
    for i, o in enumerate(offsets):
        if not representable(o, sc["offset_type"]):
            raise ValueError(f"offset[{i}]={o} not exact in offset_type {sc['offset_type']['cpp']}")
    for s in shifts:
        assert float(s).is_integer() and representable(s, sc["shift_type"])
    # input_t must be "RND_CONV, SAT" for the Quant mapping
    assert input_t["rounding"] == "AP_RND_CONV" and input_t["overflow"] == "AP_SAT"

    # ---- graph input and input scaling --------------------------------------
    g.precision(INPUT_NAME, result=unscaled_t)
    off = g.init("scale_offsets", exact_f32(offsets))
    d = g.node("Sub", [INPUT_NAME, off], "scale_offset_out", "scale_offset", width=n_in)
    g.precision("scale_offset", result=unscaled_t)
    mul = g.init("scale_shift_factors", exact_f32([2.0 ** -int(s) for s in shifts]))
    s = g.node("Mul", [d, mul], "scale_shift_out", "scale_shift", width=n_in)
    g.precision("scale_shift", result=unscaled_t)
    x_name = spec["model_input"]["tensor"]
    g.quant("scale_cast", s, input_t, out=x_name, width=n_in)

    # ---- layers ---------------------------------------------------------------
    widths = {x_name: n_in}
    for L in spec["layers"]:
        name, op, ins, out = L["name"], L["op"], L["inputs"], L["output"]
        for t in ins:
            if t not in widths:
                raise ValueError(f"layer {name}: input {t} not produced yet")
        if op == "dense":
            ni, no = L["n_in"], L["n_out"]
            W = np.array(L["weights"], dtype=np.float64)
            b = np.array(L["bias"], dtype=np.float64)
            assert W.shape == (ni, no) and b.shape == (no,) and widths[ins[0]] == ni
            assert all(representable(v, L["weight_type"]) for v in W.ravel())
            assert all(representable(v, L["bias_type"]) for v in b)
            w_raw = g.init(f"{name}_W", exact_f32(W))
            b_raw = g.init(f"{name}_b", exact_f32(b))
            wq = g.quant(f"{name}_W_quant", w_raw, L["weight_type"], shape=[ni, no])
            bq = g.quant(f"{name}_b_quant", b_raw, L["bias_type"], shape=[no])
            mm = g.node("MatMul", [ins[0], wq], f"{name}_matmul_out", name, width=no)
            g.node("Add", [mm, bq], out, f"{name}_bias", width=no)
            g.precision(name, weight=L["weight_type"], bias=L["bias_type"],
                        accum=L["accum_type"], result=L["output_type"])
            widths[out] = no
        elif op in ("relu", "linear"):
            n = L["n"]
            assert widths[ins[0]] == n
            g.node("Relu" if op == "relu" else "Identity", [ins[0]], out, name, width=n)
            g.precision(name, result=L["output_type"])
            widths[out] = n
        elif op == "subtract":
            n = L["n"]
            assert widths[ins[0]] == widths[ins[1]] == n
            g.node("Sub", [ins[0], ins[1]], out, name, width=n)
            g.precision(name, result=L["output_type"])
            widths[out] = n
        elif op == "dot":
            assert L["n_out"] == 1 and widths[ins[0]] == widths[ins[1]] == L["n_in"]
            sq = g.node("Mul", [ins[0], ins[1]], f"{name}_products", f"{name}_square",
                        width=L["n_in"])
            g.precision(f"{name}_square", result=L["accum_type"])
            axes = g.init(f"{name}_axes", np.array([1], dtype=np.int64))
            g.node("ReduceSum", [sq, axes], out, name, width=1, keepdims=1)
            g.precision(name, accum=L["accum_type"], result=L["output_type"])
            widths[out] = 1
        else:
            raise ValueError(f"unsupported layer op {op!r} ({name})")

    # ---- score --------------------------------------------------------------
    S = spec["score"]
    if S["op"] == "sum_of_squares":
        mu = S["input"]
        assert widths[mu] == S["n"]
        sq = g.node("Mul", [mu, mu], "score_squares", "score_square", width=S["n"])
        g.precision("score_square", result=S["square_type"])
        axes = g.init("score_axes", np.array([1], dtype=np.int64))
        score = g.node("ReduceSum", [sq, axes], "score", "score_sum", width=1, keepdims=1)
        g.precision("score_sum", accum=S["accum_type"], result=S["output_type"])
        # emulator returns (model output = mu[], score)
        assert spec["model_output"]["tensor"] == mu
        columns = [mu, score]
    elif S["op"] == "cast":
        src = S["input"]
        assert widths[src] == 1 and S.get("index", 0) == 0
        score = g.node("Identity", [src], "score", "score_cast", width=1)
        g.precision("score_cast", result=S["output_type"])
        mo = spec["model_output"]["tensor"]
        # v5: the model output is the loss itself (layer32_out == src), so only the score
        columns = [score] if mo == src else [mo, score]
    else:
        raise ValueError(f"unsupported score op {S['op']!r}")
    n_out = sum(widths.get(c, 1) for c in columns)
    g.node("Concat", columns, OUTPUT_NAME, "outputs_concat", axis=1)

    graph = helper.make_graph(
        g.nodes, f"axol1tl_{spec['model']}",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", n_in])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N", n_out])],
        initializer=g.inits, value_info=g.value_info)
    model = helper.make_model(
        graph, producer_name="nanogate examples/axol1tl/build_model.py",
        opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(QONNX_DOMAIN, 1)])
    model.ir_version = 8   # opset 13 needs IR >= 7; onnx 1.23's default (14) is too new for onnxruntime
    model.doc_string = (f"{spec['model']} from {spec['source']['repository']} "
                        f"@ {spec['source']['commit']}; outputs = {columns} (score last)")
    onnx.checker.check_model(model)

    config = {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
              "LayerName": g.layer_cfg}
    node_names = {n.name for n in g.nodes} | {INPUT_NAME}
    assert set(config["LayerName"]) <= node_names
    return model, config


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[0] + "\nusage: build_model.py SPEC.json OUT_DIR", file=sys.stderr)
        return 2
    with open(argv[1]) as fh:
        spec = json.load(fh)
    if spec.get("schema") != "axol1tl-fixed-point-model/1":
        raise SystemExit(f"unexpected schema {spec.get('schema')!r}")
    model, config = build(spec)
    os.makedirs(argv[2], exist_ok=True)
    onnx.save(model, os.path.join(argv[2], "model.onnx"))
    with open(os.path.join(argv[2], "config.json"), "w") as fh:
        json.dump(config, fh, indent=2)
        fh.write("\n")
    print(f"{spec['model']}: {len(model.graph.node)} nodes -> {argv[2]}/model.onnx, config.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
