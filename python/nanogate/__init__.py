"""nanogate: quantized neural networks to bit-exact FPGA firmware.

The hls4ml-style Python API over nanogate's C++ core (the same library the
`nanogate` command line tool uses)::

    import nanogate
    cfg = nanogate.config_from_model("model.onnx", granularity="name")
    fw = nanogate.convert("model.onnx", config=cfg)
    y = fw.predict(x)            # batched, bit-exact with `nanogate emulate`

Errors from the core raise NanogateError (a ValueError) carrying the C++
message: the file, the node and the reason.
"""
from ._nanogate import FixedTypeError, NanogateError, NanogateIoError, parse_type
from .api import Firmware, config_from_model, convert

__all__ = ["Firmware", "config_from_model", "convert", "parse_type", "NanogateError", "NanogateIoError",
           "FixedTypeError"]
__version__ = "0.1.0"
