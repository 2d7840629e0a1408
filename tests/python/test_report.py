"""`nanogate report DIR`: one self-contained report.html from a converted design's
report.json, a profile.json and a rate.json; its plots are embedded PNGs that
decode and are not blank; without matplotlib the page is still written and the
CLI says how to get the plots."""
import base64
import io
import json
import re
import sys

import numpy as np
import pytest

from conftest import MODELS, run_cli
from test_axol1tl import build as build_axol1tl

JET = MODELS / "jet" / "three_layer_keras.onnx"


@pytest.fixture(scope="module")
def folder(models, tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    model, config = build_axol1tl(models, 4, d / "v4")
    prj = d / "prj"
    run_cli("convert", model, "--config", config, "-o", prj, "--clock-period", 25)
    rng = np.random.default_rng(3)
    np.save(d / "x.npy", rng.normal(0, 2, (2000, 16)))
    np.save(d / "sig.npy", rng.normal(0.5, 2, (1000, 16)))
    run_cli("profile", JET, "--input", d / "x.npy", "-o", prj / "profile.json", "--no-luts")
    run_cli("rate", JET, "--background", d / "x.npy", "--signal", d / "sig.npy", "--rate-khz", 400,
            "--score-output", "biased_tensor_name3[0]", "-o", prj / "rate.json")
    return prj


def test_report_without_plotting_python_says_how(folder):
    p = run_cli("report", folder, "--python", "/nonexistent/python3")
    assert "pip install matplotlib" in p.stderr
    html = (folder / "report.html").read_text()
    for h in ("Design and resources", "Per layer", "Synthesis", "Precision profile", "Trigger rate"):
        assert f">{h}<" in html
    assert "q_dense" in html and "biased_tensor_name3" in html and "<img" not in html


def test_report_plots_are_embedded_pngs(folder):
    pytest.importorskip("matplotlib")
    import matplotlib.image as mpimg

    run_cli("report", folder, "--python", sys.executable)
    html = (folder / "report.html").read_text()
    assert "http://" not in html and "https://" not in html  # nothing to fetch
    imgs = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(imgs) == 5  # layers, stages, profile, rate, efficiency
    for b in imgs:
        px = mpimg.imread(io.BytesIO(base64.b64decode(b)), format="png")
        assert px.shape[0] > 100 and px.shape[1] > 200 and px[..., :3].std() > 0.05  # not blank


def test_report_renders_in_headless_chromium(folder, tmp_path):
    """Debian's chromium renders the page with its plots (skipped where it is not installed)."""
    import shutil
    import subprocess

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    pytest.importorskip("matplotlib")
    import matplotlib.image as mpimg

    run_cli("report", folder, "--python", sys.executable)
    shot = tmp_path / "shot.png"
    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1200,4000",
                    f"--screenshot={shot}", (folder / "report.html").as_uri()], check=True, timeout=120,
                   capture_output=True)
    px = mpimg.imread(shot)
    assert px.shape[0] >= 1000 and px[..., :3].std() > 0.05
