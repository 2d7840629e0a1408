"""Shared fixtures for nanogate's Python cross-check tests.

The tests drive the `nanogate` CLI built by scripts/setup.sh (NANOGATE_BUILD_DIR,
default build/) and compare it with the field's references: onnxruntime, qonnx's
own execution, Brevitas, and the CMS AXOL1TL emulator vectors in ../shared/models.
"""
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT.parent / "shared" / "models"
BUILD = ROOT / os.environ.get("NANOGATE_BUILD_DIR", "build")
CLI = BUILD / "nanogate"


def run_cli(*args, check=True):
    """Runs the nanogate CLI; returns the CompletedProcess (text mode)."""
    p = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"nanogate {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stderr}")
    return p


# One netlist constant of the generated RTL: `wire [W-1:0] vN = W'hX;` in Verilog,
# `vN <= unsigned'(Wx"X");` in VHDL.
_CONSTANT = {
    ".v": re.compile(r"^  wire (?:signed )?\[(?P<msb>\d+):0\] v\d+ = \d+'h(?P<hex>[0-9a-f]+);$", re.M),
    ".vhd": re.compile(r"^  constant v\d+ : unsigned\(\d+ downto 0\) := unsigned'\((?P<width>\d+)x\"(?P<hex>[0-9a-f]+)\"\);$",
                       re.M),
}


def corrupt_constant(hdl_file, which=-1):
    """Adds 1 (modulo 2^width) to one netlist constant of a generated .v or .vhd
    file, the `which`-th in text order (-1: the last, nearest the outputs);
    the file stays valid HDL. Asserts that the file has a constant."""
    text = hdl_file.read_text()
    consts = list(_CONSTANT[hdl_file.suffix].finditer(text))
    assert consts, f"no constant in {hdl_file}"
    m = consts[which]
    width = int(m.group("width")) if "width" in m.groupdict() else int(m.group("msb")) + 1
    new = (int(m.group("hex"), 16) + 1) % (1 << width)
    hdl_file.write_text(text[: m.start("hex")] + format(new, "x") + text[m.end("hex"):])


def emulate(model, x, tmp_path, config=None, float_mode=False, tensors=(), raw=False):
    """Runs `nanogate emulate` on a 2-D float array; returns the output array."""
    inp = tmp_path / "in.npy"
    out = tmp_path / "out.npy"
    np.save(inp, np.ascontiguousarray(x, dtype=np.float64))
    args = ["emulate", model, "--input", inp, "--output", out, "--force"]
    if config:
        args += ["--config", config]
    if float_mode:
        args.append("--float")
    if raw:
        args.append("--raw")
    for t in tensors:
        args += ["--tensor", t]
    run_cli(*args)
    return np.load(out)


def qonnx_execute(model_path, x, names):
    """qonnx's reference execution (qonnx.core.onnx_exec.execute_onnx) of a whole
    batch; returns {name: array[N, -1]} for the requested tensors.

    qonnx builds one-node models with onnx's default IR version, which this venv's
    onnxruntime may reject; the helper pins IR version 8 for those, which changes
    nothing in their semantics."""
    import onnx.helper as oh

    if not getattr(oh.make_model, "_nanogate_ir_pin", False):
        orig = oh.make_model

        def make_model(*a, **k):
            k.setdefault("ir_version", 8)
            return orig(*a, **k)

        make_model._nanogate_ir_pin = True
        oh.make_model = make_model
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    m = ModelWrapper(str(model_path))
    inp = m.graph.input[0]
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    x = np.asarray(x, dtype=np.float32).reshape([len(x)] + shape[1:])
    inp.type.tensor_type.shape.dim[0].Clear()
    inp.type.tensor_type.shape.dim[0].dim_value = len(x)
    del m.graph.value_info[:]  # exporters may have recorded batch-1 intermediate shapes
    for o in m.graph.output:
        if o.type.tensor_type.shape.dim:
            o.type.tensor_type.shape.dim[0].Clear()
            o.type.tensor_type.shape.dim[0].dim_value = len(x)
    m = m.transform(InferShapes())
    ctx = execute_onnx(m, {inp.name: x}, return_full_exec_context=True)
    return {n: np.asarray(ctx[n]).reshape(len(x), -1) for n in names}


@pytest.fixture(scope="session")
def models():
    if not MODELS.is_dir():
        pytest.fail(f"shared models not found at {MODELS}")
    return MODELS
