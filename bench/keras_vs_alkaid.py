#!/usr/bin/env python3
"""HGQ2 Keras models through nanogate and alkaid 0.8.2, synthesized by the same Yosys script
(the one `nanogate synth --family xc7` writes: synth_xilinx -family xc7 -flatten -noiopad
-noclkbuf -nodsp, stat -tech xilinx, sta over cell delays), at the same latency in cycles:
nanogate pipelines for the clock (--register-ports: inputs and outputs registered, as alkaid's
pipelines are) and alkaid gets exactly as many stages (`--n-stages cycles - 1`; its input and
output registers add one); `--clock-period 0` builds both combinational (alkaid
`--latency-cutoff 0`). Both outputs are first checked against HGQ2's forward.

Suites (`--suite`): `cicada` — the CICADA-class model (examples/cicada/cicada_v2_hgq2.keras),
its conv layer alone and the whole design, on synthetic calorimeter events
(examples/cicada/train.py, seed 17); `hgq2` — the five HGQ2 jet taggers of
../shared/models/hgq2/jsc_openml (the HGQ/alkaid papers' benchmark), on 16 features half
N(0,1), half N(0,4) (seed 0; the input quantizers' WRAP then wraps some).

Regenerate (from the repository root, after `bash scripts/test.sh`; alkaid in its own venv,
the project's keras/hgq2/torch borrowed through PYTHONPATH):

    python3 -m venv /tmp/alk-venv && /tmp/alk-venv/bin/pip install alkaid==0.8.2
    PYTHONPATH=$PWD/.venv/lib/python3.11/site-packages KERAS_BACKEND=torch \\
        /tmp/alk-venv/bin/python bench/keras_vs_alkaid.py --suite cicada --clock-period 6.25
    PYTHONPATH=$PWD/.venv/lib/python3.11/site-packages KERAS_BACKEND=torch \\
        /tmp/alk-venv/bin/python bench/keras_vs_alkaid.py --suite hgq2 --clock-period 0
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "examples" / "cicada"))
sys.dont_write_bytecode = True
from rtl_vs_da4ml import parse_stat, peer_script, run  # noqa: E402  (one Yosys script and log parser for every bench)
from hgq2_vs_alkaid import jsc_events, jsc_models  # noqa: E402  (the HGQ2 suite's models and events)
from train import events  # noqa: E402

NICE = ["nice", "-n", "5"]


def cicada_designs(work, n):
    """{name: (.keras, model)}: the conv layer alone (a sub-model ending at its ReLU) and the whole
    model; n calorimeter events (NHWC)."""
    import hgq  # noqa: F401
    import keras

    full = ROOT / "examples" / "cicada" / "cicada_v2_hgq2.keras"
    m = keras.models.load_model(full)
    conv = keras.Model(m.input, m.get_layer("conv").output, name="cicada_conv")
    conv.save(work / "cicada_conv.keras")
    x, _ = events(n, 0.3, 17)
    return {"conv layer": (work / "cicada_conv.keras", conv), "whole design": (full, m)}, x.transpose(0, 2, 3, 1)


def hgq2_designs(work, n):
    """{name: (.keras, model)}: the five HGQ2 jet taggers, by EBOPs; n events of 16 features."""
    import hgq  # noqa: F401
    import keras

    return {p.stem.replace("jsc_openml_", ""): (p, keras.models.load_model(p, compile=False))
            for p in jsc_models()}, jsc_events(n)


SUITES = {"cicada": cicada_designs, "hgq2": hgq2_designs}


def nanogate(args, name, model, work):
    d = work / f"ng_{name}"
    shutil.rmtree(d, ignore_errors=True)
    cmd = [args.nanogate, "convert", model, "-o", d, "--clock-period", args.clock_period, "--family", "xc7"]
    if args.clock_period > 0:
        cmd.append("--register-ports")
    _, t_conv = run(cmd)
    _, t_syn = run(NICE + [args.nanogate, "synth", d, "--family", "xc7"])
    rep = json.load(open(d / "report.json"))
    syn = rep["synth"]["xc7"]
    out, _ = run([args.nanogate, "verify", d, "--vectors", args.vectors])
    m = re.search(r"(\d+)/(\d+) bit-exact", out)
    return {"cycles": rep["latency"]["cycles"], "luts": syn["luts"], "ffs": syn["ffs"], "carry4": syn.get("carries"),
            "cell_delay_ns": syn.get("cell_delay_ns"), "convert_s": t_conv, "synth_s": t_syn,
            "verify": m.group(0) if m else out.strip()[-80:], "ys": (d / "synth_xc7.ys").read_text()}


def alkaid(args, name, model, cycles, ys_template, work):
    d = work / f"alk_{name}"
    shutil.rmtree(d, ignore_errors=True)
    cmd = [Path(sys.executable).parent / "alkaid", "convert", model, d, "--flavor", "verilog", "-c", args.clock_period]
    cmd += ["--n-stages", max(1, cycles - 1)] if cycles > 0 else ["--latency-cutoff", 0]
    _, t_conv = run(cmd)
    src = sorted(str(p.relative_to(d / "src")) for p in (d / "src").rglob("*.v")
                 if not p.name.endswith("_wrapper.v") and p.name != "lookup_table.v")
    top = json.load(open(d / "metadata.json")).get("name") if (d / "metadata.json").exists() else None
    if not top:
        tops = [p.stem for p in (d / "src").glob("*.v") if not p.name.endswith("_wrapper.v")]
        top = sorted(tops, key=len)[0]
    (d / "src" / "synth_xc7.ys").write_text(peer_script(ys_template, src, top))
    _, t_syn = run(NICE + ["yosys", "-q", "-l", "synth_xc7.log", "-s", "synth_xc7.ys"], cwd=d / "src")
    return {"convert_s": t_conv, "synth_s": t_syn, **parse_stat((d / "src" / "synth_xc7.log").read_text())}


def exactness(model, km, x):
    """nanogate's emulation and alkaid's traced model against HGQ2's forward, events equal."""
    from alkaid.converter import trace_model
    from alkaid.trace import trace

    want = np.asarray(km.predict(x.astype(np.float32), batch_size=len(x), verbose=0)).reshape(len(x), -1)
    inp, out = trace_model(km)
    alk = np.asarray(trace(inp, out).predict(x.reshape(len(x), -1).astype(np.float64))).reshape(want.shape)
    np.save(ARGS.work + "/x.npy", x.reshape(len(x), -1).astype(np.float64))
    run([ARGS.nanogate, "emulate", model, "--input", ARGS.work + "/x.npy", "--output", ARGS.work + "/y.npy",
         "--force"])
    ng = np.load(ARGS.work + "/y.npy").reshape(want.shape)
    return int((ng == want).all(axis=1).sum()), int((alk == want).all(axis=1).sum())


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nanogate", default=str(ROOT / "build" / "nanogate"))
    ap.add_argument("--clock-period", type=float, default=6.25)
    ap.add_argument("--vectors", type=int, default=10000)
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--suite", choices=sorted(SUITES), default="cicada")
    ap.add_argument("--work", default="/tmp/keras_vs_alkaid")
    ap.add_argument("--only", help="one design of the suite only (its name in the table)")
    ARGS = args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    suite, x = SUITES[args.suite](work, args.events)
    print(f"clock {args.clock_period} ns; Yosys xc7 -nodsp; {args.events} events for exactness, "
          f"{args.vectors} vectors for verify")
    print(f"{'design':13s} {'tool':8s} {'==HGQ2':>12s} {'cycles':>6s} {'LUTs':>7s} {'FFs':>7s} {'CARRY4':>7s} "
          f"{'cell ns':>8s} {'convert s':>9s} {'synth s':>8s}  verify")
    for name, (model, km) in suite.items():
        if args.only and name != args.only:
            continue
        eq_ng, eq_alk = exactness(model, km, x)
        key = name.replace(" ", "_")
        ng = nanogate(args, key, model, work)
        alk = alkaid(args, key, model, ng["cycles"], ng["ys"], work)
        n = len(x)
        print(f"{name:13s} {'nanogate':8s} {f'{eq_ng}/{n}':>12s} {ng['cycles']:6d} {ng['luts']:7d} {ng['ffs']:7d} "
              f"{ng['carry4'] or 0:7d} {ng['cell_delay_ns'] or 0:8.2f} {ng['convert_s']:9.1f} {ng['synth_s']:8.1f}  {ng['verify']}")
        print(f"{'':13s} {'alkaid':8s} {f'{eq_alk}/{n}':>12s} {ng['cycles']:6d} {alk['luts']:7d} {alk['ffs']:7d} "
              f"{alk['carry4']:7d} {alk['cell_delay_ns'] or 0:8.2f} {alk['convert_s']:9.1f} {alk['synth_s']:8.1f}")
        print(f"{'':13s} {'ratio':8s} {'':>12s} {'':>6s} {ng['luts'] / alk['luts']:7.3f} {ng['ffs'] / max(alk['ffs'], 1):7.3f} "
              f"{(ng['carry4'] or 0) / max(alk['carry4'], 1):7.3f} {(ng['cell_delay_ns'] or 0) / (alk['cell_delay_ns'] or 1):8.3f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
