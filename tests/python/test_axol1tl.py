"""The CMS AXOL1TL anomaly trigger: examples/axol1tl/build_model.py turns a version's
JSON description into QONNX + a nanogate config; the emulator must reproduce the CMS
emulator's outputs (mu values and score) bit for bit on all 3,000 vectors."""
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, emulate


def build(models, version, out_dir):
    spec = models / "axol1tl" / f"axol1tl_v{version}.json"
    subprocess.run([sys.executable, str(ROOT / "examples" / "axol1tl" / "build_model.py"), str(spec), str(out_dir)],
                   check=True, capture_output=True)
    return out_dir / "model.onnx", out_dir / "config.json"


def load_inputs(models):
    return np.loadtxt(models / "axol1tl" / "vectors" / "axol1tl_inputs.csv", delimiter=",", skiprows=1)


@pytest.mark.parametrize("version", [1, 4])
def test_axol1tl_bit_exact_with_cms_emulator(models, tmp_path, version):
    model, config = build(models, version, tmp_path / f"v{version}")
    x = load_inputs(models)
    ref = np.loadtxt(models / "axol1tl" / "vectors" / f"axol1tl_v{version}_reference.csv", delimiter=",", skiprows=1)
    ref = ref[:, 1:]  # drop the event column: mu values, then the score
    got = emulate(model, x, tmp_path, config=config)
    assert got.shape == ref.shape == (3000, ref.shape[1])
    bad = np.argwhere(got != ref)
    assert len(bad) == 0, f"{len(np.unique(bad[:, 0]))} events differ; first: event {bad[0][0]} column {bad[0][1]}"


@pytest.mark.parametrize("version", [3, 5])
def test_axol1tl_other_versions_build_and_run(models, tmp_path, version):
    """v3 and v5 have no CMS vectors: the same script must handle them (v5 has a
    subtract and a dot product); the score is non-negative and within resultsq_t."""
    model, config = build(models, version, tmp_path / f"v{version}")
    x = load_inputs(models)
    got = emulate(model, x, tmp_path, config=config)
    score = got[:, -1]
    assert got.shape[0] == 3000
    assert np.all(score >= 0) and np.all(score < 2**14)
    assert len(np.unique(score)) > 100


def test_axol1tl_config_matters(models, tmp_path):
    """Without the deployed accumulator types the scores change: the config is used."""
    import json

    model, config = build(models, 1, tmp_path / "v1")
    cfg = json.loads(config.read_text())
    cfg["LayerName"]["q_dense"]["Precision"]["accum"] = "fixed<16,8>"
    alt = tmp_path / "alt.json"
    alt.write_text(json.dumps(cfg))
    x = load_inputs(models)
    a = emulate(model, x, tmp_path, config=config)
    b = emulate(model, x, tmp_path, config=alt)
    assert np.any(a[:, -1] != b[:, -1])


@pytest.mark.parametrize("version", [1, 3, 4, 5])
def test_axol1tl_equals_json_direct_model(models, tmp_path, version):
    """v3 and v5 have no CMS vectors: compare with the independent model computed
    straight from the JSON description in exact Python integers
    (examples/axol1tl/reference_check.py run_spec, following the README's
    'Arithmetic' steps) on all 3,000 events; v1 and v4 too, as a check of that
    reference against the CMS vectors above."""
    import csv
    import importlib.util
    import json

    spec_ = importlib.util.spec_from_file_location("reference_check", ROOT / "examples" / "axol1tl" / "reference_check.py")
    ref_mod = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(ref_mod)
    spec = json.loads((models / "axol1tl" / f"axol1tl_v{version}.json").read_text())
    with open(models / "axol1tl" / "vectors" / "axol1tl_inputs.csv") as fh:
        rows = list(csv.reader(fh))[1:]
    raw = np.array(rows, dtype=object)
    mo, score = ref_mod.run_spec(spec, raw)
    cols = [score] if mo is None else [mo, score]
    want = np.concatenate([np.asarray(t.m, dtype=np.float64) * 2.0 ** -t.f for t in cols], axis=1)
    model, config = build(models, version, tmp_path / f"v{version}")
    got = emulate(model, load_inputs(models), tmp_path, config=config)
    assert got.shape == want.shape
    assert np.array_equal(got, want)
