"""nanogate quickstart: from a Brevitas QAT model in a notebook to verified firmware.

    .venv/bin/python examples/quickstart.py [--out-dir quickstart_prj] [--epochs 40] [--no-synth]

1. trains a small quantized MLP (64→32→16→10, 4-bit weights and activations,
   power-of-two scales) with Brevitas on scikit-learn's digits (a real data set
   shipped inside the scikit-learn wheel), next to a float reference MLP;
2. converts the PyTorch module with `nanogate.convert` (Brevitas' QONNX export
   under the hood) and predicts the test set with the bit-exact emulator;
3. writes the Verilog RTL, co-simulates it with Verilator against the emulators
   (`verify`), synthesizes it with Yosys for a Xilinx 7-series target (`synth`);
4. prints float vs firmware accuracy and the resource / latency summary.

Under 3 minutes on a 2-core machine (training ~20 s, Verilator ~30 s, Yosys
~100 s; --no-synth skips the last).
"""
import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_default as td  # noqa: E402  (the digits data, models and training loop)

import nanogate  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default="quickstart_prj")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--clock-period", type=float, default=5.0, help="ns")
    ap.add_argument("--no-synth", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    torch.set_num_threads(1)
    td.seed_all()
    x_tr, x_te, y_tr, y_te = td.load_data()

    fmodel = td.train(td.FloatMLP(), x_tr, y_tr, args.epochs, lr=1e-2)
    qmodel = td.train(td.build_qmodel(), x_tr, y_tr, args.epochs, lr=1e-2)
    acc_float = float((td.predict(fmodel, x_te).argmax(1) == y_te).mean())
    y_brevitas = td.predict(qmodel, x_te)
    print(f"[{time.time() - t0:5.1f} s] trained: float MLP {acc_float:.4f}, Brevitas QAT MLP "
          f"{(y_brevitas.argmax(1) == y_te).mean():.4f} test accuracy")

    fw = nanogate.convert(qmodel, input_shape=(64,), output_dir=args.out_dir, clock_period=args.clock_period)
    y_fw = fw.predict(x_te)
    acc_fw = float((y_fw.argmax(1) == y_te).mean())
    exact = int((y_fw == y_brevitas).all(axis=1).sum())
    print(f"[{time.time() - t0:5.1f} s] firmware emulation: accuracy {acc_fw:.4f}; "
          f"{exact}/{len(y_te)} events bit-exact with Brevitas")

    fw.write(force=True)
    v = fw.verify(10_000)
    print(f"[{time.time() - t0:5.1f} s] Verilator co-simulation: {v['exact']}/{v['vectors']} bit-exact")
    if not args.no_synth:
        fw.synth("xc7", quiet=True)
        print(f"[{time.time() - t0:5.1f} s] Yosys synthesis done")

    rep = fw.report()
    lat, tot = rep["latency"], rep["totals"]
    print()
    print(fw.summary())
    print(f"float accuracy      {acc_float:.4f}")
    print(f"firmware accuracy   {acc_fw:.4f}   (bit-exact with Brevitas on {exact}/{len(y_te)})")
    print(f"latency             {lat['cycles']} cycles = {lat['ns']:.1f} ns at {lat['clock_period_ns']} ns, II = 1")
    print(f"adders              {tot['adders']} ({tot['adder_bits']} adder bits)")
    if "synth" in rep:
        s = rep["synth"]["xc7"]
        print(f"xc7 (Yosys)         {s['luts']} LUTs, {s['ffs']} FFs, {s['dsps']} DSPs, {s['carries']} CARRY4")
    print(f"RTL verification    {v['exact']}/{v['vectors']} vectors bit-exact (Verilator vs emulators)")
    print(f"project             {Path(args.out_dir).resolve()}   ({time.time() - t0:.0f} s in all)")
    return 0 if (v["bit_exact"] and exact == len(y_te)) else 1


if __name__ == "__main__":
    sys.exit(main())
