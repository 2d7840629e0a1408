"""`nanogate convert --backend vitis` and `nanogate csim` from the command line; the
configuration file's Part and ClockPeriod reach build_prj.tcl."""
import numpy as np

from conftest import MODELS, ROOT, run_cli


def test_convert_and_csim_with_model_inputs(tmp_path):
    prj = tmp_path / "digits"
    run_cli("convert", ROOT / "examples/default/digits_qmlp.onnx", "-o", prj, "--backend", "vitis", "--top", "digits")
    assert (prj / "firmware/digits.cpp").exists() and (prj / "build_prj.tcl").exists()
    x = np.random.default_rng(3).integers(0, 17, size=(300, 64)).astype(np.float64)  # digit pixels 0..16
    np.save(tmp_path / "x.npy", x)
    p = run_cli("csim", prj, "--input", tmp_path / "x.npy")
    assert "300 events x 10 outputs bit-exact with the emulator" in p.stdout


def test_invalid_reuse_factor_is_one_line_listing_valid_values(tmp_path):
    p = run_cli("convert", MODELS / "jet/qkeras_jettagging.onnx", "-o", tmp_path / "p", "--backend", "vitis", "--strategy", "Resource",
                "--reuse-factor", "3", check=False)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert "node 'MatMul_0' (Dense): ReuseFactor 3 is invalid" in lines[0]
    assert "valid values: 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024" in lines[0]


def test_unknown_io_type_is_one_line(tmp_path):
    p = run_cli("convert", MODELS / "jet/qkeras_jettagging.onnx", "-o", tmp_path / "p", "--backend", "vitis", "--io-type", "io_serial",
                check=False)
    assert p.returncode == 1 and "unknown io type 'io_serial'" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_part_and_clock_period_from_the_config(tmp_path):
    import json

    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"Part": "xc7z020clg400-1", "ClockPeriod": 6.25, "Model": {"Precision": "fixed<16,6>"}}))
    prj = tmp_path / "p"
    run_cli("convert", MODELS / "jet/three_layer_keras.onnx", "-o", prj, "--backend", "vitis", "--config", cfg)
    tcl = (prj / "build_prj.tcl").read_text()
    assert "xc7z020clg400-1" in tcl and "6.25" in tcl
    # the command line overrides the file
    prj2 = tmp_path / "p2"
    run_cli("convert", MODELS / "jet/three_layer_keras.onnx", "-o", prj2, "--backend", "vitis", "--config", cfg,
            "--clock-period", "4", "--part", "xcu250-figd2104-2L-e")
    tcl2 = (prj2 / "build_prj.tcl").read_text()
    assert "xcu250-figd2104-2L-e" in tcl2 and "6.25" not in tcl2


def test_convert_refuses_a_foreign_folder(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "notes.txt").write_text("keep me")
    p = run_cli("convert", MODELS / "jet/three_layer_keras.onnx", "-o", d, "--backend", "vitis", check=False)
    assert p.returncode == 1 and "--force" in p.stderr
    assert (d / "notes.txt").read_text() == "keep me"
