"""`nanogate convert-hls` and `nanogate csim` from the command line."""
import numpy as np

from conftest import MODELS, ROOT, run_cli


def test_convert_and_csim_with_model_inputs(tmp_path):
    prj = tmp_path / "digits"
    run_cli("convert-hls", ROOT / "examples/default/digits_qmlp.onnx", "-o", prj, "--top", "digits")
    assert (prj / "firmware/digits.cpp").exists() and (prj / "build_prj.tcl").exists()
    x = np.random.default_rng(3).integers(0, 17, size=(300, 64)).astype(np.float64)  # digit pixels 0..16
    np.save(tmp_path / "x.npy", x)
    p = run_cli("csim", prj, "--input", tmp_path / "x.npy")
    assert "300 events x 10 outputs bit-exact with the emulator" in p.stdout


def test_invalid_reuse_factor_is_one_line_listing_valid_values(tmp_path):
    p = run_cli("convert-hls", MODELS / "jet/qkeras_jettagging.onnx", "-o", tmp_path / "p", "--strategy", "Resource",
                "--reuse-factor", "3", check=False)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert "node 'MatMul_0' (Dense): ReuseFactor 3 is invalid" in lines[0]
    assert "valid values: 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024" in lines[0]


def test_io_stream_without_streaming_layers_is_an_error(tmp_path):
    p = run_cli("convert-hls", MODELS / "jet/qkeras_jettagging.onnx", "-o", tmp_path / "p", "--io-type", "io_stream",
                check=False)
    assert p.returncode == 1 and "io_stream" in p.stderr
