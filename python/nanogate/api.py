"""The hls4ml-style API: config_from_model, convert and Firmware."""
import copy
import json

import numpy as np

from . import _nanogate
from .model_source import model_bytes

_ROLES = ("weight", "bias", "accum", "result")


def _compile(model, config, input_shape):
    data, source = model_bytes(model, input_shape)
    text = None if config is None else json.dumps(config)
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
    """A converted model: bit-exact prediction now; RTL/HLS projects from the
    same IR (write/verify/synth/csim come with the backends).

    Attributes: config (the configuration used), backend, output_dir,
    clock_period (ns).
    """

    def __init__(self, compiled, model_data, source, config, backend, output_dir, clock_period):
        self._m = compiled
        self._data = model_data
        self.source = source
        self.config = copy.deepcopy(config)
        self.backend = backend
        self.output_dir = output_dir
        self.clock_period = clock_period

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

    def firmware_inputs(self):
        """The firmware input ports: tensor, type, size, raw code range."""
        return self._m.firmware_inputs()

    def report(self):
        """A dict: model, backend, layers (the inspect rows), totals."""
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


def convert(model, config=None, backend="verilog", output_dir=None, clock_period=None, input_shape=None):
    """Compiles a model to a Firmware object.

    model: a path, an onnx.ModelProto, serialized bytes, or a torch.nn.Module
    (exported internally: Brevitas modules through Brevitas' QONNX export,
    others through torch.onnx; input_shape gives one event's shape).
    config: a dict like the CLI's config file (see config_from_model), or None.
    backend: 'verilog' or 'vitis'. clock_period: ns.
    Raises NanogateError (file, node, reason) for anything the core refuses.
    """
    if backend not in ("verilog", "vitis"):
        raise ValueError(f"backend must be 'verilog' or 'vitis', not {backend!r}")
    compiled, data, source = _compile(model, config, input_shape)
    return Firmware(compiled, data, source, config, backend, output_dir, clock_period)
