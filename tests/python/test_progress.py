"""Progress bars (issue 17 item 4): verify's Verilator build and simulation,
csim, and large emulations show count, rate and ETA; results and errors stay
one line each."""
import os
import pty
import re
import subprocess

import numpy as np

from conftest import CLI, MODELS, ROOT, run_cli

DIGITS = ROOT / "examples" / "default" / "digits_qmlp.onnx"


def run_env(env_extra, *args):
    env = dict(os.environ, **env_extra)
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, env=env)


def test_csim_progress_lines(tmp_path):
    """NANOGATE_PROGRESS=1 (a log, not a terminal): progress as whole lines, each
    starting with `nanogate: `; the result stays one line on stdout."""
    prj = tmp_path / "hls"
    run_cli("convert", DIGITS, "-o", prj, "--backend", "vitis")
    p = run_env({"NANOGATE_PROGRESS": "1"}, "csim", prj, "--events", 500)
    assert p.returncode == 0, p.stderr
    assert len(p.stdout.splitlines()) == 1 and "500" in p.stdout, p.stdout
    lines = p.stderr.splitlines()
    assert all(l.startswith("nanogate: ") for l in lines), lines
    build = [l for l in lines if l.startswith("nanogate: progress: csim: g++ build  ")]
    assert build and re.fullmatch(r"nanogate: progress: csim: g\+\+ build  \d+:\d\d", build[-1]), lines
    # Off by default when stderr is not a terminal: nothing but the result.
    q = run_cli("csim", prj, "--events", 100)
    assert q.stderr == ""


def test_emulate_progress_counts_every_event(tmp_path):
    x = np.random.default_rng(3).normal(size=(600_000, 16))
    np.save(tmp_path / "x.npy", x)
    p = run_env({"NANOGATE_PROGRESS": "1", "NANOGATE_THREADS": "2"}, "emulate", MODELS / "jet" / "three_layer_keras.onnx",
                "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    assert p.returncode == 0, p.stderr
    bars = [l for l in p.stderr.splitlines() if l.startswith("nanogate: progress: emulate  ")]
    if bars:  # drawn only when the run takes more than 0.5 s
        assert re.fullmatch(r"nanogate: progress: emulate  600,000/600,000 events \[#{24}\] 100%  \S+ [kM]?/s  \d+:\d\d",
                            bars[-1]), bars
    assert np.load(tmp_path / "y.npy").shape == (600_000, 5)


def test_terminal_bar_is_erased_before_the_result(tmp_path):
    """On a terminal the bar is redrawn in place and erased when the step ends,
    so the result line starts at column 0."""
    prj = tmp_path / "prj"
    run_cli("convert", DIGITS, "-o", prj)
    env = dict(os.environ)
    env.pop("NANOGATE_PROGRESS", None)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(str(CLI), [str(CLI), "verify", str(prj), "--vectors", "2000"], env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    text = out.decode()
    assert "\r\x1b[Kverify: Verilator build  " in text, text
    last_erase = text.rindex("\r\x1b[K")
    result = text.index("2000/2000 bit-exact")
    assert last_erase < result and text[last_erase:result] == "\r\x1b[K", repr(text[last_erase - 80:result + 20])
