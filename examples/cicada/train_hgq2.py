#!/usr/bin/env python3
"""Train the CICADA v2 student architecture with HGQ2 (Keras 3, torch backend) on the same
synthetic calorimeter events as train.py, and save ``cicada_v2_hgq2.keras``.

HGQ2 learns a bit width per weight and per input element (its default KBI quantizers:
RND, SAT_SYM for weights, WRAP for the data lanes) under an EBOPs penalty, the way the
HGQ/alkaid papers train trigger models; the architecture is train.py's::

    input 18x14x1 (channels_last)
    -> QConv2D 4 filters 2x2, stride 2, valid, no bias, ReLU
    -> Flatten -> QDense 16, ReLU -> QDense 1 (the score)

This file is what bench/keras_vs_alkaid.py --suite cicada compares nanogate against alkaid 0.8.2 on (the
same .keras for both), and what tests/python/test_cicada.py checks against HGQ2's own
forward bit for bit.

Usage::

    .venv/bin/python examples/cicada/train_hgq2.py [--out PATH] [--epochs N]
"""
import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from hgq.layers import QConv2D, QDense  # noqa: E402

from train import SEED, events  # noqa: E402  (the documented generator; no training on import)


def build():
    inp = keras.Input((18, 14, 1), name="regions")
    h = QConv2D(4, 2, strides=2, use_bias=False, activation="relu", name="conv")(inp)
    h = keras.layers.Flatten(name="flatten")(h)
    h = QDense(16, activation="relu", name="dense1")(h)
    out = QDense(1, name="score")(h)
    return keras.Model(inp, out, name="cicada_v2_hgq2")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "cicada_v2_hgq2.keras"))
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(1)
    keras.utils.set_random_seed(SEED)
    x, y = events(20000, 0.3, SEED)
    xv, yv = events(2000, 0.3, SEED + 1)
    x, xv = x.transpose(0, 2, 3, 1), xv.transpose(0, 2, 3, 1)  # NCHW -> channels_last
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    model.fit(x, y, epochs=args.epochs, batch_size=256, verbose=0)
    pv = model.predict(xv, batch_size=2000, verbose=0)
    print(f"validation: mse {np.mean((pv - yv) ** 2):.2f}, corr {np.corrcoef(pv[:, 0], yv[:, 0])[0, 1]:.3f}")
    deployed = build()  # the same weights (quantizer bit widths included) without the optimizer's state
    deployed.set_weights(model.get_weights())
    deployed.save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
