"""Brevitas TFC_2W2A (784→64→64→64→10, 2-bit weights and activations, BatchNorm +
2-bit Quant between layers) against qonnx's execution."""
import numpy as np

from conftest import emulate, qonnx_execute


def test_tfc_2w2a_predicts_7210_and_equals_qonnx(models, tmp_path):
    model = models / "mnist" / "TFC_2W2A.onnx"
    x = np.load(models / "mnist" / "mnist4_images.npy").reshape(4, -1)
    labels = np.load(models / "mnist" / "mnist4_labels.npy")
    names = ["39", "51", "63", "75", "82"]  # input quant, three hidden 2-bit activations, integer logits
    ref = qonnx_execute(model, x, names + ["90"])
    got = emulate(model, x, tmp_path, tensors=names)
    want = np.concatenate([ref[n] for n in names], axis=1)
    assert np.array_equal(got, want)
    out = emulate(model, x, tmp_path)
    assert list(out.argmax(1)) == list(labels) == [7, 2, 1, 0]
    # The final float BatchNorm (Sub/Div/Mul/Add with float constants) is applied
    # host-side to the firmware's exact integer logits: within float32 rounding of qonnx.
    assert np.max(np.abs(out - ref["90"]) / (1 + np.abs(ref["90"]))) < 1e-5
    codes = emulate(model, x, tmp_path, raw=True)
    assert np.array_equal(codes, ref["82"])


def test_tfc_2w2a_random_images_equal_qonnx(models, tmp_path):
    """The exact layers on 500 random 0..255 images (not only the four digits)."""
    model = models / "mnist" / "TFC_2W2A.onnx"
    rng = np.random.default_rng(7)
    x = rng.integers(0, 256, (500, 784)).astype(np.float64) * (rng.random((500, 784)) < 0.3)
    names = ["51", "63", "75", "82"]
    ref = qonnx_execute(model, x, names)
    got = emulate(model, x, tmp_path, tensors=names)
    assert np.array_equal(got, np.concatenate([ref[n] for n in names], axis=1))
