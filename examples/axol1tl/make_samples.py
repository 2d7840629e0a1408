"""Synthetic AXOL1TL input samples for `nanogate rate` (fixed seeds, documented).

The CMS vectors in ../shared/models/axol1tl/vectors are uniform random test
vectors, not physics; no open L1 sample ships with a PyPI package. This writes
two synthetic samples in AXOL1TL's 57-value input layout (MET, 4 e/gamma,
4 muons, 10 jets; (pt, eta, phi) each, hardware integers, missing objects 0):

* background.npy ("minimum-bias-like", seed 1): MET pt ~ Exp(mean 8); a
  Poisson(3) number of jets, Poisson(0.4) e/gammas, Poisson(0.2) muons, each
  pt ~ 2 + Exp(mean 12), sorted by pt per kind; eta uniform integer in
  [-100, 100], phi uniform integer in [0, 144).
* signal.npy ("resonance-like", seed 2): the same generator plus two extra
  leading jets with pt uniform in [80, 250] and MET pt uniform in [40, 120].

Usage: python make_samples.py OUT_DIR [--events N] [--signal-events M]
"""
import argparse
from pathlib import Path

import numpy as np

SLOTS = {"eg": (1, 4), "mu": (5, 4), "jet": (9, 10)}  # first object slot, slots (MET is slot 0)
MEAN = {"eg": 0.4, "mu": 0.2, "jet": 3.0}


def _objects(rng, x, kind, n_per_event, extra_pt=None):
    first, slots = SLOTS[kind]
    events = x.shape[0]
    pts = np.where(np.arange(slots)[None, :] < n_per_event[:, None], 2 + rng.exponential(12.0, (events, slots)), 0.0)
    if extra_pt is not None:
        pts = np.concatenate([pts, extra_pt], axis=1)
    pts = -np.sort(-np.round(pts), axis=1)[:, :slots]
    present = pts > 0
    c = 3 * (first + np.arange(slots))
    x[:, c] = pts
    x[:, c + 1] = np.where(present, rng.integers(-100, 101, (events, slots)), 0)
    x[:, c + 2] = np.where(present, rng.integers(0, 144, (events, slots)), 0)


def generate(events, seed, signal=False):
    """(events, 57) float64 array of hardware integers (see the module docstring)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((events, 57))
    x[:, 0] = np.round(rng.uniform(40, 120, events) if signal else rng.exponential(8.0, events))
    x[:, 2] = rng.integers(0, 144, events)
    for kind in ("eg", "mu", "jet"):
        n = rng.poisson(MEAN[kind], events)
        extra = rng.uniform(80, 250, size=(events, 2)) if (signal and kind == "jet") else None
        _objects(rng, x, kind, n, extra)
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--signal-events", type=int, default=10_000)
    a = ap.parse_args()
    out = Path(a.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "background.npy", generate(a.events, 1))
    np.save(out / "signal.npy", generate(a.signal_events, 2, signal=True))


if __name__ == "__main__":
    main()
