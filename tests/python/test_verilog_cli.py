"""`nanogate convert --backend verilog` and `nanogate verify` end to end on the
default model: the RTL is lint-clean under `verilator --lint-only -Wall`, the
output is byte-identical across runs, Verilator simulation equals both
emulators bit for bit (generated raw vectors and float inputs), a corrupted
constant is reported with a non-zero exit, and a non-empty folder is never
written into without --force."""
import json
import shutil
import subprocess

import numpy as np
import pytest

from conftest import ROOT, corrupt_constant, run_cli

MODEL = ROOT / "examples" / "default" / "digits_qmlp.onnx"
TOP = "ng_digits_qmlp"

pytestmark = pytest.mark.skipif(shutil.which("verilator") is None, reason="verilator not installed")


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    out = tmp_path_factory.mktemp("verilog") / "digits"
    p = run_cli("convert", MODEL, "-o", out, "--backend", "verilog", "--clock-period", "5")
    assert "latency" in p.stdout
    return out


def test_report_describes_the_design(design):
    rep = json.loads((design / "report.json").read_text())
    assert rep["generator"]["nanogate"] and rep["top"] == TOP and rep["verilog"] == TOP + ".v"
    assert rep["latency"]["cycles"] >= 1
    assert rep["latency"]["ns"] == pytest.approx(rep["latency"]["cycles"] * 5.0)
    assert all(d <= 5.0 + 1e-9 for d in rep["latency"]["stage_delay_ns"])
    assert rep["ports"]["inputs"][0]["elements"] == 64 and rep["ports"]["outputs"][0]["elements"] == 10
    assert rep["totals"]["adders"] == sum(l["adders"] for l in rep["layers"]) > 0
    assert (design / rep["model"]["copy"]).is_file()
    assert (design / "synth_xc7.ys").read_text().count("synth_xilinx") == 1


def test_rtl_is_lint_clean(design):
    p = subprocess.run(["verilator", "--lint-only", "-Wall", TOP + ".v"], cwd=design, capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout + p.stderr == "", p.stderr


def test_convert_is_byte_identical(design, tmp_path):
    again = tmp_path / "again"
    run_cli("convert", MODEL, "-o", again, "--backend", "verilog", "--clock-period", "5")
    for name in (TOP + ".v", "tb_" + TOP + ".cpp", "build_sim.sh", "report.json", "synth_xc7.ys",
                 f"tb/test_{TOP}.py", "tb/run.py", "tb/vectors_in.txt", "tb/vectors_out.txt"):
        assert (again / name).read_bytes() == (design / name).read_bytes(), name


def test_latency_grows_as_the_period_shrinks(tmp_path):
    cycles = []
    for period in ("25", "5", "2.5"):
        out = tmp_path / period
        run_cli("convert", MODEL, "-o", out, "--clock-period", period)
        cycles.append(json.loads((out / "report.json").read_text())["latency"]["cycles"])
    assert cycles == sorted(cycles) and cycles[0] < cycles[-1]


def test_verify_is_bit_exact(design):
    p = run_cli("verify", design, "--vectors", "3000", "--seed", "5")
    assert p.stdout.startswith("3000/3000 bit-exact"), p.stdout


def test_verify_float_inputs(design, tmp_path):
    x = np.random.default_rng(3).integers(0, 17, size=(200, 64)).astype(np.float64)
    x[0] = 0
    x[1] = 16
    np.save(tmp_path / "x.npy", x)
    p = run_cli("verify", design, "--vectors", "0", "--input", tmp_path / "x.npy")
    assert p.stdout.startswith("200/200 bit-exact"), p.stdout
    p = run_cli("verify", design, "--vectors", "0", "--input", tmp_path / "x.npy", "--raw")
    assert p.stdout.startswith("200/200 bit-exact"), p.stdout


def test_verify_reports_a_corrupted_constant(design, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(design, bad, ignore=shutil.ignore_patterns("obj_dir"))
    corrupt_constant(bad / (TOP + ".v"), 0)
    p = run_cli("verify", bad, "--vectors", "2000", check=False)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "first mismatch: vector" in p.stdout and "RTL" in p.stdout


def test_convert_never_overwrites_a_foreign_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    p = run_cli("convert", MODEL, "-o", out, check=False)
    assert p.returncode == 1 and "--force" in p.stderr
    assert sorted(x.name for x in out.iterdir()) == ["notes.txt"]
    run_cli("convert", MODEL, "-o", out, "--force")
    p = run_cli("convert", MODEL, "-o", out, check=False)  # a folder nanogate wrote needs --force too
    assert p.returncode == 1 and "--force" in p.stderr
    run_cli("convert", MODEL, "-o", out, "--force")
    assert (out / "notes.txt").read_text() == "keep me"
