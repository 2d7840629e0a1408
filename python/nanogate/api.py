"""The hls4ml-style API: config_from_model, convert and Firmware."""
import copy
import json
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np

from . import _nanogate
from .model_source import _is_keras_model, is_keras_file, model_bytes, save_keras

_ROLES = ("weight", "bias", "accum", "result")
_RTL = ("verilog", "vhdl")  # the RTL backends: one circuit, two languages


class _KerasFile:
    """A Keras model file (and the weights HDF5 of a JSON architecture) that
    the core reads by path."""

    def __init__(self, path, weights=None):
        self.path, self.weights = str(path), (str(weights) if weights else "")


def _compile(model, config, input_shape, weights=None):
    """(compiled core model, ONNX bytes or a _KerasFile, a name for messages)."""
    text = None if config is None else json.dumps(config)
    if _is_keras_model(model):
        model = save_keras(model)
    if isinstance(model, (str, Path)) and Path(model).is_file() and is_keras_file(model):
        kf = _KerasFile(model, weights)
        return _nanogate.compile_file(kf.path, kf.weights, text, False, "<config dict>"), kf, str(model)
    if weights:
        raise ValueError("weights= applies to a Keras JSON architecture file")
    data, source = model_bytes(model, input_shape)
    return _nanogate.compile(data, source, text, False, "<config dict>"), data, source


def config_from_model(model, granularity="model", default_precision="fixed<16,6>", input_shape=None):
    """A configuration dict with the structure of the CLI's config file.

    granularity: 'model' (only the Model section), 'type' (plus LayerType
    entries for every layer op in the model) or 'name' (plus a LayerName entry
    per layer and input, filled with the types nanogate infers: exact types from
    QONNX Quant nodes and interval analysis, the default precision elsewhere).
    Raises ValueError for an unknown granularity or an unparsable type.
    """
    if granularity not in ("model", "type", "name"):
        raise ValueError(f"granularity must be 'model', 'type' or 'name', not {granularity!r}")
    _nanogate.parse_type(default_precision)
    cfg = {"Model": {"Precision": default_precision, "ReuseFactor": 1, "Strategy": "Latency"}}
    if granularity == "model":
        return cfg
    compiled, _, _ = _compile(model, cfg, input_shape)
    layers = compiled.layers()
    if granularity == "type":
        cfg["LayerType"] = {l["op"]: {"Precision": default_precision} for l in layers if l["op"] != "InputQuant"}
        return cfg
    cfg["LayerName"] = {}
    for l in layers:
        if l["op"] == "InputQuant" or l["result"].startswith("float"):
            continue  # fixed by the model's first Quant / host-side preprocessing
        prec = {r: l[r] for r in _ROLES if l[r] != "-"}
        if l["op"] in ("Cast", "Threshold", "BipolarQuant"):
            prec = {}  # types fixed exactly by Quant nodes
        entry = {"Precision": prec} if prec else {}
        if l["op"] not in ("Input",):
            entry["ReuseFactor"] = l["reuse_factor"]
        cfg["LayerName"][l["name"]] = entry
    return cfg


class Firmware:
    """A converted model: bit-exact batched prediction, and the firmware
    project written from the same IR (Verilog or VHDL RTL, or Vitis HLS C++)
    with its verification (Verilator / GHDL co-simulation, g++ C-simulation)
    and synthesis.

    Attributes: config (the configuration used), backend ('verilog', 'vhdl' or
    'vitis'), output_dir, clock_period (ns), family (FPGA family of the delay
    model and Yosys flow), register_ports (RTL: a register on every input
    and output port, one cycle each, counted in the latency), wrapper and
    field_bits (RTL: the integration top, see convert).
    """

    def __init__(self, compiled, model_data, source, config, backend, output_dir, clock_period, family="xc7",
                 register_ports=False, allow_inexact=False, wrapper=None, field_bits=0):
        self._m = compiled
        self._data = model_data
        self.source = source
        self.config = copy.deepcopy(config)
        self.backend = backend
        self.output_dir = str(output_dir) if output_dir is not None else "nanogate_prj"
        self.clock_period = clock_period
        self.family = family
        self.register_ports = bool(register_ports)
        self.allow_inexact = bool(allow_inexact)  # convert layers that are not bit-exact (warned)
        self.wrapper = wrapper  # RTL: None, 'packed' or 'axis' (the integration top)
        self.field_bits = int(field_bits)
        self._written = False

    # ---- the project --------------------------------------------------------------------------------------
    def _inputs_on_disk(self):
        """The model bytes and the config dict as files beside the project (the
        backends copy them into it, so the project is self-contained)."""
        base = Path(self.output_dir).resolve()
        base.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(self._data, _KerasFile):  # the Keras file as it is, weights beside it by the default name
            src = Path(self._data.path)
            model_path = base.parent / (base.name + ".model" + (src.suffix or ".keras"))
            shutil.copyfile(src, model_path)
            if self._data.weights or src.suffix == ".json":
                w = Path(self._data.weights) if self._data.weights else src.parent / (src.stem + "_weights.h5")
                shutil.copyfile(w, base.parent / (model_path.stem + "_weights.h5"))
        else:
            model_path = base.parent / (base.name + ".model.onnx")
            model_path.write_bytes(self._data)
        config_path = ""
        if self.config is not None:
            cp = base.parent / (base.name + ".config.json")
            cp.write_text(json.dumps(self.config, indent=1))
            config_path = str(cp)
        return str(model_path), config_path

    def write(self, force=False):
        """Writes the project into output_dir: Verilog RTL + Verilator harness +
        Yosys script (backend 'verilog') or VHDL-2008 package + entity + GHDL
        testbench (backend 'vhdl'), both with the cocotb testbench tb/ and
        report.json; or the Vitis HLS project (backend 'vitis'); with
        nanogate_manifest.json listing every file written. A non-empty folder
        is refused unless force=True, which first deletes the files the
        previous manifest lists (other files are kept). Returns output_dir."""
        model_path, config_path = self._inputs_on_disk()
        period = 5.0 if self.clock_period is None else float(self.clock_period)
        if self.backend in _RTL:
            _nanogate.write_verilog(self.output_dir, model_path, config_path, period, 2, self.family, True,
                                    self.register_ports, force, self.allow_inexact, self.backend,
                                    self.wrapper or "none", self.field_bits)
        else:
            cfg = (self.config or {})
            part = cfg.get("Part", "xcvu13p-flga2577-2-e")
            if self.clock_period is None and "ClockPeriod" in cfg:
                period = float(cfg["ClockPeriod"])
            io_type = cfg.get("IOType", "io_parallel")  # hls4ml's key: io_parallel or io_stream
            for note in _nanogate.write_hls(self._m, self.output_dir, model_path, config_path, "myproject", part, period,
                                            io_type=io_type, force=bool(force)):
                print(f"nanogate: note: {note}")
        self._written = True
        return self.output_dir

    def _need(self, *backends):
        if self.backend not in backends:
            need = " or ".join(f"'{b}'" for b in backends)
            raise _nanogate.NanogateError(f"{self.output_dir}: this needs backend={need} (the firmware is {self.backend})")
        if not self._written:
            self.write(force=False)

    def verify(self, n=10000, seed=1):
        """Co-simulation of the RTL against the netlist and layer emulators on
        n vectors covering the whole input range: Verilator (backend
        'verilog') or GHDL (backend 'vhdl', slower: tens to hundreds of
        vectors/s). Returns a dict with 'vectors', 'exact', 'outputs',
        'latency', 'bit_exact' and, on a mismatch, 'first_mismatch' (vector,
        output, port, rtl, netlist, layer)."""
        self._need(*_RTL)
        return _nanogate.verify_verilog(self.output_dir, int(n), int(seed))

    def synth(self, family=None, timeout=1800.0, quiet=False):
        """Yosys synthesis (and nextpnr Fmax for ice40/ecp5) of the RTL
        (backend 'verilog': Debian's Yosys reads no VHDL; the 'vhdl' backend's
        circuit is the same); returns the counts (LUT, FF, DSP, carry, Fmax)
        and records them in report.json."""
        self._need("verilog")
        return json.loads(_nanogate.synth(self.output_dir, family or self.family, float(timeout), bool(quiet)))

    def csim(self, n=2000, seed=0):
        """g++ C-simulation of the HLS project (ap_types from the hls4ml
        package) on n raw vectors (all-min, all-max, alternations, zero, then
        uniform random over the full input range), compared
        bit for bit with the emulator (backend 'vitis'). Returns a dict."""
        self._need("vitis")
        raw = self._m.test_vectors(int(n), int(seed))  # extremes first, then uniform over every code range
        got = _nanogate.csim(self.output_dir, raw)
        want = self.predict_firmware(raw)
        same = (got == want).all(axis=1)
        return {"vectors": int(n), "exact": int(same.sum()), "bit_exact": bool(same.all())}

    def build(self, csim=False, synth=True, cosim=False, export=False):
        """Runs AMD vitis_hls on the HLS project's build_prj.tcl (backend
        'vitis'). Raises NanogateError when vitis_hls is not installed."""
        self._need("vitis")
        exe = shutil.which("vitis_hls")
        if exe is None:
            raise _nanogate.NanogateError(
                f"{self.output_dir}: vitis_hls is not installed (not on PATH); nanogate verifies the project "
                "without it through Firmware.csim()")
        args = [exe, "-f", "build_prj.tcl", f"csim={int(csim)} synth={int(synth)} cosim={int(cosim)} export={int(export)}"]
        return subprocess.run(args, cwd=self.output_dir, check=True)

    def _events(self, x, float_mode=False):
        x = np.asarray(x, dtype=np.float64)
        n_in = self._m.input_size(float_mode)
        if x.ndim == 1 and x.size == n_in:
            x = x[None, :]
        x = np.ascontiguousarray(x.reshape(x.shape[0], -1))
        if x.shape[1] != n_in:
            raise ValueError(f"{self.source}: each event has {x.shape[1]} values, the model takes {n_in}")
        return x

    def predict(self, x, raw=False, float_mode=False):
        """Batched bit-exact emulation: x is (events, ...) with each event
        flattened row-major to the model input; returns (events, outputs)
        float64 values, or int64 codes with raw=True. float_mode evaluates the
        float model instead (QONNX Quant nodes still apply)."""
        return self._m.predict(self._events(x, float_mode), raw, float_mode)

    def predict_firmware(self, raw_codes):
        """Emulation from int64 codes at the firmware input ports (what the
        hardware receives); returns int64 output codes."""
        return self._m.predict_firmware(np.ascontiguousarray(np.asarray(raw_codes, dtype=np.int64)))

    def trace(self, x, names=None, float_mode=False):
        """Every layer's output (or only the tensors in `names`) as a dict
        name → (events, size) array."""
        return self._m.trace(self._events(x, float_mode), float_mode, list(names or []))

    def profile(self, x, margin=1, suggest=True, estimate_luts=True):
        """Precision profile on the events x (events, ...), as `nanogate profile`:
        a dict with "tensors" (one record per tensor: type, range, lsb, observed
        min/max values and codes, overflows, rounded, inner, clipped, unused
        integer/fractional bits, suggested types), "total_overflows",
        "suggested_config" (a config dict with the suggested types, usable as
        convert(..., config=)) and "effect" (overflows of the suggested model,
        max |output - float| before/after, estimated LUTs or None).
        margin: integer bits added to the observed need (>= 0). Raises
        NanogateError for an input outside the input type's range."""
        return json.loads(self._m.profile(self._events(x), int(margin), bool(suggest), bool(estimate_luts)))

    def firmware_inputs(self):
        """The firmware input ports: tensor, type, size, raw code range."""
        return self._m.firmware_inputs()

    def report(self):
        """A dict: the project's report.json once written (Verilog: per-layer
        adders, estimated LUTs, depth, latency in cycles and ns, synthesis
        counts), else model, backend, layers (the inspect rows) and totals."""
        rj = Path(self.output_dir) / "report.json"
        if self._written and rj.exists():
            return json.loads(rj.read_text())
        layers = self._m.layers()
        return {
            "model": self.source,
            "backend": self.backend,
            "clock_period_ns": self.clock_period,
            "quantized": self._m.quantized,
            "layers": layers,
            "totals": {"params": int(sum(l["params"] for l in layers))},
        }

    def summary(self):
        """The per-layer table (types, shapes, parameters) as text."""
        return self._m.inspect()


def convert(model, config=None, backend="verilog", output_dir=None, clock_period=None, input_shape=None,
            family="xc7", register_ports=False, weights=None, allow_inexact=False, wrapper=None, field_bits=0):
    """Compiles a model to a Firmware object.

    model: a path (ONNX/QONNX, Keras 3 .keras, Keras 2 .h5, or a Keras JSON
    architecture whose weights HDF5 is `weights` or <stem>_weights.h5 beside
    it), an onnx.ModelProto, serialized bytes, a keras.Model (saved to a
    temporary .keras and read by the same C++ reader), or a torch.nn.Module
    (exported internally: Brevitas modules through Brevitas' QONNX export,
    others through torch.onnx; input_shape gives one event's shape).
    config: a dict like the CLI's config file (see config_from_model), or None.
    backend: 'verilog', 'vhdl' (the same circuit as VHDL-2008) or 'vitis'.
    clock_period: ns (default 5, or the config's ClockPeriod). output_dir:
    where write() puts the project (default ./nanogate_prj). family: xc7,
    xcup, ice40 or ecp5 (the delay model; the Yosys flow of 'verilog').
    register_ports (backends 'verilog' and 'vhdl'): a register on every input
    and output port, one cycle each, counted in the latency (as da4ml's RTL has).
    wrapper (RTL backends): None, 'packed' (in_valid/in_data ->
    out_valid/out_data) or 'axis' (s_axis_* -> m_axis_*): a registered top
    <top>_packed / <top>_axis carrying the model's fields packed LSB first,
    field_bits bits each (0: each its own width; the README's layout).
    allow_inexact: run layers that are not bit-exact with the model (float
    constants rounded to default types); each is named in a warning.
    Raises ValueError for an unknown backend or wrapper, or register_ports / wrapper with 'vitis';
    raises NanogateError (file, node, reason) for anything the core refuses,
    including the first layer that is not bit-exact unless allow_inexact.
    """
    if backend not in _RTL + ("vitis",):
        raise ValueError(f"backend must be 'verilog', 'vhdl' or 'vitis', not {backend!r}")
    if (register_ports or wrapper) and backend not in _RTL:
        raise ValueError("register_ports and wrapper are RTL options (backend='verilog' or 'vhdl')")
    if wrapper not in (None, "packed", "axis"):
        raise ValueError(f"wrapper must be None, 'packed' or 'axis', not {wrapper!r}")
    compiled, data, source = _compile(model, config, input_shape, weights)
    for w in compiled.require_exact(allow_inexact):
        warnings.warn(w, stacklevel=2)
    return Firmware(compiled, data, source, config, backend, output_dir, clock_period, family, register_ports,
                    allow_inexact, wrapper, field_bits)
