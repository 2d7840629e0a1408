#!/usr/bin/env python3
"""Bit-exact self-check of an AXOL1TL ``model.onnx`` + ``config.json`` (from build_model.py).

Usage::

    python examples/axol1tl/reference_check.py SPEC.json OUT_DIR [REFERENCE.csv [INPUTS.csv]]

``REFERENCE.csv`` defaults to ``<dir of SPEC>/vectors/axol1tl_<vN>_reference.csv`` (if it
exists; only v1 and v4 have one) and ``INPUTS.csv`` to ``<dir of SPEC>/vectors/axol1tl_inputs.csv``.
Pass ``-`` as REFERENCE.csv to skip the CMS comparison.  Exit status 0 iff every check passed.

What it does
------------
1. ``run_graph``: a small **pure-Python integer interpreter** of nanogate's emulator semantics.
   It reads ``model.onnx`` and ``config.json`` generically (it knows nothing about AXOL1TL),
   walks the ONNX nodes in order and implements only the ops the AXOL1TL graphs use.  Every
   tensor is a numpy *object* array of Python ints ``m`` plus one fractional-bit count ``f``
   (value = m * 2^-f), so all arithmetic is exact and unbounded.  Semantics:

   * graph input: the user's values are cast to ``LayerName.<input>.Precision.result``;
   * ``cast(v, T)`` (README "Arithmetic", steps 1-2): quantise to T's fractional bits with T's
     rounding mode (TRN = floor, RND_CONV = nearest/ties-to-even, ...), then apply T's overflow
     mode (WRAP keeps the low W bits, SAT clamps, ...);
   * ``Add``/``Sub``/``Mul`` (tensor-tensor or tensor-constant, numpy broadcasting): exact
     result, then cast to the node's configured ``result`` type if there is one;
   * ``Identity``: cast to ``result`` if configured; ``Relu``: ``x > 0 ? cast(x, result) : 0``;
   * QONNX ``Quant(x, scale, zeropt, bitwidth)`` with a power-of-two scale and zero point 0:
     cast to ``fixed<bitwidth, bitwidth-f>`` (``ufixed`` if ``signed=0``) with f = -log2(scale),
     rounding ROUND -> RND_CONV, FLOOR -> TRN, overflow SAT (``narrow=0`` only);
   * ``MatMul(x, W)`` whose only consumer is ``Add(., b)`` with a constant ``b`` is fused into a
     Dense layer named after the MatMul (hls4ml ``dense_latency``, README "Dense"): weight and
     bias cast to ``weight``/``bias`` if configured, each product ``x[i]*W[i][j]`` cast to
     ``accum``, ``acc = cast(b, accum)``, then for i in order ``acc = cast(acc + prod, accum)``,
     finally ``cast(acc, result)``;
   * ``ReduceSum(x, axes)`` (opset 13, keepdims=1): each term cast to ``accum``, summed in order
     with every partial sum cast to ``accum``, then cast to ``result``.  (With WRAP accumulators
     this equals any summation order, e.g. ``nnet::reduce``'s balanced tree.)
   * ``Concat``: exact common type (align fractional bits, no cast).

   Constants (initialisers, and nodes whose inputs are all constants, e.g. the weight
   ``Quant`` nodes) are evaluated once without a batch dimension.
2. ``run_spec``: an **independent** implementation of the model straight from the JSON spec,
   following the README's "Arithmetic" section step by step (it shares only ``cast``).  Its
   output is compared with the interpreter's for every event: this checks the graph
   construction for v3 and v5 too, which have no CMS reference vectors.
3. If a CMS reference CSV is available (v1, v4), compares the interpreter's ``outputs``
   (model outputs, then the score as the last column) with it, every column, every event.
"""
import csv
import json
import os
import re
import sys
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import onnx
from onnx import numpy_helper


# =========================================================================== fixed point
@dataclass(frozen=True)
class FixedType:
    signed: bool
    width: int
    int_bits: int
    rounding: str = "TRN"
    overflow: str = "WRAP"

    @property
    def frac(self):
        return self.width - self.int_bits

    def __str__(self):
        return f"{'' if self.signed else 'u'}fixed<{self.width},{self.int_bits},{self.rounding},{self.overflow}>"


_TYPE_RE = re.compile(r"^\s*(ap_)?(u?)fixed<\s*(-?\d+)\s*,\s*(-?\d+)\s*(?:,\s*(?:AP_)?(\w+)\s*)?"
                      r"(?:,\s*(?:AP_)?(\w+)\s*)?(?:,\s*0\s*)?>\s*$")


def parse_type(s):
    """``fixed<W,I[,Q[,O]]>`` / ``ufixed<...>`` (optionally ``ap_`` / ``AP_`` prefixed)."""
    m = _TYPE_RE.match(s)
    if not m:
        raise ValueError(f"cannot parse fixed-point type {s!r}")
    return FixedType(m.group(2) != "u", int(m.group(3)), int(m.group(4)),
                     m.group(5) or "TRN", m.group(6) or "WRAP")


def type_from_json(t):
    """Type object of the AXOL1TL JSON schema -> FixedType."""
    assert t.get("sat_bits", 0) == 0
    return FixedType(bool(t["signed"]), t["width"], t["int_bits"],
                     t["rounding"].removeprefix("AP_"), t["overflow"].removeprefix("AP_"))


def _where(c, a, b):
    return np.where(c, a, b).astype(object)


def _round_div(n, d, mode):
    """Integer ``n / d`` (d > 0; n, d ints or object arrays) rounded with an ap_fixed mode."""
    q = n // d                       # floor
    r = n - q * d                    # 0 <= r < d
    if mode == "TRN":
        return q
    if mode == "TRN_ZERO":           # toward zero
        return _where((n < 0) & (r != 0), q + 1, q)
    two_r = 2 * r
    above, tie = two_r > d, two_r == d
    if mode == "RND":                # ties toward +inf
        up = above | tie
    elif mode == "RND_CONV":         # ties to even
        up = above | (tie & ((q % 2) == 1))
    elif mode == "RND_ZERO":         # ties toward zero
        up = above | (tie & (n < 0))
    elif mode == "RND_MIN_INF":      # ties toward -inf
        up = above
    elif mode == "RND_INF":          # ties away from zero
        up = above | (tie & (n >= 0))
    else:
        raise ValueError(f"unknown rounding mode {mode}")
    return _where(up, q + 1, q)


def _overflow(m, t):
    """Apply t's overflow mode to integer mantissas ``m`` already at t's fractional bits."""
    w = t.width
    lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if t.signed else (0, (1 << w) - 1)
    if t.overflow == "WRAP":
        return (m - lo) % (1 << w) + lo
    if t.overflow == "SAT":
        return _where(m > hi, hi, _where(m < lo, lo, m))
    if t.overflow == "SAT_ZERO":
        return _where((m > hi) | (m < lo), 0, m)
    if t.overflow == "SAT_SYM":
        lo2 = -hi if t.signed else 0
        return _where(m > hi, hi, _where(m < lo2, lo2, m))
    raise ValueError(f"unknown overflow mode {t.overflow}")


class Tensor:
    """Exact fixed-point tensor: value = m * 2**-f, ``m`` a numpy object array of Python ints."""

    def __init__(self, m, f):
        self.m = np.asarray(m, dtype=object)
        self.f = int(f)

    def at(self, f):
        """Mantissas at f >= self.f fractional bits (exact)."""
        assert f >= self.f
        return self.m * (1 << (f - self.f))

    def to_fractions(self):
        return np.vectorize(lambda v: Fraction(v, 1 << self.f) if self.f >= 0
                            else Fraction(v * (1 << -self.f)), otypes=[object])(self.m)

    @staticmethod
    def from_values(values):
        """Exact tensor holding dyadic values (floats / Fractions)."""
        fr = np.vectorize(Fraction, otypes=[object])(np.asarray(values, dtype=object))
        f = 0
        for v in fr.ravel():
            d = v.denominator
            if d & (d - 1):
                raise ValueError(f"{v} is not dyadic")
            f = max(f, d.bit_length() - 1)
        m = np.vectorize(lambda v: int(v * (1 << f)), otypes=[object])(fr) if fr.size else fr
        return Tensor(m, f)


def cast(x, t):
    """README 'Arithmetic': quantise to t.frac with t.rounding, then t.overflow."""
    if x.f > t.frac:
        m = _round_div(x.m, 1 << (x.f - t.frac), t.rounding)
    else:
        m = x.at(t.frac) if x.m.size else x.m
    return Tensor(_overflow(m, t), t.frac)


def cast_fractions(values, t):
    """Cast arbitrary exact rationals (e.g. decimal strings from a CSV) to t."""
    fr = np.vectorize(Fraction, otypes=[object])(np.asarray(values, dtype=object))
    n = np.vectorize(lambda v: v.numerator * (1 << t.frac) if t.frac >= 0 else v.numerator,
                     otypes=[object])(fr)
    d = np.vectorize(lambda v: v.denominator if t.frac >= 0 else v.denominator << -t.frac,
                     otypes=[object])(fr)
    return Tensor(_overflow(_round_div(n, d, t.rounding), t), t.frac)


def add(a, b, sign=1):
    f = max(a.f, b.f)
    return Tensor(a.at(f) + sign * b.at(f), f)


def mul(a, b):
    return Tensor(a.m * b.m, a.f + b.f)


# =========================================================================== ONNX interpreter
QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general")


class Interpreter:
    """nanogate emulator semantics on an ONNX/QONNX graph + hls4ml-style precision config."""

    def __init__(self, model_path, config_path):
        self.model = onnx.load(model_path)
        with open(config_path) as fh:
            self.config = json.load(fh)
        g = self.model.graph
        self.inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        self.graph_inputs = [i.name for i in g.input if i.name not in self.inits]
        self.graph_outputs = [o.name for o in g.output]
        names = {n.name for n in g.node} | set(self.graph_inputs)
        unknown = set(self.config.get("LayerName", {})) - names
        if unknown:  # nanogate rejects such configs
            raise ValueError(f"config names not in the graph: {sorted(unknown)}")
        self.consumers = {}
        for n in g.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.consts = {k: Tensor.from_values(v) if v.dtype.kind == "f" else v
                       for k, v in self.inits.items()}

    def prec(self, name, key):
        s = self.config.get("LayerName", {}).get(name, {}).get("Precision", {}).get(key)
        return parse_type(s) if s else None

    def maybe_cast(self, x, name, key="result"):
        t = self.prec(name, key)
        return cast(x, t) if t else x

    def _const_int(self, name):
        v = self.inits[name]
        return [int(a) for a in np.atleast_1d(v)]

    def run(self, inputs):
        """``inputs``: {graph input name: 2-D array of exact values (str/Fraction/float)}."""
        env = dict(self.consts)
        for name in self.graph_inputs:
            t = self.prec(name, "result")
            if t is None:
                raise ValueError(f"graph input {name} has no configured result type")
            env[name] = cast_fractions(inputs[name], t)
        fused = set()
        for n in self.model.graph.node:
            if n.name in fused:
                continue
            x = [env[i] for i in n.input]
            op = n.op_type
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            if n.domain in QONNX_DOMAINS and op == "Quant":
                y = self._quant(n, x, attrs)
            elif op == "MatMul":
                cons = self.consumers.get(n.output[0], [])
                if not (len(cons) == 1 and cons[0].op_type == "Add"):
                    raise NotImplementedError(f"MatMul {n.name} not followed by a bias Add")
                add_node = cons[0]
                b_name = [i for i in add_node.input if i != n.output[0]][0]
                y = self._dense(n.name, x[0], x[1], env[b_name])
                fused.add(add_node.name)
                env[add_node.output[0]] = y
                continue
            elif op in ("Add", "Sub"):
                y = self.maybe_cast(add(x[0], x[1], 1 if op == "Add" else -1), n.name)
            elif op == "Mul":
                y = self.maybe_cast(mul(x[0], x[1]), n.name)
            elif op == "Identity":
                y = self.maybe_cast(x[0], n.name)
            elif op == "Relu":
                c = self.maybe_cast(x[0], n.name)
                y = Tensor(_where(x[0].m > 0, c.m, 0), c.f)
            elif op == "ReduceSum":
                y = self._reduce_sum(n, x, attrs)
            elif op == "Concat":
                f = max(t.f for t in x)
                y = Tensor(np.concatenate([t.at(f) for t in x], axis=attrs["axis"]), f)
            else:
                raise NotImplementedError(f"op {op} ({n.name})")
            env[n.output[0]] = y
        return {o: env[o] for o in self.graph_outputs}

    def _quant(self, n, x, attrs):
        val, scale, zeropt, bits = x
        sc = scale.to_fractions().ravel()
        assert len(set(sc)) == 1, "per-tensor scale only"
        s = sc[0]
        f = -(s.numerator.bit_length() - 1) if s.denominator == 1 else s.denominator.bit_length() - 1
        pow2 = Fraction(1, 1 << f) if f >= 0 else Fraction(1 << -f)
        if pow2 != s:
            raise ValueError(f"Quant {n.name}: scale {s} is not a power of two")
        if any(z != 0 for z in zeropt.m.ravel()):
            raise ValueError(f"Quant {n.name}: non-zero zero point")
        if attrs.get("narrow", 0):
            raise ValueError(f"Quant {n.name}: narrow=1 not supported")
        w = bits.to_fractions().ravel()[0]
        assert w.denominator == 1
        mode = attrs.get("rounding_mode", b"ROUND")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        q = {"ROUND": "RND_CONV", "FLOOR": "TRN"}[mode.upper()]
        t = FixedType(bool(attrs.get("signed", 1)), int(w), int(w) - f, q, "SAT")
        return cast(val, t)

    def _dense(self, name, x, w, b):
        wt, bt = self.prec(name, "weight"), self.prec(name, "bias")
        at, rt = self.prec(name, "accum"), self.prec(name, "result")
        w = cast(w, wt) if wt else w
        b = cast(b, bt) if bt else b
        cast_acc = (lambda v: cast(v, at)) if at else (lambda v: v)
        n_in = w.m.shape[0]
        acc = cast_acc(Tensor(np.broadcast_to(b.m, (x.m.shape[0],) + b.m.shape).copy(), b.f))
        for i in range(n_in):                    # dense_latency: product -> accum, add in order
            prod = cast_acc(Tensor(x.m[:, i:i + 1] * w.m[i][None, :], x.f + w.f))
            acc = cast_acc(add(acc, prod))
        return cast(acc, rt) if rt else acc

    def _reduce_sum(self, n, x, attrs):
        axes = self._const_int(n.input[1]) if len(n.input) > 1 else attrs.get("axes")
        assert axes == [1] and attrs.get("keepdims", 1) == 1, "only ReduceSum(axes=[1], keepdims=1)"
        at = self.prec(n.name, "accum")
        cast_acc = (lambda v: cast(v, at)) if at else (lambda v: v)
        t = x[0]
        acc = cast_acc(Tensor(np.zeros((t.m.shape[0], 1), dtype=object) + 0, 0))
        for k in range(t.m.shape[1]):
            acc = cast_acc(add(acc, cast_acc(Tensor(t.m[:, k:k + 1], t.f))))
        return self.maybe_cast(acc, n.name)


# =========================================================================== JSON-direct model
def run_spec(spec, raw):
    """The model computed directly from the JSON spec (README 'Arithmetic').  Returns
    (model-output columns tensor or None, score tensor [N,1])."""
    sc = spec["input_scaling"]
    ut, it = type_from_json(sc["unscaled_type"]), type_from_json(sc["input_type"])
    unscaled = cast_fractions(raw, ut)
    offs = Tensor.from_values(np.array(sc["offsets"], dtype=object)[None, :])
    d = cast(add(unscaled, offs, -1), ut)
    cols = []
    for i, s in enumerate(sc["shifts"]):                     # shift the raw 18-bit integer
        r = d.m[:, i:i + 1]
        r = r >> s if s >= 0 else r << -s
        cols.append(cast(Tensor(r, ut.frac), ut).m)        # wraps (no-op for >>)
    x = cast(Tensor(np.concatenate(cols, axis=1), ut.frac), it)
    env = {spec["model_input"]["tensor"]: x}
    for L in spec["layers"]:
        ins = [env[i] for i in L["inputs"]]
        if L["op"] == "dense":
            acc_t, out_t = type_from_json(L["accum_type"]), type_from_json(L["output_type"])
            W = Tensor.from_values(np.array(L["weights"], dtype=object))
            B = Tensor.from_values(np.array(L["bias"], dtype=object))
            a = ins[0]
            outs = []
            for j in range(L["n_out"]):
                acc = cast(Tensor(np.full((a.m.shape[0],), B.m[j], dtype=object), B.f), acc_t)
                for i in range(L["n_in"]):
                    p = cast(Tensor(a.m[:, i] * W.m[i, j], a.f + W.f), acc_t)
                    acc = cast(add(acc, p), acc_t)
                outs.append(cast(acc, out_t).m)
            y = Tensor(np.stack(outs, axis=1), out_t.frac)
        elif L["op"] == "relu":
            t = type_from_json(L["output_type"])
            c = cast(ins[0], t)
            y = Tensor(_where(ins[0].m > 0, c.m, 0), t.frac)
        elif L["op"] == "linear":
            y = cast(ins[0], type_from_json(L["output_type"]))
        elif L["op"] == "subtract":
            y = cast(add(ins[0], ins[1], -1), type_from_json(L["output_type"]))
        elif L["op"] == "dot":
            acc_t = type_from_json(L["accum_type"])
            acc = Tensor(np.zeros((ins[0].m.shape[0], 1), dtype=object) + 0, acc_t.frac)
            for k in range(L["n_in"]):
                p = Tensor(ins[0].m[:, k:k + 1] * ins[1].m[:, k:k + 1], ins[0].f + ins[1].f)
                acc = cast(add(acc, cast(p, acc_t)), acc_t)
            y = cast(acc, type_from_json(L["output_type"]))
        else:
            raise NotImplementedError(L["op"])
        env[L["output"]] = y
    S = spec["score"]
    if S["op"] == "sum_of_squares":
        mu = env[S["input"]]
        sq_t, acc_t = type_from_json(S["square_type"]), type_from_json(S["accum_type"])
        sq = cast(mul(mu, mu), sq_t)
        acc = Tensor(np.zeros((mu.m.shape[0], 1), dtype=object) + 0, acc_t.frac)
        for k in range(S["n"]):
            acc = cast(add(acc, Tensor(sq.m[:, k:k + 1], sq.f)), acc_t)
        score = cast(acc, type_from_json(S["output_type"]))
        return mu, score
    score = cast(env[S["input"]], type_from_json(S["output_type"]))
    mo = spec["model_output"]["tensor"]
    return (None if mo == S["input"] else env[mo]), score


# =========================================================================== driver
def read_csv(path):
    with open(path) as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def compare(got, want, label):
    """got, want: 2-D object arrays of Fractions.  Prints and returns #bit-exact rows."""
    assert got.shape == want.shape, f"{label}: shape {got.shape} vs {want.shape}"
    eq = got == want
    ok = int(eq.all(axis=1).sum())
    print(f"  {label}: {ok}/{got.shape[0]} bit-exact"
          + ("" if ok == got.shape[0] else
             f"  (mismatching values per column: {(~eq).sum(axis=0).tolist()};"
             f" first bad event {int(np.argmin(eq.all(axis=1)))})"))
    return ok == got.shape[0]


def main(argv):
    if len(argv) < 3:
        print("usage: reference_check.py SPEC.json OUT_DIR [REFERENCE.csv [INPUTS.csv]]", file=sys.stderr)
        return 2
    spec_path, out_dir = argv[1], argv[2]
    with open(spec_path) as fh:
        spec = json.load(fh)
    version = spec["model"].split("_")[-1].lower()           # "AXOL1TL_v1" -> "v1"
    vec_dir = os.path.join(os.path.dirname(os.path.abspath(spec_path)), "vectors")
    ref_path = argv[3] if len(argv) > 3 else os.path.join(vec_dir, f"axol1tl_{version}_reference.csv")
    in_path = argv[4] if len(argv) > 4 else os.path.join(vec_dir, "axol1tl_inputs.csv")

    _, in_rows = read_csv(in_path)
    raw = np.array(in_rows, dtype=object)                    # exact decimal strings
    print(f"{spec['model']}: {raw.shape[0]} events from {in_path}")

    interp = Interpreter(os.path.join(out_dir, "model.onnx"), os.path.join(out_dir, "config.json"))
    assert len(interp.graph_inputs) == 1 and len(interp.graph_outputs) == 1
    out = interp.run({interp.graph_inputs[0]: raw})[interp.graph_outputs[0]].to_fractions()
    print(f"  graph output {interp.graph_outputs[0]}: shape {list(out.shape)} (score = last column)")
    ok = True

    mo, score = run_spec(spec, raw)
    direct = score if mo is None else Tensor(np.concatenate([mo.at(max(mo.f, score.f)),
                                                             score.at(max(mo.f, score.f))], axis=1),
                                             max(mo.f, score.f))
    ok &= compare(out, direct.to_fractions(), "ONNX graph vs JSON-direct model (all columns)")

    if ref_path != "-" and os.path.exists(ref_path):
        hdr, ref_rows = read_csv(ref_path)
        ref = np.vectorize(Fraction, otypes=[object])(np.array(ref_rows, dtype=object)[:, 1:])
        assert [int(r[0]) for r in ref_rows] == list(range(len(ref_rows)))
        ok &= compare(out, ref, f"vs CMS emulator {os.path.basename(ref_path)} ({', '.join(hdr[1:3])}, ..., {hdr[-1]})")
        ok &= compare(out[:, -1:], ref[:, -1:], "score column only")
    else:
        print("  no CMS reference vectors for this version; ran without error")
    scores = out[:, -1]
    print(f"  score: min {float(min(scores))}, max {float(max(scores))}, mean {float(sum(scores)) / len(scores):.4f}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
