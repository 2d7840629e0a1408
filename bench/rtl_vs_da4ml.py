#!/usr/bin/env python3
"""nanogate vs da4ml 0.6.0: CMVM adder graphs and whole RTL designs, measured in one run.

Regenerate (from the repository root, ../shared beside it):

    python3 -m venv /tmp/da4ml-venv && /tmp/da4ml-venv/bin/pip install -r bench/requirements.txt
    cmake --build build --target nanogate bench_cmvm
    /tmp/da4ml-venv/bin/python bench/rtl_vs_da4ml.py --vectors 100000 | tee /tmp/rtl_vs_da4ml.txt

Part 1, matrix rows: for every Dense layer of jet/qkeras_jettagging.onnx,
mnist/TFC_2W2A.onnx, AXOL1TL v1 and v4 (../shared/models/axol1tl/*.json) and
--random random 16x16 8-bit matrices, both CMVM solvers build the adder graph
of y = W^T x on the integer weight codes with the layer's integer input range
(bench/cmvm_vs_da4ml.py's accounting: adders, total adder output bits, adder
depth, solve time best of --repeat), delay constraint --dc for both.

Part 2, whole designs: nanogate converts each model to Verilog (`nanogate
convert --clock-period P --dc D --register-ports`: registered inputs and outputs
like da4ml's, so that the same latency in cycles means the same number of logic
stages; --unregistered-ports drops the flag), `nanogate synth --family xc7` reports LUTs
and FFs, `nanogate verify --vectors N` checks it bit-exact. da4ml builds the
same network with its own tracing front end (da4ml.trace: FixedVariableArray
inputs, quantize/relu, `x @ W` through its CMVM solver, comb_trace), pipelined
by da4ml.trace.to_pipeline to the same latency in clock cycles as nanogate's
design (latency_cutoff searched; --clock-period 0 makes both combinational),
written by da4ml.codegen.RTLModel (Verilog), and synthesized with the same
Yosys script nanogate wrote (synth_xilinx -family xc7 -flatten -noiopad
-noclkbuf -nodsp; stat -tech xilinx), only the read_verilog lines and -top
changed. da4ml's design is also run through its own interpreter
(CombLogic.predict) against `nanogate emulate --raw` on random inputs, so the
two designs are shown to compute the same function.

Semantics differences (da4ml's quantizers know TRN and RND only): where the
model rounds RND_CONV (ties to even: jet's activation Quant, AXOL1TL's input
and mu casts) da4ml's design rounds RND (ties up). The synthesized designs keep
the model's rounding; the emulate cross-check switches nanogate's to da4ml's
(configured casts RND, unsigned activation Quants HALF_UP; AXOL1TL's inputs
avoid its input cast's ties), so it compares the networks, not the tie rule.
TFC_2W2A's whole design is nanogate's only: a da4ml build of the network
would need its BatchNorm-folded thresholds and float tail traced by hand,
which is not written here.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / 'shared/models'
sys.path.insert(0, str(ROOT / 'bench'))
from cmvm_vs_da4ml import da4ml_metrics, jet_layers, nanogate_metrics  # noqa: E402

NICE = ['nice', '-n', '10']


# ---------------------------------------------------------------------------
# Part 1: matrices


def quant_codes(init, q):
    """Integer codes of a QONNX Quant on a constant (scale/zero-point per tensor or channel)."""
    x = init[q.input[0]]
    scale, zp, bits = init[q.input[1]], init[q.input[2]], int(init[q.input[3]])
    attrs = {a.name: a.i for a in q.attribute if a.type == 2}
    signed, narrow = attrs.get('signed', 1), attrs.get('narrow', 0)
    lo, hi = quant_range(bits, signed, narrow)
    return np.clip(np.round(x / scale + zp), lo, hi).astype(np.int64)


def quant_range(bits, signed, narrow):
    if signed:
        return -(2 ** (bits - 1)) + int(narrow), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1 - int(narrow)


def tfc_layers():
    import onnx
    from onnx import numpy_helper

    path = SHARED / 'mnist/TFC_2W2A.onnx'
    m = onnx.load(str(path))
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    prod = {o: n for n in m.graph.node for o in n.output}
    layers = []
    for n in m.graph.node:
        if n.op_type != 'MatMul':
            continue
        w = prod[n.input[1]]
        transpose = w.op_type == 'Transpose'
        if transpose:
            w = prod[w.input[0]]
        assert w.op_type == 'Quant' and w.input[0] in init
        W = quant_codes(init, w)
        if transpose:
            W = np.ascontiguousarray(W.T)  # da4ml's solve misreads non-contiguous arrays
        q = prod[n.input[0]]
        assert q.op_type == 'Quant', f'{n.name}: input is not quantized'
        attrs = {a.name: a.i for a in q.attribute if a.type == 2}
        lo, hi = quant_range(int(init[q.input[3]]), attrs.get('signed', 1), attrs.get('narrow', 0))
        layers.append((f'TFC {n.name} {W.shape[0]}x{W.shape[1]}', W, lo, hi))
    return layers


def kif_range(t):
    """Integer code range of an AXOL1TL JSON type."""
    w = t['width']
    return (-(2 ** (w - 1)), 2 ** (w - 1) - 1) if t['signed'] else (0, 2**w - 1)


def axol_layers(v):
    spec = json.load(open(SHARED / f'axol1tl/axol1tl_v{v}.json'))
    layers = []
    for L in spec['layers']:
        if L['op'] != 'dense':
            continue
        fw = L['weight_type']['frac_bits']
        W = np.array(L['weights'], dtype=np.float64) * 2.0**fw
        assert np.all(W == np.round(W))
        lo, hi = kif_range(L['input_type'])
        layers.append((f'AXOL1TL v{v} {L["name"]} {W.shape[0]}x{W.shape[1]}', W.astype(np.int64), lo, hi))
    return layers


def matrix_rows(args):
    rng = np.random.default_rng(2025)  # the same random matrices as bench/cmvm_vs_da4ml.py
    cases = [(f'random16x16 #{k}', rng.integers(-128, 128, (16, 16)), -128, 127) for k in range(args.random)]
    cases += jet_layers() + tfc_layers() + axol_layers(1) + axol_layers(4)
    rows = []
    for name, W, lo, hi in cases:
        lo_v, hi_v = np.full(W.shape[0], lo), np.full(W.shape[0], hi)
        rep = 1 if W.size > 10000 else args.repeat  # TFC's 784x64: one solve each (da4ml takes minutes)
        a = nanogate_metrics(args.bench, W, lo_v, hi_v, args.dc, rep)
        try:
            b = da4ml_metrics(W, lo_v, hi_v, args.dc, rep)
        except AssertionError as e:  # da4ml's kernel differs from W: no valid row
            print(f'  {name:<34} adders {a["adders"]:6d} / -  da4ml FAILED: {e}', flush=True)
            rows.append({'matrix': name, 'ng': a, 'error': f'da4ml: {e}'})
            continue
        rows.append({'matrix': name, 'nz': int(np.count_nonzero(W)), 'ng': a, 'da': b})
        print(f'  {name:<34} adders {a["adders"]:6d} / {b["adders"]:6d}  bits {a["cost_bits"]:7d} / '
              f'{b["cost_bits"]:7d}  depth {a["depth"]:2d} / {b["depth"]:2d}  s {a["solve_s"]:.4f} / {b["solve_s"]:.4f}',
              flush=True)
    return rows


# ---------------------------------------------------------------------------
# Part 2: models for nanogate (ONNX) and the same networks traced in da4ml


def build_random_onnx(path, W):
    """x (float [N,16]) -> Quant int8 -> MatMul with a Quant int8 weight (scale 1)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    dom = 'qonnx.custom_op.general'
    n_in, n_out = W.shape
    inits = [numpy_helper.from_array(W.astype(np.float32), 'W'),
             numpy_helper.from_array(np.array(1.0, np.float32), 'one'),
             numpy_helper.from_array(np.array(0.0, np.float32), 'zero'),
             numpy_helper.from_array(np.array(8.0, np.float32), 'eight')]
    qa = dict(signed=1, narrow=0, rounding_mode='ROUND')
    nodes = [helper.make_node('Quant', ['x', 'one', 'zero', 'eight'], ['xq'], name='quant_in', domain=dom, **qa),
             helper.make_node('Quant', ['W', 'one', 'zero', 'eight'], ['Wq'], name='quant_w', domain=dom, **qa),
             helper.make_node('MatMul', ['xq', 'Wq'], ['y'], name='dense')]
    g = helper.make_graph(nodes, 'random16x16', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', n_in])],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', n_out])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13), helper.make_opsetid(dom, 1)])
    m.ir_version = 8
    onnx.save(m, str(path))


def strip_softmax(src, dst):
    """The model without its final Softmax (what `nanogate convert` implements; `emulate` would apply it)."""
    import onnx

    m = onnx.load(str(src))
    sm = [n for n in m.graph.node if n.op_type == 'Softmax'][-1]
    assert sm.output[0] == m.graph.output[0].name
    m.graph.node.remove(sm)
    for n in m.graph.node:
        for k, o in enumerate(n.output):
            if o == sm.input[0]:
                n.output[k] = sm.output[0]
    onnx.save(m, str(dst))


def balanced_sum(terms):
    terms = list(terms)
    while len(terms) > 1:
        nxt = [terms[k] + terms[k + 1] for k in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            nxt.append(terms[-1])
        terms = nxt
    return terms[0]


def fva(vars_):
    from da4ml.trace import FixedVariableArray

    return FixedVariableArray(np.array(vars_, dtype=object))


def da4ml_random(W, dc):
    from da4ml.trace import FixedVariableArrayInput

    inp = FixedVariableArrayInput(W.shape[0], solver_options={'hard_dc': dc})
    x = inp.quantize(1, 7, 0)
    return inp, x @ W.astype(np.float64)


def da4ml_jet(dc):
    """qkeras_jettagging without its Softmax, from the ONNX weights (nanogate inspect: input fixed<16,6>,
    weights/bias fixed<6,1>, exact accumulators, Relu + Quant ufixed<6,0,RND_CONV,SAT>)."""
    import onnx
    from da4ml.trace import FixedVariableArrayInput
    from onnx import numpy_helper

    m = onnx.load(str(SHARED / 'jet/qkeras_jettagging.onnx'))
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    prod = {o: n for n in m.graph.node for o in n.output}
    cons = {}
    for n in m.graph.node:
        for i in n.input:
            cons.setdefault(i, []).append(n)

    def qval(name):  # float value of a Quant on a constant
        q = prod[name]
        return quant_codes(init, q) * float(init[q.input[1]])

    inp = FixedVariableArrayInput(16, solver_options={'hard_dc': dc})
    x = inp.quantize(1, 5, 10)  # fixed<16,6>
    mats = [n for n in m.graph.node if n.op_type == 'MatMul']
    for li, n in enumerate(mats):
        W = qval(n.input[1])
        add = cons[n.output[0]][0]
        assert add.op_type == 'Add'
        b = qval(add.input[1] if add.input[0] == n.output[0] else add.input[0])
        y = x @ W + b
        if li < len(mats) - 1:
            x = y.relu().quantize(0, 0, 6, 'SAT', 'RND')  # ufixed<6,0,RND_CONV,SAT>; da4ml rounds ties up
        else:
            x = y
    return inp, x


def kif(t):
    return int(t['signed']), t['int_bits'] - int(t['signed']), t['frac_bits']


def rnd(t):
    return 'TRN' if t['rounding'] in ('AP_TRN', 'TRN') else 'RND'  # RND, RND_CONV -> RND (da4ml has no RND_CONV)


def ovf(t):
    return 'WRAP' if t['overflow'] in ('AP_WRAP', 'WRAP') else 'SAT'


def qt(v, t):
    k, i, f = kif(t)
    return v.quantize(k, i, f, ovf(t), rnd(t))


def da4ml_axol(ver, dc):
    """AXOL1TL v1/v4 as the CMS emulator (and examples/axol1tl/build_model.py) computes it: input scaling,
    dense (hls4ml dense_latency: per-product casts to accum when accum has fewer fraction bits than the
    products, else one exact CMVM), relu, linear cast, score = sum of squares; outputs mu then score."""
    from da4ml.trace import FixedVariableArrayInput

    spec = json.load(open(SHARED / f'axol1tl/axol1tl_v{ver}.json'))
    sc = spec['input_scaling']
    inp = FixedVariableArrayInput(57, solver_options={'hard_dc': dc})
    x = qt(inp, sc['unscaled_type'])
    xs = []
    for k, v in enumerate(x._vars):
        d = qt(v - float(sc['offsets'][k]), sc['unscaled_type'])
        d = qt(d * 2.0 ** (-int(sc['shifts'][k])), sc['unscaled_type'])
        xs.append(qt(d, sc['input_type']))
    x = fva(xs)
    for L in spec['layers']:
        if L['op'] == 'dense':
            W = np.array(L['weights'], dtype=np.float64)
            b = np.array(L['bias'], dtype=np.float64)
            acc, fp = L['accum_type'], L['input_type']['frac_bits'] + L['weight_type']['frac_bits']
            if acc['frac_bits'] >= fp and ovf(acc) == 'WRAP':
                y = x @ W + b
                y = fva([qt(qt(v, acc), L['output_type']) for v in y._vars])
            else:
                outs = []
                for j in range(W.shape[1]):
                    terms = [qt(x._vars[i] * float(W[i, j]), acc) for i in range(W.shape[0]) if W[i, j] != 0]
                    terms = terms or [x._vars[0] * 0.0]  # an all-zero column: the bias alone
                    s = balanced_sum(terms) + float(b[j])
                    outs.append(qt(qt(s, acc), L['output_type']))
                y = fva(outs)
            x = y
        elif L['op'] == 'relu':
            t = L['output_type']
            x = fva([qt(v.relu(), t) for v in x._vars])
        elif L['op'] == 'linear':
            x = fva([qt(v, L['output_type']) for v in x._vars])
    s = spec['score']
    sq = [qt(v * v, s['square_type']) for v in x._vars]
    score = qt(qt(balanced_sum(sq), s['accum_type']), s['output_type'])
    return inp, fva(list(x._vars) + [score])


# ---------------------------------------------------------------------------
# Part 2: running the flows


def run(cmd, **kw):
    t = time.perf_counter()
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f'{" ".join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}')
    return r.stdout + r.stderr, time.perf_counter() - t


def parse_stat(log):
    """LUT1..6, FD*, CARRY4 and the estimated LCs of the last `stat -tech xilinx` block; the `sta` critical path
    over cell delays (ns, no routing; the script's `sta` step, as `nanogate synth` reports it)."""
    block = log[log.rfind('Number of cells:'):]
    cells = {}
    for m in re.finditer(r'^\s+(\$?\w+)\s+(\d+)\s*$', block, re.M):
        cells[m.group(1)] = int(m.group(2))
    lcs = re.findall(r'Estimated number of LCs:\s+(\d+)', log)
    sta = re.findall(r"Latest arrival time in '[^'\n]*' is (\d+)", log)
    return {'luts': sum(v for k, v in cells.items() if re.fullmatch(r'LUT[1-6]', k)),
            'ffs': sum(v for k, v in cells.items() if k.startswith('FD')),
            'carry4': cells.get('CARRY4', 0), 'lcs': int(lcs[-1]) if lcs else None,
            'dsps': sum(v for k, v in cells.items() if k.startswith('DSP')),
            'cell_delay_ns': int(sta[-1]) / 1000 if sta else None}


def nanogate_design(args, name, model, config, work):
    d = work / f'ng_{name}'
    shutil.rmtree(d, ignore_errors=True)
    cmd = [args.nanogate, 'convert', model, '-o', d, '--backend', 'verilog', '--clock-period', args.clock_period,
           '--dc', args.dc, '--family', 'xc7']
    if config:
        cmd += ['--config', config]
    if args.clock_period > 0 and not args.unregistered_ports:
        cmd += ['--register-ports']  # like da4ml's pipelined RTL: equal cycles then mean equal logic stages
    _, t_conv = run(cmd)
    _, t_syn = run(NICE + [args.nanogate, 'synth', d, '--family', 'xc7'])
    rep = json.load(open(d / 'report.json'))
    syn = rep['synth']['xc7']
    res = {'dir': str(d), 'cycles': rep['latency']['cycles'], 'adders': rep['totals']['adders'],
           'adder_bits': rep['totals']['adder_bits'], 'convert_s': t_conv, 'synth_s': t_syn,
           'luts': syn['luts'], 'ffs': syn['ffs'], 'lcs': syn.get('lcs'), 'carry4': syn.get('carries'),
           'dsps': syn.get('dsps'), 'cell_delay_ns': syn.get('cell_delay_ns'), 'ys': (d / 'synth_xc7.ys').read_text()}
    if args.vectors > 0:
        out, t_ver = run(NICE + [args.nanogate, 'verify', d, '--vectors', args.vectors])
        m = re.search(r'(\d+)/(\d+) bit-exact', out)
        res['verify'] = m.group(0) if m else out.strip().splitlines()[-1]
        res['verify_s'] = t_ver
    return res


def match_pipeline(comb, cycles):
    """da4ml pipeline whose latency (register levels = stages + 1: da4ml registers inputs and outputs)
    equals nanogate's cycles; the largest latency_cutoff giving that many stages."""
    from da4ml.trace import to_pipeline

    target = max(1, cycles - 1)
    hi = max(op.latency for op in comb.ops)
    lo_c, hi_c = 1e-3, hi + 1
    best = None
    for _ in range(40):
        c = (lo_c + hi_c) / 2
        p = to_pipeline(comb, c, verbose=False)
        n = len(p.solutions)
        if n > target:
            lo_c = c
        else:
            hi_c = c
            if n == target or best is None or len(best[0].solutions) < n:
                best = (p, c)
    return best


def peer_script(ys_template, sources, top):
    """nanogate's Yosys script for a peer's design: the same passes, the peer's Verilog files and top."""
    lines = []
    for ln in ys_template.splitlines():
        if ln.startswith('read_verilog ') and '-lib' not in ln:
            lines += [f'read_verilog {s}' for s in sources]
        else:
            lines.append(re.sub(r'-top \S+', f'-top {top}', ln))
    return '\n'.join(lines) + '\n'


def da4ml_design(args, name, builder, cycles, ys_template, work):
    from da4ml.codegen import RTLModel
    from da4ml.trace import comb_trace

    d = work / f'da_{name}'
    shutil.rmtree(d, ignore_errors=True)
    t = time.perf_counter()
    inp, out = builder()
    comb = comb_trace(inp, out)
    t_trace = time.perf_counter() - t
    n_add = sum(1 for op in comb.ops if op.opcode in (0, 1))
    n_cadd = sum(1 for op in comb.ops if op.opcode == 4)
    prj = f'da_{name}'
    stages, cutoff = 0, None
    if args.clock_period > 0:
        pipe, cutoff = match_pipeline(comb, cycles)
        stages = len(pipe.solutions)
        RTLModel(pipe, prj, d, print_latency=False).write()
    else:
        RTLModel(comb, prj, d, print_latency=False).write()
    src = sorted(p.name for p in (d / 'src').glob('*.v') if not p.name.endswith('_wrapper.v'))
    # da4ml's static modules; lookup_table.v reads a placeholder memory file and is only for table ops
    src += sorted(f'static/{p.name}' for p in (d / 'src/static').glob('*.v')
                  if p.name != 'lookup_table.v' or comb.lookup_tables)
    (d / 'src/synth_xc7.ys').write_text(peer_script(ys_template, src, prj))
    log, t_syn = run(NICE + ['yosys', '-q', '-l', 'synth_xc7.log', '-s', 'synth_xc7.ys'], cwd=d / 'src')
    log = (d / 'src/synth_xc7.log').read_text()
    res = {'dir': str(d), 'adders': n_add, 'const_adders': n_cadd, 'stages': stages, 'cutoff': cutoff,
           'trace_s': t_trace, 'synth_s': t_syn, **parse_stat(log)}
    return res, comb


def ties_up_model(src, dst):
    """A copy of a QONNX model whose unsigned activation Quants (input not an initializer) round HALF_UP
    instead of ROUND (ties to even): on non-negative values that is da4ml's RND (ties up). Weight Quants
    and signed activation Quants are left as they are. Returns whether anything changed."""
    import onnx

    m = onnx.load(str(src))
    consts = {t.name for t in m.graph.initializer}
    changed = False
    for n in m.graph.node:
        if n.op_type != 'Quant' or n.input[0] in consts:
            continue
        a = {x.name: x for x in n.attribute}
        if a.get('signed') is not None and a['signed'].i == 0 and a.get('rounding_mode') is not None \
                and a['rounding_mode'].s.upper() in (b'ROUND', b'HALF_EVEN'):
            a['rounding_mode'].s = b'HALF_UP'
            changed = True
    if changed:
        onnx.save(m, str(dst))
    return changed


def cross_check(args, model, config, comb, x, work, name):
    """da4ml's design (its interpreter) vs `nanogate emulate` on the same inputs: events with all outputs equal.
    nanogate's rounding is switched to da4ml's for this check: configured RND_CONV casts become RND, and
    unsigned activation Quants of the model round HALF_UP (= ties up on non-negative values; jet's
    activations). A signed activation Quant with ROUND (AXOL1TL's input cast) stays: the inputs avoid its ties."""
    if config:
        rnd_cfg = work / f'config_rnd_{name}.json'
        rnd_cfg.write_text(Path(config).read_text().replace('RND_CONV', 'RND'))
        config = rnd_cfg
    up = work / f'ties_up_{name}.onnx'
    if ties_up_model(model, up):
        model = up
    np.save(work / f'x_{name}.npy', x)
    cmd = [args.nanogate, 'emulate', model, '--input', work / f'x_{name}.npy', '--output', work / f'y_{name}.npy',
           '--force']
    if config:
        cmd += ['--config', config]
    run(cmd)
    y_ng = np.load(work / f'y_{name}.npy')
    y_da = comb.predict(x.astype(np.float64))
    eq = np.all(y_ng.reshape(len(x), -1) == y_da.reshape(len(x), -1), axis=1)
    return f'{int(eq.sum())}/{len(x)}'


def axol_inputs(rng, v, n):
    """Random hardware integers whose input scaling has no rounding tie at the input cast (RND_CONV in the
    model, RND in da4ml), so the cross-check compares the networks, not the tie rule."""
    sc = json.load(open(SHARED / f'axol1tl/axol1tl_v{v}.json'))['input_scaling']
    off, sh = np.array(sc['offsets'], dtype=np.float64), np.array(sc['shifts'])
    f = sc['input_type']['frac_bits']
    out = []
    while len(out) < n:
        x = rng.integers(0, 512, (4 * n, 57)).astype(np.float64)
        d = np.floor((x - off) * 2.0 ** (5 - sh)) / 32  # unscaled_t has 5 fraction bits
        tie = np.any(np.mod(d * 2**f, 1) == 0.5, axis=1)
        out += list(x[~tie])
    return np.array(out[:n], dtype=np.float32)


def design_cases(args, work):
    rng = np.random.default_rng(2025)
    W = rng.integers(-128, 128, (16, 16))  # = random16x16 #0 of the matrix rows
    build_random_onnx(work / 'random16x16.onnx', W)
    cases = {'random16x16': (work / 'random16x16.onnx', None, lambda: da4ml_random(W, args.dc),
                             lambda n: rng.integers(-128, 128, (n, 16)).astype(np.float32))}
    strip_softmax(SHARED / 'jet/qkeras_jettagging.onnx', work / 'jet_nosoftmax.onnx')
    cases['jet'] = (work / 'jet_nosoftmax.onnx', None, lambda: da4ml_jet(args.dc),
                    lambda n: (rng.integers(-2**13, 2**13, (n, 16)) / 1024).astype(np.float32))  # on fixed<16,6>'s grid
    vec = {}
    for v in (1, 4):
        out = work / f'axol1tl_v{v}'
        run([args.python, ROOT / 'examples/axol1tl/build_model.py', SHARED / f'axol1tl/axol1tl_v{v}.json', out])
        vec[v] = out
        cases[f'axol1tl_v{v}'] = (out / 'model.onnx', out / 'config.json', (lambda v=v: da4ml_axol(v, args.dc)),
                                  lambda n, v=v: axol_inputs(rng, v, n))
    # nanogate only (no da4ml build of TFC's BatchNorm thresholds and float tail here)
    cases['tfc'] = (SHARED / 'mnist/TFC_2W2A.onnx', None, None, None)
    return {k: cases[k] for k in args.designs}


def design_rows(args, work):
    cases = design_cases(args, work)

    def one(name):
        try:
            return one_(name)
        except Exception as e:  # a failed design is reported, the others go on
            print(f'  {name}: FAILED: {e}', flush=True)
            return {'design': name, 'error': str(e)}

    def one_(name):
        model, config, builder, gen = cases[name]
        t = time.perf_counter()
        ng = nanogate_design(args, name, model, config, work)
        da, chk = None, '-'
        if builder is not None:
            da, comb = da4ml_design(args, name, builder, ng['cycles'], ng['ys'], work)
            chk = cross_check(args, model, config, comb, gen(2000), work, name)
        da_txt = f'da4ml {da["luts"]} LUT {da["ffs"]} FF ({da["stages"]} stages)' if da else 'da4ml: not built'
        print(f'  {name}: nanogate {ng["luts"]} LUT {ng["ffs"]} FF ({ng["cycles"]} cycles, {ng.get("verify")}); '
              f'{da_txt}; same outputs {chk}; {time.perf_counter() - t:.0f} s', flush=True)
        ng.pop('ys')
        return {'design': name, 'ng': ng, 'da': da, 'same_outputs': chk}

    with ThreadPoolExecutor(args.jobs) as ex:
        return list(ex.map(one, cases))


# ---------------------------------------------------------------------------


def ratio(a, b):
    return a / b if b else float('nan')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--nanogate', default=str(ROOT / 'build/nanogate'))
    ap.add_argument('--bench', default=str(ROOT / 'build/bench_cmvm'), help='bench_cmvm executable')
    ap.add_argument('--python', default=str(ROOT / '.venv/bin/python') if (ROOT / '.venv/bin/python').exists()
                    else sys.executable, help='python with onnx, for examples/axol1tl/build_model.py')
    ap.add_argument('--work', default='/tmp/rtl_vs_da4ml', help='scratch folder')
    ap.add_argument('--random', type=int, default=5, help='random 16x16 8-bit matrices (matrix rows)')
    ap.add_argument('--dc', type=int, default=2, help='delay constraint for both solvers (-1: none)')
    ap.add_argument('--repeat', type=int, default=3, help='solves per matrix (best time)')
    ap.add_argument('--clock-period', type=float, default=5.0, help='nanogate clock period, ns (0: both combinational)')
    ap.add_argument('--unregistered-ports', action='store_true',
                    help='nanogate without --register-ports (then its N-cycle design has two logic stages more than '
                         "da4ml's)")
    ap.add_argument('--vectors', type=int, default=100000, help='nanogate verify vectors (0: skip)')
    ap.add_argument('--designs', nargs='*', default=['random16x16', 'axol1tl_v4', 'axol1tl_v1', 'jet', 'tfc'],
                    help='tfc: nanogate only')
    ap.add_argument('--jobs', type=int, default=2, help='designs in parallel')
    ap.add_argument('--no-matrices', action='store_true')
    ap.add_argument('--json', default=None, help='write all results here (default WORK/results.json)')
    args = ap.parse_args()
    import da4ml

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    print(f'da4ml {da4ml.__version__}; nanogate {args.nanogate}; dc {args.dc}; clock period {args.clock_period} ns',
          flush=True)
    res = {'da4ml': da4ml.__version__, 'dc': args.dc, 'clock_period': args.clock_period}
    t0 = time.perf_counter()
    if args.designs:
        print('designs:', flush=True)
        res['designs'] = design_rows(args, work)
    if not args.no_matrices:
        print('matrices (nanogate / da4ml):', flush=True)
        res['matrices'] = matrix_rows(args)
    res['elapsed_s'] = time.perf_counter() - t0
    Path(args.json or work / 'results.json').write_text(json.dumps(res, indent=1, default=str))

    # Markdown tables
    if 'matrices' in res:
        print(f'\n| matrix | adders ng / da4ml (ratio) | adder bits ng / da4ml (ratio) | depth ng / da4ml '
              f'| solve s ng / da4ml (ratio) |\n|---|---|---|---|---|')
        tot = {k: [0, 0] for k in ('adders', 'cost_bits', 'depth', 'solve_s')}
        for r in res['matrices']:
            if 'error' in r:
                a = r['ng']
                print(f'| {r["matrix"]} | {a["adders"]} / - | {a["cost_bits"]} / - | {a["depth"]} / - '
                      f'| {a["solve_s"]:.4f} / - ({r["error"]}) |')
                continue
            a, b = r['ng'], r['da']
            for k in tot:
                tot[k][0] += a[k]
                tot[k][1] += b[k]
            print(f'| {r["matrix"]} | {a["adders"]} / {b["adders"]} ({ratio(a["adders"], b["adders"]):.3f}) '
                  f'| {a["cost_bits"]} / {b["cost_bits"]} ({ratio(a["cost_bits"], b["cost_bits"]):.3f}) '
                  f'| {a["depth"]} / {b["depth"]} '
                  f'| {a["solve_s"]:.4f} / {b["solve_s"]:.3f} ({ratio(a["solve_s"], b["solve_s"]):.3f}) |')
        print(f'| **total** | **{tot["adders"][0]} / {tot["adders"][1]} ({ratio(*tot["adders"]):.3f})** '
              f'| **{tot["cost_bits"][0]} / {tot["cost_bits"][1]} ({ratio(*tot["cost_bits"]):.3f})** '
              f'| **{tot["depth"][0]} / {tot["depth"][1]}** '
              f'| **{tot["solve_s"][0]:.3f} / {tot["solve_s"][1]:.3f} ({ratio(*tot["solve_s"]):.3f})** |')
    if 'designs' in res:
        print('\n| design | latency (cycles) ng / da4ml | LUTs ng / da4ml (ratio) | FFs ng / da4ml (ratio) '
              '| CARRY4 ng / da4ml | est. LCs ng / da4ml (ratio) | critical path, Yosys sta (ns) ng / da4ml '
              '| synth s ng / da4ml | same outputs | verify |'
              '\n|---|---|---|---|---|---|---|---|---|---|')
        for r in res['designs']:
            if 'error' in r:
                print(f'| {r["design"]} | failed: {r["error"].splitlines()[0]} |')
                continue
            a, b = r['ng'], r['da']
            if b is None:  # nanogate only
                print(f'| {r["design"]} | {a["cycles"]} / - | {a["luts"]} / - | {a["ffs"]} / - | {a["carry4"]} / - '
                      f'| {a["lcs"]} / - | {a.get("cell_delay_ns")} / - | {a["synth_s"]:.0f} / - | - '
                      f'| {a.get("verify", "-")} |')
                continue
            dl = b['stages'] + 1 if b['stages'] else 0
            print(f'| {r["design"]} | {a["cycles"]} / {dl} | {a["luts"]} / {b["luts"]} ({ratio(a["luts"], b["luts"]):.3f}) '
                  f'| {a["ffs"]} / {b["ffs"]} ({ratio(a["ffs"], b["ffs"]):.3f}) | {a["carry4"]} / {b["carry4"]} '
                  f'| {a["lcs"]} / {b["lcs"]} ({ratio(a["lcs"] or 0, b["lcs"] or 0):.3f}) '
                  f'| {a.get("cell_delay_ns")} / {b.get("cell_delay_ns")} '
                  f'| {a["synth_s"]:.0f} / {b["synth_s"]:.0f} | {r["same_outputs"]} | {a.get("verify", "-")} |')
    print(f'\nelapsed {res["elapsed_s"]:.0f} s', flush=True)


if __name__ == '__main__':
    main()
