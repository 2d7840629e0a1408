"""The VHDL-2008 backend (`nanogate convert --backend vhdl`) on every real model the
Verilog tests convert: the design analyses warning-free under GHDL
(`ghdl -a --std=08 -Werror` with the optional warnings on: verify's sim_ghdl.sh
analyses with those flags, so a warning fails verify, and its log must be empty),
`nanogate verify` is N/N bit-exact (GHDL simulation == netlist emulator == layer
emulator), the entity has the Verilog module's ports (names, directions, widths,
order) and report.json matches the Verilog one but for the file names, and a
corrupted constant makes verify fail.

GHDL (mcode) is slow: its analysis + elaboration alone takes 10-60 s CPU on the
large designs (CICADA, TFC_2W2A) and it simulates 10-200 vectors/s, so CI
verifies 100-300 vectors per model (TFC_2W2A, ~60 s of GHDL start-up for 20
vectors, is left to the benchmark: its Threshold layers use the same printer as
the C++ op-coverage tests' GHDL runs); the full 10,000-vector check is
bench/vhdl_verify.py (bench/README.md lists the measured vectors/s), or by hand
  nanogate convert MODEL -o DIR --backend vhdl && nanogate verify DIR --vectors 10000"""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import MODELS, ROOT, corrupt_constant, run_cli
from test_axol1tl import build as build_axol1tl

pytestmark = pytest.mark.skipif(shutil.which("ghdl") is None, reason="ghdl not installed")

DIGITS = ROOT / "examples" / "default" / "digits_qmlp.onnx"
HGQ = MODELS / "hgq2" / "jsc_openml"
N = 300
FLAGS = "--std=08 -Werror -Wbinding -Wreserved -Wlibrary -Wvital-generic -Wdelayed-checks -Wbody -Wspecs -Wunused"


def ghdl_lint(out):
    """Analyses the package and the entity with the flags of sim_ghdl.sh; asserts no warning."""
    rep = json.loads((out / "report.json").read_text())
    p = subprocess.run(["sh", str(out / "sim_ghdl.sh"), "lint"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout + p.stderr == "", p.stdout + p.stderr
    return rep


def convert_verify(model, out, *extra, vectors=N):
    run_cli("convert", model, "-o", out, "--backend", "vhdl", *map(str, extra))
    rep = json.loads((out / "report.json").read_text())
    assert rep["backend"] == "vhdl" and rep["vhdl"] == rep["top"] + ".vhd" and "verilog" not in rep
    assert f"ghdl -a {FLAGS} " in (out / "sim_ghdl.sh").read_text()
    p = run_cli("verify", out, "--vectors", vectors)
    m = re.search(r"(\d+)/(\d+) bit-exact", p.stdout)
    assert m and m.group(1) == m.group(2) and int(m.group(2)) >= vectors, p.stdout
    assert (out / "sim.log").read_text() == ""  # no warning, note or report from analysis or simulation
    return rep


def test_default_model(tmp_path):
    convert_verify(DIGITS, tmp_path / "digits", "--clock-period", 5)


def test_registered_ports_without_valid(tmp_path):
    rep = convert_verify(DIGITS, tmp_path / "digits", "--clock-period", 0, "--register-ports", "--no-valid", vectors=100)
    assert rep["latency"]["cycles"] == 2 and not rep["options"]["valid"]


def test_qkeras_jettagging(tmp_path):
    convert_verify(MODELS / "jet" / "qkeras_jettagging.onnx", tmp_path / "jet")


@pytest.mark.parametrize("version", [1, 4])
def test_axol1tl(models, tmp_path, version):
    model, config = build_axol1tl(models, version, tmp_path / f"v{version}")
    convert_verify(model, tmp_path / "vhdl", "--config", config, "--clock-period", 25)


@pytest.mark.parametrize("name", ["jsc_openml_ebops530.keras", "jsc_openml_ebops2571.keras"])
def test_hgq2(tmp_path, name):
    convert_verify(HGQ / name, tmp_path / "vhdl", "--clock-period", 5)


def test_cicada(tmp_path):
    convert_verify(ROOT / "examples" / "cicada" / "cicada_v2_student.onnx", tmp_path / "vhdl", "--clock-period", 6.25,
                   vectors=100)


def entity_ports(vhd, pkg):
    """[(name, direction, bits)] of the VHDL entity, widths read from the package subtypes."""
    widths = {m.group(1): int(m.group(2)) + 1
              for m in re.finditer(r"subtype (\w+) is std_logic_vector\((\d+) downto 0\);", pkg)}
    ports = []
    for m in re.finditer(r"^    (\w+) : (in|out) (\w+)", vhd, re.M):
        ports.append((m.group(1), m.group(2) + "put", 1 if m.group(3) == "std_logic" else widths[m.group(3)]))
    return ports


def module_ports(v):
    ports = []
    for m in re.finditer(r"^  (input|output) wire (?:\[(\d+):0\] )?(\w+)", v, re.M):
        ports.append((m.group(3), m.group(1), int(m.group(2)) + 1 if m.group(2) else 1))
    return ports


@pytest.mark.parametrize("extra", [["--clock-period", 5], ["--clock-period", 0, "--no-valid"],
                                   ["--clock-period", 5, "--wrapper", "axis"]])
def test_vhdl_and_verilog_have_the_same_ports_and_report(tmp_path, extra):
    run_cli("convert", DIGITS, "-o", tmp_path / "v", "--backend", "verilog", *map(str, extra))
    run_cli("convert", DIGITS, "-o", tmp_path / "h", "--backend", "vhdl", *map(str, extra))
    rv = json.loads((tmp_path / "v" / "report.json").read_text())
    rh = json.loads((tmp_path / "h" / "report.json").read_text())
    top = rv["top"]
    vp = module_ports((tmp_path / "v" / f"{top}.v").read_text())
    hp = entity_ports((tmp_path / "h" / f"{top}.vhd").read_text(), (tmp_path / "h" / f"{top}_pkg.vhd").read_text())
    assert vp == hp and len(vp) == (3 if "--no-valid" in extra else 6 if "axis" in extra else 5)
    assert (("ce", "input", 1) in vp) == ("axis" in extra)  # the AXI-Stream wrapper's stall
    for r, ext in ((rv, ".v"), (rh, ".vhd")):  # the wrapper's file name differs
        if r["wrapper"]:
            assert r["wrapper"].pop("file") == f"{top}_axis{ext}"
    files = {"backend", "verilog", "vhdl", "package", "testbench", "build_script", "yosys_script", "model", "cocotb"}
    assert {k: v for k, v in rv.items() if k not in files} == {k: v for k, v in rh.items() if k not in files}
    assert rh["package"] == f"{top}_pkg.vhd" and rh["yosys_script"] is None
    assert (rv["cocotb"]["simulator"], rh["cocotb"]["simulator"]) == ("icarus", "ghdl")
    for f in ("vectors_in.txt", "vectors_out.txt"):  # the cocotb testbench checks one circuit
        assert (tmp_path / "v" / "tb" / f).read_bytes() == (tmp_path / "h" / "tb" / f).read_bytes(), f


def test_output_is_deterministic(tmp_path):
    for d in ("a", "b"):
        run_cli("convert", DIGITS, "-o", tmp_path / d, "--backend", "vhdl")
    for f in (tmp_path / "a").glob("*.vhd"):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_verify_fails_on_a_corrupted_constant(tmp_path):
    out = tmp_path / "digits"
    run_cli("convert", DIGITS, "-o", out, "--backend", "vhdl", "--clock-period", 5)
    corrupt_constant(out / "ng_digits_qmlp.vhd")  # the last layer's: nearest the outputs
    ghdl_lint(out)  # still valid VHDL
    p = run_cli("verify", out, "--vectors", 500, check=False)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "first mismatch: vector" in p.stdout and "RTL" in p.stdout


def test_verify_names_a_broken_design(tmp_path):
    out = tmp_path / "digits"
    run_cli("convert", DIGITS, "-o", out, "--backend", "vhdl")
    (out / "ng_digits_qmlp.vhd").write_text("entity broken is\n")
    p = run_cli("verify", out, "--vectors", 10, check=False)
    assert p.returncode == 1 and p.stderr.startswith("nanogate: error: ") and "GHDL" in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "ng_digits_qmlp.vhd:" in p.stderr, p.stderr


def test_values_are_variables_of_two_processes(tmp_path):
    """Only registers are signals: every other value is a variable of the clocked
    process `pipeline` (stages before the last) or of `outputs` (process (all): the
    last stage and the output ports), constants are constants; no concurrent
    assignment but valid_out's. This is what makes GHDL fast (bench/README.md)."""
    out = tmp_path / "h"
    run_cli("convert", DIGITS, "-o", out, "--backend", "vhdl", "--clock-period", 5)
    vhd = (out / "ng_digits_qmlp.vhd").read_text()
    signals = re.findall(r"^  signal (.*?) : ", vhd, re.M)
    names = [n for s in signals for n in s.split(", ")]
    assert names and all(re.fullmatch(r"v\d+_d\d+|valid_sr", n) for n in names), names[:20]
    assert len(re.findall(r"^  constant v\d+ : unsigned", vhd, re.M)) > 0
    assert re.search(r"^  pipeline : process \(clk\)$", vhd, re.M) and "    if rising_edge(clk) then\n" in vhd
    assert re.search(r"^  outputs : process \(all\)$", vhd, re.M)
    body = vhd[vhd.index("\nbegin\n"):]
    assert re.findall(r"^  \w+ <= .*$", body, re.M) == ["  valid_out <= valid_sr(7);"]
    assert len(re.findall(r"^      variable v\d+\w* : unsigned", vhd, re.M)) == 0  # declared at process level
    assert len(re.findall(r"^    variable v\d+\w* : unsigned", vhd, re.M)) > 3000


def yosys_luts(verilog, top):
    """LUT cells (LUT1..LUT6) of Yosys' synth_xilinx (xc7, the options of nanogate's synth script)."""
    p = subprocess.run(["yosys", "-q", "-p", f"read_verilog {verilog}; synth_xilinx -family xc7 -top {top} -flatten "
                        f"-noiopad -noclkbuf -nodsp; tee -o {verilog}.stat stat -tech xilinx"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    stat = Path(f"{verilog}.stat").read_text()
    return sum(int(n) for n in re.findall(r"^\s+LUT\d\s+(\d+)$", stat, re.M))


def test_ghdl_synthesis_gives_the_verilogs_lut_count(tmp_path):
    """GHDL's own synthesis (ghdl --synth --out=verilog, Debian's ghdl 2.0 mcode)
    of the VHDL, then Yosys, gives the LUT count of the Verilog's synthesis
    within 2% (measured: 240 vs 240 LUTs on HGQ2 ebops530 at 5 ns; GHDL drops the
    adders' keep attribute, see bench/README.md). The floor of 150 LUTs only says
    that a real design was synthesized."""
    model, top = HGQ / "jsc_openml_ebops530.keras", "ng_jsc_openml_ebops530"
    run_cli("convert", model, "-o", tmp_path / "v", "--clock-period", 5)
    run_cli("convert", model, "-o", tmp_path / "h", "--backend", "vhdl", "--clock-period", 5)
    h = tmp_path / "h"
    p = subprocess.run(["ghdl", "--synth", "--std=08", "--out=verilog", f"{top}_pkg.vhd", f"{top}.vhd", "-e", top],
                       cwd=h, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    (h / "ghdl_synth.v").write_text(p.stdout)
    lv, lh = yosys_luts(tmp_path / "v" / f"{top}.v", top), yosys_luts(h / "ghdl_synth.v", top)
    assert lv > 150 and abs(lh - lv) <= 0.02 * lv, (lv, lh)
