"""The cocotb testbench that `nanogate convert` writes beside every RTL design
(DIR/tb/: test_<top>.py, run.py and the emulator's test vectors), run with its
one documented command `python DIR/tb/run.py`, on the default model in both
languages: Verilog under Icarus Verilog (cocotb 2.1 needs Verilator >= 5.036,
Debian 12 has 5.006; nanogate's own `verify` keeps Verilator) and VHDL under
GHDL through its VPI. The testbench passes (back-to-back events and a random
bubble pattern on valid_in, every output checked at the reported latency), and
fails, naming the event and the port, when one netlist constant of the
generated HDL is corrupted or its latency is off by one. The integration
wrappers (--wrapper packed|axis) are checked by the same testbench, the
AXI-Stream one also under random m_axis_tready back-pressure. cocotb is
in tests/requirements.txt: without it this module fails to import (it is
never skipped)."""
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
    assert "LATENCY = 0 " in test and "VALID_IN, VALID_OUT, READY = None, None, None " in test
    p = run_testbench(out)
    assert p.returncode == 0 and f"{TOP}: 2/2 cocotb tests passed (icarus)" in p.stdout, p.stdout[-3000:]
    assert "bubbles: 50 events, every output code as expected" in p.stdout


@pytest.mark.parametrize("lang,kind,field_bits", [("verilog", "packed", 8), ("vhdl", "axis", 16)])
def test_integration_wrapper(tmp_path, lang, kind, field_bits):
    """--wrapper: one packed input and output vector (the documented layout, in
    report.json), registered ports (+2 cycles), driven by the same testbench
    (padding bits of the inputs random); a corrupted constant is named with
    its place in the packed output."""
    out = tmp_path / kind
    run_cli("convert", MODEL, "-o", out, "--backend", lang, "--wrapper", kind, "--field-bits", field_bits,
            "--tb-vectors", 100, "--clock-period", 5)
    rep = json.loads((out / "report.json").read_text())
    ins, outs = ("s_axis_tdata", "m_axis_tdata") if kind == "axis" else ("in_data", "out_data")
    w = rep["wrapper"]
    assert (w["kind"], w["top"], w["in_bits"], w["out_bits"]) == (kind, f"{TOP}_{kind}", 64 * field_bits,
                                                                  10 * field_bits)
    assert w["fields"] == [
        {"port": "in_Quant_0_out0", "bus": ins, "offset": 0, "elements": 64, "bits": 5, "stride": field_bits,
         "signed": False},
        {"port": "out_global_out", "bus": outs, "offset": 0, "elements": 10, "bits": 8, "stride": field_bits,
         "signed": True}]
    assert rep["options"]["register_ports"] is True and rep["latency"]["cycles"] == 8 + 2
    assert rep["cocotb"]["test"] == f"tb/test_{TOP}_{kind}.py"
    p = run_testbench(out, 100)
    tests = 3 if kind == "axis" else 2  # axis: + backpressure
    assert p.returncode == 0 and f"{TOP}_{kind}: {tests}/{tests} cocotb tests passed" in p.stdout, p.stdout[-3000:]
    corrupt_constant(out / (TOP + LANGUAGES[lang][0]))
    p = run_testbench(out, 100)
    assert p.returncode == 1, p.stdout[-3000:]
    assert re.search(r"event \d+: port out_global_out\[(\d)\] is -?\d+, expected -?\d+ \(latency 10 cycle\(s\), "
                     + outs + r"\[\d+:\d+\]\)", p.stdout), p.stdout[-3000:]


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_axis_backpressure(tmp_path, lang):
    """--wrapper axis has m_axis_tready: the testbench's third test (seeded random
    m_axis_tready, random source gaps) sees every event's output beat in order,
    none lost or duplicated, an offered beat held until taken. Mutants of the
    wrapper fail it: the pipeline not stalled (beats overwritten) and
    s_axis_tready stuck at 1 (source beats lost while stalled)."""
    out = tmp_path / "axis"
    run_cli("convert", MODEL, "-o", out, "--backend", lang, "--wrapper", "axis", "--tb-vectors", 60,
            "--clock-period", 5)
    assert json.loads((out / "report.json").read_text())["options"]["clock_enable"] is True
    p = run_testbench(out, 60)
    assert p.returncode == 0 and f"{TOP}_axis: 3/3 cocotb tests passed" in p.stdout, p.stdout[-3000:]
    m = re.search(r"backpressure: 60 events in order, (\d+) stalled cycles, every output code as expected", p.stdout)
    assert m and int(m.group(1)) > 10, p.stdout[-3000:]
    wrapper = out / (TOP + "_axis" + LANGUAGES[lang][0])
    text = wrapper.read_text()
    if lang == "verilog":
        stall, ready = ("wire ce = ~core_valid_out | m_axis_tready;", "wire ce = 1'b1;"), \
            ("assign s_axis_tready = ce;", "assign s_axis_tready = 1'b1;")
    else:
        stall, ready = ("ce <= (not core_valid_out) or m_axis_tready;", "ce <= '1';"), \
            ("s_axis_tready <= ce;", "s_axis_tready <= '1';")
    for old, new in (stall, ready):
        assert old in text
        wrapper.write_text(text.replace(old, new))
        shutil.rmtree(out / "tb" / "sim_build", ignore_errors=True)
        p = run_testbench(out, 60)
        assert p.returncode == 1 and f"{TOP}_axis: 2/3 cocotb tests passed" in p.stdout, p.stdout[-3000:]
        assert re.search(r"backpressure: cycle \d+: event \d+: port out_global_out\[\d\] is -?\d+, expected", p.stdout), \
            p.stdout[-3000:]
    wrapper.write_text(text)


@pytest.mark.parametrize("args,message", [
    (["--wrapper", "packed", "--no-valid"], "the integration wrapper needs the valid ports"),
    (["--wrapper", "axis", "--field-bits", 6], "--field-bits 6 is narrower than port 'out_global_out'"),
])
def test_wrapper_errors_are_one_line(tmp_path, args, message):
    p = run_cli("convert", MODEL, "-o", tmp_path / "w", *args, check=False)
    assert p.returncode == 1 and p.stderr.startswith("nanogate: error: ") and message in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and not (tmp_path / "w").exists()
