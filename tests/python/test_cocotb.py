"""The cocotb testbench that `nanogate convert` writes beside every RTL design
(DIR/tb/: test_<top>.py, run.py and the emulator's test vectors), run with its
one documented command `python DIR/tb/run.py`, on the default model in both
languages: Verilog under Icarus Verilog (cocotb 2.1 needs Verilator >= 5.036,
Debian 12 has 5.006; nanogate's own `verify` keeps Verilator) and VHDL under
GHDL through its VPI. The testbench passes (back-to-back events and a random
bubble pattern on valid_in, every output checked at the reported latency), and
fails, naming the event and the port, when one netlist constant of the
generated HDL is corrupted. cocotb is in tests/requirements.txt: without it
this module fails to import (it is never skipped)."""
import json
import re
import shutil
import subprocess
import sys

import cocotb  # noqa: F401  (tests/requirements.txt: a missing cocotb fails here)
import pytest

from conftest import ROOT, corrupt_constant, run_cli

MODEL = ROOT / "examples" / "default" / "digits_qmlp.onnx"
TOP = "ng_digits_qmlp"
N = 200  # events per cocotb test: ~10 s per language here
LANGUAGES = {"verilog": (".v", "icarus"), "vhdl": (".vhd", "ghdl")}


def run_testbench(design, vectors=N):
    """`python DIR/tb/run.py --vectors N`; returns the CompletedProcess (stdout and stderr merged)."""
    return subprocess.run([sys.executable, str(design / "tb" / "run.py"), "--vectors", str(vectors)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)


@pytest.fixture(scope="module", params=sorted(LANGUAGES))
def design(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param) / "digits"
    run_cli("convert", MODEL, "-o", out, "--backend", request.param, "--clock-period", 5)
    return request.param, out


def test_testbench_files(design):
    lang, out = design
    rep = json.loads((out / "report.json").read_text())
    assert rep["cocotb"] == {"test": f"tb/test_{TOP}.py", "run": "tb/run.py",
                             "simulator": LANGUAGES[lang][1], "vectors": 500}
    rows_in = (out / "tb" / "vectors_in.txt").read_text().splitlines()
    rows_out = (out / "tb" / "vectors_out.txt").read_text().splitlines()
    assert len(rows_in) == len(rows_out) == 500
    assert rows_in[0].split() == ["0"] * 64 and rows_in[1].split() == ["31"] * 64  # all-min, all-max (ufixed<5,5>)
    assert len(rows_out[0].split()) == 10
    test = (out / "tb" / f"test_{TOP}.py").read_text()
    assert f"LATENCY = {rep['latency']['cycles']} " in test and "@" + "LATENCY@" not in test


def test_testbench_passes(design):
    lang, out = design
    p = run_testbench(out)
    assert p.returncode == 0, p.stdout[-3000:]
    assert f"{TOP}: 2/2 cocotb tests passed ({LANGUAGES[lang][1]})" in p.stdout, p.stdout[-3000:]
    assert f"back_to_back: {N} events, every output code as expected" in p.stdout
    assert f"bubbles: {N} events, every output code as expected" in p.stdout


def test_testbench_fails_on_a_corrupted_constant(design, tmp_path):
    lang, out = design
    bad = tmp_path / "bad"
    shutil.copytree(out, bad, ignore=shutil.ignore_patterns("sim_build"))
    corrupt_constant(bad / (TOP + LANGUAGES[lang][0]))
    p = run_testbench(bad)
    assert p.returncode == 1, p.stdout[-3000:]
    assert f"{TOP}: 0/2 cocotb tests passed" in p.stdout, p.stdout[-3000:]
    for test in ("back_to_back", "bubbles"):
        assert re.search(test + r": cycle \d+: event \d+: port out_global_out\[\d\] is -?\d+, expected -?\d+ "
                         r"\(latency \d+ cycle\(s\)\)", p.stdout), p.stdout[-3000:]


def test_testbench_checks_the_latency(design, tmp_path):
    lang, out = design
    bad = tmp_path / "bad"
    shutil.copytree(out, bad, ignore=shutil.ignore_patterns("sim_build"))
    test = bad / "tb" / f"test_{TOP}.py"
    latency = json.loads((out / "report.json").read_text())["latency"]["cycles"]
    test.write_text(test.read_text().replace(f"LATENCY = {latency} ", f"LATENCY = {latency + 1} "))
    p = run_testbench(bad, 20)
    assert p.returncode == 1 and f"{TOP}: 0/2 cocotb tests passed" in p.stdout, p.stdout[-3000:]
    assert "valid_out is 1, expected 0" in p.stdout, p.stdout[-3000:]  # the first event comes out a cycle early


def test_combinational_design_without_valid_ports(tmp_path):
    out = tmp_path / "comb"
    run_cli("convert", MODEL, "-o", out, "--clock-period", 0, "--no-valid", "--tb-vectors", 50)
    test = (out / "tb" / f"test_{TOP}.py").read_text()
    assert "LATENCY = 0 " in test and "HAS_VALID = False " in test
    p = run_testbench(out)
    assert p.returncode == 0 and f"{TOP}: 2/2 cocotb tests passed (icarus)" in p.stdout, p.stdout[-3000:]
    assert "bubbles: 50 events, every output code as expected" in p.stdout
