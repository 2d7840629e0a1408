#!/usr/bin/env python3
"""Train and export a CICADA-class calorimeter anomaly scorer (the CICADA v2 student
architecture of the CMS Level-1 calorimeter trigger) with Brevitas QAT, fixed seeds.

Architecture (CICADA v2 student; every quantizer a power-of-two fixed-point one, so the
firmware's ports carry the model's own integers)::

    input 18x14x1 region energies, unsigned 10 bit (integers 0..1023, scale 1)
    -> Conv2D 4 filters 2x2 stride 2 valid, no bias, 12-bit weights -> ReLU (10-bit unsigned)
    -> Flatten (4x9x7 = 252)
    -> Dense 16, 8-bit weights, BatchNorm folded into it (trained with BatchNorm1d, folded,
       then fine-tuned), 16-bit bias -> ReLU (8-bit unsigned)
    -> Dense 1, 12-bit weights, 16-bit bias -> ReLU output (10-bit unsigned): the score

Synthetic data (fixed seed, documented so anyone can regenerate it): an event is an 18x14
grid of calorimeter region transverse energies in units of the trigger LSB (0.5 GeV in
CMS), clipped to 0..1023. Background ("zero bias"): pile-up noise, each region exponential
with mean 2 LSB, plus 0-3 soft deposits of 5-40 LSB. Signal-like events add 1-4 localized
energetic clusters (20-400 LSB, spread over a 2x2 block). The student regresses a teacher
score standing in for CICADA's autoencoder loss: log2(1 + sum over regions of
max(0, E - 24)) * 32, an 8-bit-scale number that is high for energetic, clustered events.

Usage::

    .venv/bin/python examples/cicada/train.py [--out PATH]

Writes ``cicada_v2_student.onnx`` (QONNX, exported by ``brevitas.export.export_qonnx`` and
cleaned by ``qonnx.util.cleanup``; the traced Flatten's Reshape gets a free batch dimension) beside this script and prints the Brevitas-vs-qonnx
agreement on the test events.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(HERE))  # examples/ -> train_default
import train_default as td  # noqa: E402  (determinism env vars, torch, export shims)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear, QuantReLU  # noqa: E402
from brevitas.quant import (Int8WeightPerTensorFixedPoint, Int16Bias,  # noqa: E402
                            Uint8ActPerTensorFixedPoint)

H, W = 18, 14
SEED = 2026


def events(n, signal_fraction, seed):
    """n synthetic calorimeter events [n, 1, 18, 14] (float32 integers 0..1023) and teacher scores."""
    r = np.random.default_rng(seed)
    e = r.exponential(2.0, size=(n, H, W))
    for i in range(n):
        for _ in range(r.integers(0, 4)):
            e[i, r.integers(0, H), r.integers(0, W)] += r.uniform(5, 40)
        if r.uniform() < signal_fraction:
            for _ in range(r.integers(1, 5)):
                y, x = r.integers(0, H - 1), r.integers(0, W - 1)
                et = r.uniform(20, 400)
                share = r.dirichlet(np.ones(4))
                e[i, y:y + 2, x:x + 2] += et * share.reshape(2, 2)
    e = np.clip(np.floor(e), 0, 1023).astype(np.float32)
    score = np.log2(1 + np.maximum(e - 24, 0).sum(axis=(1, 2))) * 32
    return e.reshape(n, 1, H, W), score.astype(np.float32).reshape(n, 1)


class InputQuant(Uint8ActPerTensorFixedPoint):
    """Unsigned 10-bit integers: a constant scale of exactly 1 (max 1023 = 2^10 - 1)."""
    bit_width = 10
    scaling_impl_type = "const"
    max_val = 1023.0
    restrict_scaling_type = "power_of_two"


class Student(nn.Module):
    def __init__(self, with_bn=True):
        super().__init__()
        self.inp = QuantIdentity(act_quant=InputQuant, return_quant_tensor=True)
        self.conv = QuantConv2d(1, 4, 2, stride=2, bias=False, weight_quant=Int8WeightPerTensorFixedPoint,
                                weight_bit_width=12, return_quant_tensor=True)
        self.relu1 = QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=10, return_quant_tensor=True)
        self.fc1 = QuantLinear(252, 16, bias=True, weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=8,
                               bias_quant=Int16Bias, return_quant_tensor=False)
        self.bn = nn.BatchNorm1d(16) if with_bn else nn.Identity()
        self.relu2 = QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=8, return_quant_tensor=True)
        self.fc2 = QuantLinear(16, 1, bias=True, weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=12,
                               bias_quant=Int16Bias, return_quant_tensor=False)
        self.out = QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=10)

    def forward(self, x):
        h = self.relu1(self.conv(self.inp(x)))
        h = self.relu2(self.bn(self.fc1(torch.flatten(h, 1))))
        return self.out(self.fc2(h))


def fold_bn(model):
    """BatchNorm1d folded into fc1's float weights and bias (the deployed student has no BN)."""
    bn = model.bn
    s = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    with torch.no_grad():
        model.fc1.weight.mul_(s[:, None])
        model.fc1.bias.copy_((model.fc1.bias - bn.running_mean) * s + bn.bias)
    model.bn = nn.Identity()


def fit(model, x, y, epochs, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        for k in range(0, len(xt), 256):
            idx = perm[k:k + 256]
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return float(loss)


def free_batch(m):
    """The traced Flatten is Reshape(x, [1, 252]): make its batch dimension free (-1)."""
    for n in m.graph.node:
        if n.op_type == "Reshape":
            shape = m.get_initializer(n.input[1])
            if shape is not None and shape[0] == 1:
                shape = shape.copy()
                shape[0] = -1
                m.set_initializer(n.input[1], shape)


def export(model, path):
    td.save_qonnx(model, torch.zeros(1, 1, H, W), path, "nanogate/examples/cicada/train.py", edit=free_batch)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "cicada_v2_student.onnx"))
    args = ap.parse_args()
    td.seed_all(SEED)
    x, y = events(20000, 0.3, SEED)
    xv, yv = events(2000, 0.3, SEED + 1)
    model = Student(with_bn=True)
    print(f"train with BatchNorm: mse {fit(model, x, y, 12, 3e-3):.2f}")
    model.eval()
    fold_bn(model)
    print(f"fine-tune folded: mse {fit(model, x, y, 4, 1e-3):.2f}")
    model.eval()
    with torch.no_grad():
        pv = model(torch.from_numpy(xv)).numpy()
    print(f"validation: mse {np.mean((pv - yv) ** 2):.2f}, corr {np.corrcoef(pv[:, 0], yv[:, 0])[0, 1]:.3f}")
    export(model, args.out)
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    m = ModelWrapper(args.out)
    td._patch_qonnx_exec_ir_version(m.model.ir_version)
    got = np.concatenate([execute_onnx(m, {m.graph.input[0].name: xv[i:i + 1]})[m.graph.output[0].name]
                          for i in range(200)])
    print(f"qonnx == Brevitas on 200 events: {int(np.sum(got == pv[:200]))}/200")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
