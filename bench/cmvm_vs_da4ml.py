#!/usr/bin/env python3
"""nanogate's CMVM optimizer vs da4ml 0.6.0, measured in one run.

For each matrix, both tools build a shift-and-add adder graph of
y_j = sum_i W[i, j] x_i (W: n_in x n_out integers, x_i integers in [lo, hi]);
the script prints adders, total cost (sum of adder output widths in bits,
computed the same way for both from the exact integer interval of every
adder), adder depth and solve time (best of --repeat), and the ratios
nanogate / da4ml.

Matrices: --random random 16x16 8-bit matrices (8-bit signed inputs), and the
four Dense layers of ../shared/models/jet/qkeras_jettagging.onnx (QONNX Quant
weights, scale 2^-5, 6 bits -> integers in [-32, 31]; inputs: the first layer
16-bit signed, the others the 6-bit unsigned ReLU Quant outputs).

Setup (a scratch venv keeps the project's .venv untouched):
    python3 -m venv /tmp/da4ml-venv && /tmp/da4ml-venv/bin/pip install -r bench/requirements.txt
    cmake --build build --target bench_cmvm
    /tmp/da4ml-venv/bin/python bench/cmvm_vs_da4ml.py --bench build/bench_cmvm
"""
import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def width(lo: int, hi: int) -> int:
    """Bits of the smallest signed (lo < 0) or unsigned type holding [lo, hi]
    (same rule as nanogate::cmvm::bit_width)."""
    if lo >= 0:
        return int(hi).bit_length()
    w = 1
    while not (-(1 << (w - 1)) <= lo and hi < (1 << (w - 1))):
        w += 1
    return w


def da4ml_metrics(W, lo, hi, dc, repeat):
    from da4ml.cmvm import solve

    qint = [(float(lo[i]), float(hi[i]), 1.0) for i in range(W.shape[0])]
    kw = {} if dc < 0 else {'hard_dc': dc}
    # C order: da4ml 0.6.0's solve reads the buffer of a non-contiguous array (e.g. a transposed
    # view) as if it were C-contiguous, and then solves a different matrix.
    Wf = np.ascontiguousarray(W, dtype=np.float32)
    best, sol = math.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        sol = solve(Wf, qintervals=qint, **kw)
        best = min(best, time.perf_counter() - t)
    assert np.array_equal(sol.kernel, Wf), 'da4ml solution is not exact'
    adders, bits = 0, 0
    for st in sol.solutions:
        for op in st.ops:
            if op.opcode not in (0, 1):  # 0: add, 1: sub; -1: input
                continue
            adders += 1
            mn, mx, step = op.qint
            bits += width(round(mn / step), round(mx / step))
    lat = sol.latency[1]  # adder_size = carry_size = -1: one unit per adder
    return {'adders': adders, 'cost_bits': bits, 'depth': int(lat), 'solve_s': best}


def nanogate_metrics(bench, W, lo, hi, dc, repeat):
    with tempfile.TemporaryDirectory() as d:
        np.save(f'{d}/w.npy', W.astype(np.int64))
        np.save(f'{d}/r.npy', np.stack([lo, hi], axis=1).astype(np.int64))
        out = subprocess.run([bench, f'{d}/w.npy', '--ranges', f'{d}/r.npy', '--dc', str(dc), '--repeat', str(repeat)],
                             check=True, capture_output=True, text=True).stdout
    m = json.loads(out)
    assert m['exact'], 'nanogate solution is not exact'
    return m


def jet_layers():
    import onnx
    from onnx import numpy_helper

    path = ROOT.parent / 'shared/models/jet/qkeras_jettagging.onnx'
    if not path.exists():
        return []
    m = onnx.load(str(path))
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    quant_w = {}
    for n in m.graph.node:
        if n.op_type == 'Quant' and n.input[0] in init and init[n.input[0]].ndim == 2:
            scale = float(init[n.input[1]])
            bits = int(init[n.input[3]])
            w = np.round(init[n.input[0]] / scale)
            quant_w[n.output[0]] = np.clip(w, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1).astype(np.int64)
    layers = []
    for n in m.graph.node:
        if n.op_type == 'MatMul' and n.input[1] in quant_w:
            W = quant_w[n.input[1]]
            if n.input[0] == m.graph.input[0].name:
                lo, hi = -(2 ** 15), 2 ** 15 - 1
            else:
                lo, hi = 0, 63
            layers.append((f'jet {n.name} {W.shape[0]}x{W.shape[1]}', W, lo, hi))
    return layers


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--bench', default=str(ROOT / 'build/bench_cmvm'), help='path of the bench_cmvm executable')
    ap.add_argument('--random', type=int, default=5, help='number of random 16x16 8-bit matrices')
    ap.add_argument('--dc', type=int, nargs='+', default=[-1, 2], help='delay constraints (-1: none)')
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--no-jet', action='store_true')
    args = ap.parse_args()
    import da4ml

    rng = np.random.default_rng(2025)
    cases = []
    for k in range(args.random):
        cases.append((f'random16x16 #{k}', rng.integers(-128, 128, (16, 16)), -128, 127))
    if not args.no_jet:
        cases += jet_layers()

    keys = ['adders', 'cost_bits', 'depth', 'solve_s']
    print(f'da4ml {da4ml.__version__}; nanogate {args.bench}; best of {args.repeat} solves; depth in adders')
    hdr = f'{"matrix":<26}{"dc":>3} | ' + ' | '.join(f'{k:>27}' for k in keys)
    print(hdr)
    print(f'{"":<26}{"":>3} | ' + ' | '.join(f'{"nanogate":>9}{"da4ml":>9}{"ratio":>9}' for _ in keys))
    totals = {dc: {k: [0.0, 0.0] for k in keys} for dc in args.dc}
    for dc in args.dc:
        for name, W, lo, hi in cases:
            n_in = W.shape[0]
            lo_v, hi_v = np.full(n_in, lo), np.full(n_in, hi)
            a = nanogate_metrics(args.bench, W, lo_v, hi_v, dc, args.repeat)
            b = da4ml_metrics(W, lo_v, hi_v, dc, args.repeat)
            cells = []
            for k in keys:
                totals[dc][k][0] += a[k]
                totals[dc][k][1] += b[k]
                fa = f'{a[k]:9.4f}' if k == 'solve_s' else f'{a[k]:9d}'
                fb = f'{b[k]:9.4f}' if k == 'solve_s' else f'{b[k]:9d}'
                cells.append(f'{fa}{fb}{a[k] / b[k] if b[k] else float("nan"):9.3f}')
            print(f'{name:<26}{dc:>3} | ' + ' | '.join(cells))
            sys.stdout.flush()
        t = totals[dc]
        print(f'{"TOTAL":<26}{dc:>3} | ' + ' | '.join(
            f'{t[k][0]:9.6g} {t[k][1]:8.6g}{t[k][0] / t[k][1]:9.3f}' for k in keys))


if __name__ == '__main__':
    main()
