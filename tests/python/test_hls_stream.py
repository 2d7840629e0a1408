"""HLS io_stream (issue 13): every tensor travels as a stream of pixel tokens, convolutions and
pooling read line buffers, FIFO depths come from the modelled schedule. The C-simulation of the
generated project equals the layer emulator bit for bit on CNNs with every kind of streaming
process (line buffers with fixed and per-position taps, zero padding, pooling reductions within a
token, fan-out clones, zips of feature maps, whole-tensor layers), on the CICADA-class example
(ONNX channels-first and HGQ2 channels-last), and on an MLP (one token per event)."""
import json

import numpy as np
import pytest

from conftest import MODELS, ROOT, run_cli
from test_cicada import MODEL as CICADA, calorimeter_events
from test_conv_ops import QCNN_CASES, qcnn, residual_net


def stream_csim(tmp_path, model, x=None, extra=()):
    """Converts `model` with --io-type io_stream, runs csim (on x when given), returns (stdout, project json)."""
    out = tmp_path / "stream"
    run_cli("convert", model, "-o", out, "--backend", "vitis", "--io-type", "io_stream", *extra)
    args = ["csim", out]
    if x is not None:
        np.save(tmp_path / "x.npy", x)
        args += ["--input", tmp_path / "x.npy"]
    p = run_cli(*args)
    return p.stdout, json.loads((out / "nanogate_project.json").read_text())


@pytest.mark.parametrize("name,kw,pool,per_channel", QCNN_CASES, ids=[c[0] for c in QCNN_CASES])
def test_quantized_cnns_stream_bit_exact(tmp_path, name, kw, pool, per_channel):
    """Conv with zero padding (per-position taps) or stride 2, depthwise groups (a zip of the group
    outputs), MaxPool / AveragePool windows reduced within a token, Flatten -> Dense (a line buffer of
    the whole map): csim == emulator on 500 events."""
    x_shape = kw.get("x_shape", (2, 10, 9))
    path = qcnn(tmp_path / "q.onnx", pool=pool, per_channel=per_channel, **kw)
    x = np.random.default_rng(3).normal(scale=2.0, size=(500, int(np.prod(x_shape))))
    out, proj = stream_csim(tmp_path, path, x)
    assert "500 events x 3 outputs bit-exact" in out, out
    s = proj["stream"]
    pixels = int(np.prod(x_shape[1:]))  # one token per input position, the channels as lanes
    assert proj["io_type"] == "io_stream" and s["fifos"][0]["tokens"] == pixels and s["ii_cycles"] >= pixels
    assert 0 < s["latency_cycles"] <= s["ii_cycles"] + 40
    assert all(f["depth"] >= 1 for f in s["fifos"]) and s["line_buffers"]


def test_residual_clone_zip_and_global_pool_stream_bit_exact(tmp_path):
    """The block input read by the first Conv, the skip Add and the Concat (clones with FIFO depths
    from the schedule: the skip path waits for two line buffers), a Concat of feature maps (zip), a
    GlobalAveragePool over all positions (its input gathered into one token)."""
    rng = np.random.default_rng(8)
    path = residual_net(tmp_path / "res.onnx", rng)
    out, proj = stream_csim(tmp_path, path, rng.normal(size=(300, 60)))
    assert "300 events x 4 outputs bit-exact" in out, out
    depths = [f["depth"] for f in proj["stream"]["fifos"]]
    assert max(depths) > 1, depths  # the skip connection's FIFO holds what the conv path's line buffers hold back


def test_cicada_stream_bit_exact_on_10000_events(tmp_path):
    """The CICADA-class example at 6.25 ns: csim (io_stream) == emulator on 10,000 calorimeter-like
    events; 252 region tokens in, the 2x2 stride-2 conv reads fixed taps of a 16-token line buffer."""
    out, proj = stream_csim(tmp_path, CICADA, calorimeter_events(10000, 13), ["--clock-period", "6.25"])
    assert "10000 events x 1 outputs bit-exact" in out, out
    s = proj["stream"]
    assert s["fifos"][0]["tokens"] == 252 and s["fifos"][0]["lanes"] == 1
    assert s["line_buffers"][0]["buffer_tokens"] == 16  # one row of 14 regions + 2
    assert s["ii_cycles"] == 252 and s["latency_cycles"] > 252


def test_hgq2_channels_last_cicada_streams_regions_as_tokens(tmp_path):
    """The HGQ2 (Keras, channels_last 18x14x1) CICADA: its input streams as 252 tokens of one channel,
    as hls4ml's io_stream does, and csim equals the emulator."""
    model = ROOT / "examples" / "cicada" / "cicada_v2_hgq2.keras"
    out, proj = stream_csim(tmp_path, model, calorimeter_events(1000, 14))
    assert "1000 events x 1 outputs bit-exact" in out, out
    assert proj["stream"]["fifos"][0]["tokens"] == 252


def test_mlp_streams_one_token_per_event(tmp_path):
    """An MLP (the jet tagger): one token of 16 features per event, csim == emulator."""
    out, proj = stream_csim(tmp_path, MODELS / "jet" / "qkeras_jettagging.onnx")
    assert "bit-exact" in out and "differ" not in out, out
    assert proj["stream"]["fifos"][0]["tokens"] == 1 and proj["stream"]["fifos"][0]["lanes"] == 16


def test_python_api_takes_iotype_from_the_config(tmp_path):
    """nanogate.convert(..., config={"IOType": "io_stream"}, backend="vitis"): the project streams (hls4ml's
    config key) and Firmware.csim is bit-exact."""
    import nanogate

    fw = nanogate.convert(str(CICADA), config={"IOType": "io_stream"}, backend="vitis", output_dir=tmp_path / "hls")
    fw.write()
    proj = json.loads((tmp_path / "hls" / "nanogate_project.json").read_text())
    assert proj["io_type"] == "io_stream" and "hls::stream" in (tmp_path / "hls" / "firmware" / "myproject.h").read_text()
    r = fw.csim(300)
    assert r["bit_exact"] and r["exact"] == 300
